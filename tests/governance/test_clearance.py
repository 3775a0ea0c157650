"""Clearance levels are computed from records: the current policy acknowledged, valid
certificates for the level's tracks and (optionally) approved practice work."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.dates import add_months
from courses.selectors import tracks_by_id
from governance import clearance, holdings
from governance.models import ClearanceLevel, PolicyVersion
from governance.services import learners_of
from learners.models import Membership, User
from progress import services as progress_services
from progress.models import Certificate, Review, Submission
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db

D0 = gov.JAN_1  # 1 January 2026, 09:00 UTC


def day(n: int) -> datetime:
    return D0 + timedelta(days=n)


def midnight(n: int) -> datetime:
    return datetime.combine(day(n).date(), datetime.min.time(), tzinfo=UTC)


# Events, each at a moment: ("publish", day, effective day or None), ("ack", day, version
# number), ("certify", day, validity months or None), ("approve", day).
SCENARIOS = [
    # id, events, checked at, expected status, expected since / lost since, lapse reasons
    ("nothing", [], day(10), "not_cleared", None, []),
    (
        "policy acknowledged, no certificate",
        [("publish", 0, None), ("ack", 1, 1)],
        day(10), "not_cleared", None, [],
    ),
    (
        "certificate, policy not acknowledged",
        [("publish", 0, None), ("certify", 2, None)],
        day(10), "not_cleared", None, [],
    ),
    ("no policy published yet", [("certify", 2, None)], day(10), "not_cleared", None, []),
    (
        "both: cleared since the later of the two",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None)],
        day(10), "cleared", day(2), [],
    ),
    (
        "a new version takes it away",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("publish", 5, None)],
        day(10), "lost", day(5), ["policy_changed"],
    ),
    (
        "acknowledging the new version gives it back",
        [
            ("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("publish", 5, None),
            ("ack", 6, 2),
        ],
        day(10), "cleared", day(6), [],
    ),
    (
        "an upcoming version changes nothing before its date",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("publish", 5, 20)],
        day(19), "cleared", day(2), [],
    ),
    (
        "an upcoming version takes it away on its date",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("publish", 5, 20)],
        day(25), "lost", midnight(20), ["policy_changed"],
    ),
    (
        "acknowledging the upcoming version covers the current one",
        [("publish", 0, None), ("certify", 2, None), ("publish", 5, 20), ("ack", 6, 2)],
        day(10), "cleared", day(6), [],
    ),
    (
        "a valid certificate with an expiry",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, 12)],
        add_months(day(2), 12) - timedelta(seconds=1), "cleared", day(2), [],
    ),
    (
        "an expired certificate takes it away",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, 12)],
        add_months(day(2), 13), "lost", add_months(day(2), 12), ["certificate_expired"],
    ),
    (
        "expired and a new version: lost for both reasons, since the later",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, 1), ("publish", 40, None)],
        day(50), "lost", day(40), ["certificate_expired", "policy_changed"],
    ),
    (
        "expired but never acknowledged: never cleared",
        [("publish", 0, None), ("certify", 2, 1)],
        day(50), "not_cleared", None, [],
    ),
    (
        "a renewed certificate counts from its renewal, until its new expiry",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, 1), ("renew", 20, 12)],
        day(60), "cleared", day(20), [],
    ),
    (
        "a revoked certificate takes it away",
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("revoke", 9, None)],
        day(10), "lost", day(9), ["certificate_revoked"],
    ),
]  # fmt: skip


def make_world():
    org = gov.organisation()
    learner = factories.UserFactory(display_name="Sean")
    manager = factories.UserFactory(display_name="Morgan")
    gov.team(org, "Marketing", manager=manager, learners=[learner])
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=2)
    return org, learner, manager, track


def play(org, learner, track, events, *, assignment=None) -> None:
    for kind, when, arg in events:
        with gov.at(day(when)):
            if kind == "publish":
                gov.publish(
                    org,
                    f"Policy text as of day {when}.",
                    summary="" if not PolicyVersion.objects.exists() else f"Day {when}.",
                    effective=day(arg).date() if arg is not None else None,
                )
            elif kind == "ack":
                gov.acknowledge(learner, PolicyVersion.objects.get(number=arg))
            elif kind == "certify":
                gov.certify(learner, track, months=arg)
            elif kind == "renew":  # as recertification.renew_if_refreshed does
                certificate = Certificate.objects.get(learner=learner, track=track)
                certificate.renewed_at = day(when)
                certificate.expires_at = add_months(day(when), arg)
                certificate.save(update_fields=["renewed_at", "expires_at"])
                holdings.refresh_holdings(user_ids=[learner.pk])
            elif kind == "revoke":
                progress_services.revoke_certificate(
                    certificate=Certificate.objects.get(learner=learner, track=track),
                    by=factories.UserFactory(is_staff=True),
                    reason="Issued in error.",
                )
            elif kind == "approve":
                submission = Submission.objects.create(
                    learner=learner,
                    assignment=assignment,
                    version=1,
                    text_markdown="Done.",
                    status=Submission.Status.APPROVED,
                )
                Review.objects.create(
                    submission=submission, outcome="approved", feedback_markdown="Good."
                )
                # As `review_submission` does when it approves (test_holdings checks that).
                holdings.refresh_holdings(user_ids=[learner.pk])


def sql_status(rules: clearance.Rules, level, user) -> str:
    """The status the database gives `user` for `level` (the rule as SQL), which must be the
    one `evaluate` decides in Python; exactly one of the three conditions holds."""
    found = [
        status
        for status in (clearance.CLEARED, clearance.LOST, clearance.NOT_CLEARED)
        if User.objects.filter(pk=user.pk).filter(rules.condition(level, status)).exists()
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("events", "checked_at", "status", "when", "reasons"),
    [pytest.param(*row[1:], id=row[0]) for row in SCENARIOS],
)
def test_clearance_through_policy_versions_expiry_and_tracks(
    events, checked_at, status, when, reasons
):
    org, learner, _, track = make_world()
    gov.level(org, tracks=[track])
    play(org, learner, track, events)

    rules = clearance.Rules(org, now=checked_at)
    [result] = rules.evaluate([learner.pk])[learner.pk]
    assert result.status == status, result.explanation
    assert sql_status(rules, result.level, learner) == status
    assert (result.since if status == "cleared" else result.lost_since) == when
    assert result.lapse_reasons == reasons


def test_a_required_assignment_must_be_approved():
    org, learner, _, track = make_world()
    assignment = factories.add_assignment(track.lessons.first())
    gov.level(org, tracks=[track], assignment=assignment)
    play(org, learner, track, [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None)])
    rules = clearance.Rules(org, now=day(10))
    [result] = rules.evaluate([learner.pk])[learner.pk]
    assert (result.status, result.explanation) == ("not_cleared", "“Practice” approved")
    assert sql_status(rules, result.level, learner) == "not_cleared"
    play(org, learner, track, [("approve", 7, None)], assignment=assignment)
    rules = clearance.Rules(org, now=day(10))
    [result] = rules.evaluate([learner.pk])[learner.pk]
    assert (result.status, result.since) == ("cleared", day(7))
    assert sql_status(rules, result.level, learner) == "cleared"


def test_each_level_is_computed_separately():
    org, learner, _, track = make_world()
    other = factories.make_track(slug="spokesperson", modules=1, lessons_per_module=1)
    post = gov.level(org, "Can post for the brand", tracks=[track])
    speak = gov.level(org, "Spokesperson", tracks=[track, other])
    play(org, learner, track, [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None)])
    rules = clearance.Rules(org, now=day(10))
    statuses = rules.evaluate([learner.pk])[learner.pk]
    assert {s.level: s.status for s in statuses} == {post: "cleared", speak: "not_cleared"}
    assert {level: sql_status(rules, level, learner) for level in (post, speak)} == {
        post: "cleared",
        speak: "not_cleared",
    }


def test_levels_of_another_organisation_do_not_apply():
    org, learner, _, track = make_world()
    elsewhere = gov.organisation("elsewhere")
    gov.level(elsewhere, tracks=[track])
    assert clearance.Rules(org).evaluate([learner.pk]) == {learner.pk: []}


# -- queries ------------------------------------------------------------------------------------


def crowd(org, track, people: int) -> list[int]:
    """`people` learners with every kind of record, in bulk."""
    users = User.objects.bulk_create(
        [User(email=f"c{people}-{n}@example.com", display_name=f"C {n}") for n in range(people)]
    )
    team = gov.team(org, f"Crowd {people}")
    Membership.objects.bulk_create([Membership(user=u, team=team, role="learner") for u in users])
    version = PolicyVersion.objects.published().first()
    for user in users:
        gov.acknowledge(user, version)
        gov.certify(user, track, months=12)
    return [u.pk for u in users]


def test_evaluating_a_team_costs_the_same_queries_for_5_and_200_people():
    org, _, _, track = make_world()
    assignment = factories.add_assignment(track.lessons.first())
    gov.level(org, tracks=[track], assignment=assignment)
    gov.publish(org)
    tracks_by_id()  # the curriculum every worker keeps in memory
    counts = []
    for size in (5, 200):
        ids = crowd(org, track, size)
        rules = clearance.Rules(org)  # the levels and policy versions (kept by the worker)
        with CaptureQueriesContext(connection) as captured:
            result = rules.evaluate(ids)
        assert len(result) == size
        counts.append(len(captured))
    # the people's acknowledgements, certificates and approvals, read together
    assert counts == [1, 1]


def mixed_crowd(org, track, people: int) -> list[int]:
    """`people` learners, a quarter each: cleared, lost (an earlier version acknowledged), lost
    (certificate expired), never cleared. Version 1 is published on day 0, version 2 on day 5."""
    users = User.objects.bulk_create(
        [User(email=f"m{people}-{n}@example.com", display_name=f"M {n}") for n in range(people)]
    )
    team = gov.team(org, f"Mixed {people}")
    Membership.objects.bulk_create([Membership(user=u, team=team, role="learner") for u in users])
    versions = PolicyVersion.objects.published().filter(policy__organisation=org)
    first, second = versions.order_by("number")[:2]
    for n, user in enumerate(users):
        with gov.at(day(6)):
            if n % 4 in (0, 2):
                gov.acknowledge(user, second)
            elif n % 4 == 1:
                gov.acknowledge(user, first)
            if n % 4 != 3:
                gov.certify(user, track, months=1 if n % 4 == 2 else 12)
    return [u.pk for u in users]


def test_the_database_counts_each_level_as_evaluate_decides_it_in_one_query():
    org, _, _, track = make_world()
    other = factories.make_track(slug="spokesperson", modules=1, lessons_per_module=1)
    post = gov.level(org, "Can post for the brand", tracks=[track])
    assignment = factories.add_assignment(track.lessons.first())
    speak = gov.level(org, "Spokesperson", tracks=[track, other], assignment=assignment)
    with gov.at(day(0)):
        gov.publish(org, "Version 1.")
    with gov.at(day(5)):
        gov.publish(org, "Version 2.", summary="Changed.")
    queries = []
    for size in (8, 120):
        ids = mixed_crowd(org, track, size)
        people = User.objects.filter(pk__in=ids)
        rules = clearance.Rules(org, now=day(60))
        expected = {level.pk: {"cleared": 0, "lost": 0, "not_cleared": 0} for level in rules.levels}
        for statuses in rules.evaluate(ids).values():
            for status in statuses:
                expected[status.level.pk][status.status] += 1
        with CaptureQueriesContext(connection) as captured:
            counted = clearance.summary(rules, people)
        queries.append(len(captured))
        assert {
            c.level.pk: {"cleared": c.cleared, "lost": c.lost, "not_cleared": c.not_cleared}
            for c in counted
        } == expected
        assert expected[post.pk] == {
            "cleared": size // 4,
            "lost": size // 2,
            "not_cleared": size // 4,
        }
        assert expected[speak.pk]["cleared"] == 0
    assert queries == [1, 1]


def test_the_roster_filter_on_any_level_keeps_whom_evaluate_gives_that_status_on_one():
    org, _, _, track = make_world()
    other = factories.make_track(slug="spokesperson", modules=1, lessons_per_module=1)
    post = gov.level(org, "Can post for the brand", tracks=[track])
    speak = gov.level(org, "Spokesperson", tracks=[other])
    with gov.at(day(0)):
        gov.publish(org, "Version 1.")
    with gov.at(day(5)):
        gov.publish(org, "Version 2.", summary="Changed.")
    ids = mixed_crowd(org, track, 16)
    for n, user in enumerate(User.objects.filter(pk__in=ids).order_by("pk")):
        if n % 3 != 2:  # across the four kinds of the first level: some hold both levels
            with gov.at(day(6)):
                gov.certify(user, other, months=1 if n % 3 == 1 else 12)
    rules = clearance.Rules(org, now=day(60))
    evaluated = rules.evaluate(ids)
    seen = set()
    for levels in ([post], [speak], [post, speak]):
        for status in (clearance.CLEARED, clearance.LOST, clearance.NOT_CLEARED):
            expected = {
                pk
                for pk, statuses in evaluated.items()
                if any(s.status == status for s in statuses if s.level in levels)
            }
            found = User.objects.filter(pk__in=ids).filter(rules.condition_on_any(levels, status))
            assert set(found.values_list("pk", flat=True)) == expected, (levels, status)
            seen.add((len(levels), status, 0 < len(expected) < len(ids)))
    # Every status on both levels kept some people and left some out.
    assert {(2, status, True) for status in ("cleared", "lost", "not_cleared")} <= seen
    assert not User.objects.filter(rules.condition_on_any([], clearance.CLEARED)).exists()


def test_the_dashboard_counts_every_organisation_in_the_same_two_queries():
    """Staff see every team: the counts per organisation equal each organisation's own
    summary, and another organisation adds no query."""
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=2)
    staff = factories.UserFactory(is_staff=True)
    queries, orgs = [], []
    for n, slug in enumerate(("acme", "globex", "initech")):
        org = gov.organisation(slug)
        gov.team(org, f"Team {slug}")
        gov.level(org, f"Cleared at {slug}", tracks=[track])
        with gov.at(day(0)):
            gov.publish(org, f"Version 1 at {slug}.")
        with gov.at(day(5)):
            gov.publish(org, f"Version 2 at {slug}.", summary="Changed.")
        mixed_crowd(org, track, 8 + 4 * n)  # a different size in each organisation
        orgs.append(org)
        if n == 0:
            continue  # counted with two organisations, then three
        with CaptureQueriesContext(connection) as captured, gov.at(day(60)):
            found = clearance.team_summaries(staff)
        queries.append(len(captured))
    assert queries == [2, 2]
    assert [org.slug for org, _ in found] == ["acme", "globex", "initech"]
    for org, counts in found:
        expected = clearance.summary(
            clearance.Rules(org, now=day(60)), learners_of(org.teams.all())
        )
        assert [(c.level, c.cleared, c.lost, c.not_cleared) for c in counts] == [
            (c.level, c.cleared, c.lost, c.not_cleared) for c in expected
        ]
        assert sum(c.cleared + c.lost + c.not_cleared for c in counts) > 0


# -- pages ------------------------------------------------------------------------------------


def test_me_shows_the_learners_levels(client):
    org, learner, _, track = make_world()
    gov.level(org, "Cleared to post", tracks=[track])
    play(org, learner, track, [("publish", 0, None), ("ack", 1, 1)])
    client.force_login(learner)
    body = client.get(reverse("progress:me")).content.decode()
    assert "Your clearance at Acme" in body
    assert "Cleared to post" in body and "Certificate: Track newcomer" in body
    gov.certify(learner, track)
    body = client.get(reverse("progress:me")).content.decode()
    assert "cleared</span> since" in body


def test_team_dashboard_counts_who_holds_each_level(client):
    org, learner, manager, track = make_world()
    gov.level(org, "Cleared to post", tracks=[track])
    play(
        org,
        learner,
        track,
        [("publish", 0, None), ("ack", 1, 1), ("certify", 2, None), ("publish", 5, None)],
    )
    client.force_login(manager)
    with gov.at(day(10)):
        body = client.get(reverse("teams:team")).content.decode()
    assert "Clearance" in body and "Cleared to post" in body
    assert "1 lost" in body
    level = ClearanceLevel.objects.get(name="Cleared to post")
    roster = f"{reverse('governance:roster')}?organisation={org.slug}&amp;level={level.pk}"
    assert f'<a href="{roster}">' in body  # each count opens the roster at its level


def test_team_dashboard_escapes_level_names_and_lists_each_organisation(client):
    org, learner, manager, track = make_world()
    gov.level(org, '<b onmouseover="x()">Cleared & posting</b>', tracks=[track])
    other = gov.organisation("globex")
    gov.team(other, "Globex team", manager=manager, learners=[learner])
    gov.level(other, "Globex voice", tracks=[track])
    client.force_login(manager)
    body = client.get(reverse("teams:team")).content.decode()
    assert "<b onmouseover" not in body
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Cleared &amp; posting&lt;/b&gt;" in body
    section = body[
        body.index('id="clearance-title"') : body.index(
            "</section>", body.index('id="clearance-title"')
        )
    ]
    assert section.count('<ul class="stats">') == 2 and "Globex voice" in section
    assert '<span class="stats__value">0</span>' in section and "1 not yet" in section


def test_me_costs_the_same_with_levels_whatever_the_history(client, django_assert_max_num_queries):
    org, learner, _, track = make_world()
    gov.level(org, "Cleared to post", tracks=[track])
    gov.publish(org)
    client.force_login(learner)
    client.get(reverse("progress:me"))
    # user + enrolments (with due dates) + lessons + certificates + attempts + submissions
    # + policy versions (with the acknowledgements) + levels (with their tracks) = 8
    with django_assert_max_num_queries(8) as before:
        client.get(reverse("progress:me"))
    for number in range(2, 12):
        gov.publish(org, f"Version {number}.", summary=f"Change {number}.")
        gov.acknowledge(learner, PolicyVersion.objects.get(number=number))
    with django_assert_max_num_queries(8) as after:
        client.get(reverse("progress:me"))
    assert len(before) == len(after)


def test_me_costs_the_same_however_many_organisations_have_levels(client):
    """Policies, acknowledgements and levels are read for every organisation at once."""
    _, learner, _, track = make_world()
    client.force_login(learner)
    counts = []
    for n, slug in enumerate(("globex", "initech", "umbrella")):
        other = gov.organisation(slug)
        gov.team(other, f"Team {slug}", learners=[learner])
        gov.level(other, f"Cleared at {slug}", tracks=[track])
        gov.publish(other, f"Policy of {slug}.")
        if n:  # the first one's version is left to acknowledge, the others' acknowledged
            gov.acknowledge(learner, PolicyVersion.objects.get(policy__organisation=other))
        client.get(reverse("progress:me"))
        with CaptureQueriesContext(connection) as captured:
            body = client.get(reverse("progress:me")).content.decode()
        assert f"Your clearance at {slug.title()}" in body
        counts.append(len(captured))
    assert counts[0] == counts[1] == counts[2], counts
