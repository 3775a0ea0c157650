"""The organisation's social media policy: drafting, publishing, acknowledging, announcing."""

import hashlib
import random
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from governance import policy as policies
from governance import services as governance
from governance.models import PolicyAcknowledgement, PolicyVersion, policy_text_hash
from learners import services as learner_services
from learners.models import Membership
from ledger.models import Message
from progress.models import Submission
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return gov.organisation()


@pytest.fixture
def people(org):
    carrie = factories.UserFactory(display_name="Carrie")
    sean = factories.UserFactory(display_name="Sean")
    morgan = factories.UserFactory(display_name="Morgan")
    gov.team(org, "Marketing", manager=morgan, learners=[carrie, sean])
    gov.owner(org, carrie)
    return carrie, sean, morgan


# -- versions -------------------------------------------------------------------------------


def test_publishing_numbers_versions_and_freezes_them(org, people):
    carrie, *_ = people
    with gov.at(gov.JAN_1):
        first = gov.publish(org, "Version one text.", by=carrie)
        assert (first.number, first.changes_summary) == (1, "First version.")
        assert first.effective_date == gov.JAN_1.date()
        second = gov.publish(org, "Version two text.", summary="Adds AI rules.", by=carrie)
    assert second.number == 2
    assert first.body_markdown == "Version one text."  # the draft became a new row
    assert PolicyVersion.objects.drafts().count() == 0
    state = policies.policy_state(org, today=gov.JAN_1.date())
    assert state.current == second and state.upcoming is None


@pytest.mark.parametrize(
    ("summary", "effective_days", "message"),
    [
        ("", 3, "what changed"),
        ("Tightens disclosure.", -1, "in the past"),
        ("Tightens disclosure.", 2, "before that of version 1"),
    ],
)
def test_a_new_version_needs_a_summary_and_a_future_date(
    org, people, summary, effective_days, message
):
    with gov.at(gov.JAN_1):
        gov.publish(org, "One.", effective=gov.JAN_1.date() + timedelta(days=3))
        policies.save_draft(
            organisation=org,
            body="Two.",
            changes_summary=summary,
            effective_date=gov.JAN_1.date() + timedelta(days=effective_days),
        )
        with pytest.raises(policies.PolicyError, match=message):
            policies.publish_draft(organisation=org, by=None)


def test_an_upcoming_version_leaves_the_current_one_in_effect(org, people):
    with gov.at(gov.JAN_1):
        first = gov.publish(org, "One.")
        second = gov.publish(
            org, "Two.", summary="Changes.", effective=gov.JAN_1.date() + timedelta(days=10)
        )
    state = policies.policy_state(org, today=gov.JAN_1.date() + timedelta(days=9))
    assert (state.current, state.upcoming, state.latest) == (first, second, second)
    state = policies.policy_state(org, today=gov.JAN_1.date() + timedelta(days=10))
    assert (state.current, state.upcoming) == (second, None)


# -- acknowledgement --------------------------------------------------------------------------


def test_acknowledgement_records_version_time_and_the_hash_of_the_exact_text(org, people):
    _, sean, _ = people
    with gov.at(gov.JAN_1):
        first = gov.publish(org, "Be kind.\n")
        ack = gov.acknowledge(sean, first)
    assert ack.version == first
    assert ack.acknowledged_at == gov.JAN_1
    assert ack.text_sha256 == hashlib.sha256(b"Be kind.\n").hexdigest()
    # One character more is another text, with another hash.
    second = gov.publish(org, "Be kind!\n", summary="Punctuation.")
    assert second.text_sha256 != first.text_sha256
    assert second.text_sha256 == policy_text_hash("Be kind!\n")


def test_acknowledging_is_idempotent_and_checks_the_text(org, people):
    _, sean, _ = people
    version = gov.publish(org, "Text.")
    _, created = policies.acknowledge(user=sean, version=version, text_sha256=version.text_sha256)
    _, again = policies.acknowledge(user=sean, version=version, text_sha256=version.text_sha256)
    assert (created, again) == (True, False)
    with pytest.raises(policies.PolicyError, match="not this version"):
        policies.acknowledge(user=sean, version=version, text_sha256="0" * 64)
    stranger = factories.UserFactory()
    with pytest.raises(policies.PolicyError, match="not part of"):
        policies.acknowledge(user=stranger, version=version, text_sha256=version.text_sha256)
    assert PolicyAcknowledgement.objects.count() == 1


def test_policy_page_shows_the_text_and_acknowledges_it(client, org, people):
    _, sean, _ = people
    version = gov.publish(org, "## Rules\n\nDisclose **always**.")
    client.force_login(sean)
    body = client.get(reverse("governance:policy")).content.decode()
    assert "<strong>always</strong>" in body
    assert version.text_sha256 in body
    assert "I have read and accept version 1" in body
    response = client.post(
        reverse("governance:policy"), {"version": version.pk, "sha256": version.text_sha256}
    )
    assert response.status_code == 302
    assert PolicyAcknowledgement.objects.filter(user=sean, version=version).exists()
    assert (
        "You acknowledged this version" in client.get(reverse("governance:policy")).content.decode()
    )


def test_policy_page_needs_a_sign_in(client):
    response = client.get(reverse("governance:policy"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- announcing a new version ----------------------------------------------------------------


def test_a_new_version_asks_everyone_once_and_shows_on_me(
    client, org, people, django_capture_on_commit_callbacks
):
    carrie, sean, morgan = people
    with gov.at(gov.JAN_1), django_capture_on_commit_callbacks(execute=True):
        policies.save_draft(organisation=org, body="One.")
        first = governance.publish_policy(organisation=org, by=carrie)
    assert {m.to[0] for m in mail.outbox} == {carrie.email, sean.email, morgan.email}
    with pytest.raises(policies.PolicyError, match="no draft"):
        governance.publish_policy(organisation=org, by=carrie)
    mail.outbox.clear()
    gov.acknowledge(sean, first)
    policies.save_draft(organisation=org, body="Two.", changes_summary="Adds a section on AI.")
    with django_capture_on_commit_callbacks(execute=True):
        second = governance.publish_policy(organisation=org, by=carrie)

    keys = set(
        Message.objects.filter(kind="policy_update", key__contains=f":{second.pk}:").values_list(
            "key", flat=True
        )
    )
    assert keys == {f"policy_update:{second.pk}:{u.pk}" for u in (carrie, sean, morgan)}
    assert {m.to[0] for m in mail.outbox} == {carrie.email, sean.email, morgan.email}
    assert "Adds a section on AI." in mail.outbox[0].body
    # A retried or duplicated task sends nothing more.
    governance.announce_policy_version(version_id=second.pk)
    assert len(mail.outbox) == 3

    client.force_login(sean)
    body = client.get(reverse("progress:me")).content.decode()
    assert "Adds a section on AI." in body and "Read and acknowledge" in body
    gov.acknowledge(sean, second)
    assert "Adds a section on AI." not in client.get(reverse("progress:me")).content.decode()


# -- the owner's editor ----------------------------------------------------------------------


def test_only_the_policy_owner_or_staff_edit_the_policy(client, org, people, staff_user):
    carrie, sean, morgan = people
    url = reverse("governance:policy_edit")
    assert client.get(url).status_code == 302  # to the sign-in page
    for user, status in ((sean, 403), (morgan, 403), (carrie, 200), (staff_user, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_owner_drafts_previews_and_publishes(
    client, org, people, django_capture_on_commit_callbacks
):
    carrie, sean, _ = people
    client.force_login(carrie)
    url = reverse("governance:policy_edit")
    today = gov.JAN_1.date()
    with gov.at(gov.JAN_1):
        data = {"body": "## Hello\n\nBe *kind*.", "changes_summary": "", "effective_date": today}
        preview = client.post(url, {**data, "action": "preview"})
        assert "<em>kind</em>" in preview.content.decode()
        assert not PolicyVersion.objects.exists()
        client.post(url, {**data, "action": "save"})
        assert PolicyVersion.objects.drafts().get().body_markdown == data["body"]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {**data, "action": "publish"})
    assert response.status_code == 302
    version = PolicyVersion.objects.published().get()
    assert (version.number, version.published_by) == (1, carrie)
    assert {m.to[0] for m in mail.outbox} >= {sean.email, carrie.email}


# -- promoting the strategy lead's practice assignment ---------------------------------------


def test_approved_policy_assignment_can_become_the_policy_draft(client, org, people):
    carrie, _, morgan = people
    track = factories.make_track(slug="strategy-lead", modules=1, lessons_per_module=1)
    assignment = factories.add_assignment(track.lessons.get())
    assignment.title = governance.POLICY_ASSIGNMENT_TITLE
    assignment.save()
    submission = Submission.objects.create(
        learner=carrie,
        assignment=assignment,
        version=1,
        text_markdown="## Our policy\n\nYou may post.",
        status=Submission.Status.APPROVED,
    )
    client.force_login(morgan)  # the reviewer sees it, but doesn't own the policy
    assert "policy draft" not in client.get(submission.get_absolute_url()).content.decode()
    promote = reverse("governance:policy_promote", args=[submission.pk])
    assert client.post(promote).status_code == 403

    client.force_login(carrie)
    assert (
        "Use as Acme's policy draft" in client.get(submission.get_absolute_url()).content.decode()
    )
    response = client.post(promote)
    assert response.status_code == 302
    draft = policies.draft_for(org)
    assert draft.body_markdown == submission.text_markdown
    assert draft.source_submission_id == submission.pk


def test_unapproved_or_other_submissions_cannot_be_promoted(org, people):
    carrie, *_ = people
    track = factories.make_track(slug="other", modules=1, lessons_per_module=1)
    assignment = factories.add_assignment(track.lessons.get())
    submission = Submission.objects.create(
        learner=carrie,
        assignment=assignment,
        version=1,
        text_markdown="x",
        status=Submission.Status.APPROVED,
    )
    assert governance.promotable_to(carrie, submission) is None  # not the policy assignment
    assignment.title = governance.POLICY_ASSIGNMENT_TITLE
    assignment.save()
    submission.status = Submission.Status.AWAITING_REVIEW
    assert governance.promotable_to(carrie, submission) is None


def test_deleting_the_publishers_account_keeps_the_policy_text(org, people):
    carrie, sean, _ = people
    version = gov.publish(org, "Keep this text.", by=carrie)
    gov.acknowledge(sean, version)
    learner_services.delete_account(user=carrie)
    learner_services.delete_account(user=sean)
    version.refresh_from_db()
    assert version.body_markdown == "Keep this text."
    assert version.text_sha256 == policy_text_hash("Keep this text.")
    ack = PolicyAcknowledgement.objects.get()
    assert ack.text_sha256 == version.text_sha256
    assert not org.policy_owners.exists()


def test_policy_text_is_sanitised_like_every_other_markdown(client, org, people):
    from tests.html_checks import dangerous_parts

    _, sean, _ = people
    version = gov.publish(
        org, "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    assert dangerous_parts(version.body_html) == []
    client.force_login(sean)
    assert "<script>alert" not in client.get(reverse("governance:policy")).content.decode()


def test_the_organisations_members_are_its_active_people_each_counted_once(org, people):
    carrie, sean, morgan = people
    gov.team(org, "Social", manager=carrie, learners=[sean])  # Sean and Carrie in two teams
    gone = factories.UserFactory(is_active=False)
    gov.team(org, "Former", learners=[gone])
    gov.team(gov.organisation("globex"), "Elsewhere", learners=[factories.UserFactory()])

    members = governance.members_of(org)

    assert sorted(members.values_list("pk", flat=True)) == sorted([carrie.pk, sean.pk, morgan.pk])
    assert members.count() == governance.count_members(org) == 3


def test_the_count_of_members_from_the_headcounts_equals_counting_them():
    """count_members (the teams' headcounts, and the managers who learn nowhere) against
    members_of's people, in organisations of random teams: people in several teams, managers
    who learn too, deactivated accounts of either role."""
    rng = random.Random(4)
    organisations = [gov.organisation(f"org-{n}") for n in range(3)]
    teams = [gov.team(rng.choice(organisations), f"Team {n}") for n in range(7)]
    for _ in range(40):
        person = factories.UserFactory(is_active=rng.random() > 0.15)
        for team in rng.sample(teams, rng.choice([1, 1, 2, 3])):
            role = Membership.Role.MANAGER if rng.random() < 0.2 else Membership.Role.LEARNER
            Membership.objects.get_or_create(user=person, team=team, defaults={"role": role})
    for organisation in organisations:
        assert governance.count_members(organisation) == governance.members_of(organisation).count()
    assert sum(governance.count_members(o) for o in organisations) > 20
