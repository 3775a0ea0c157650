"""Managers: invitations, assignments with due dates, the team dashboard, reviews, nudges, CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from learners.models import Invitation, Membership, TrackAssignment
from ledger.models import Message
from progress.models import Enrolment, LessonCompletion
from teams import services as team_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    manager = factories.UserFactory(email="max@example.com", display_name="Max Manager")
    ana = factories.UserFactory(email="ana@example.com", display_name="Ana")
    ben = factories.UserFactory(email="ben@example.com", display_name="Ben")
    team = factories.team_with(manager=manager, learners=[ana, ben])
    team.name = "Marketing"
    team.save()
    other_manager = factories.UserFactory(email="olga@example.com", display_name="Olga")
    outsider = factories.UserFactory(email="otto@example.com", display_name="Otto")
    other_team = factories.team_with(manager=other_manager, learners=[outsider])
    track = factories.make_track(modules=1, lessons_per_module=4)
    return {
        "manager": manager, "ana": ana, "ben": ben, "team": team, "track": track,
        "other_manager": other_manager, "outsider": outsider, "other_team": other_team,
    }  # fmt: skip


def accept_link(message) -> str:
    return re.search(r"http://testserver(/invitations/[^\s]+/)", message.body).group(1)


# -- invitations -------------------------------------------------------------------------


def test_invite_a_pasted_list_reports_bad_lines_and_sends_the_good(
    client, org, django_capture_on_commit_callbacks
):
    client.force_login(org["manager"])
    text = "new1@example.com, Nora\nnot-an-email\nana@example.com\nnew2@example.com,Ned,Nowhere\nnew3@example.com"
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends after commit
        response = client.post(
            reverse("teams:team_invitations"), {"team": org["team"].pk, "emails": text}
        )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Line 2" in body
    assert "not a valid email address" in body
    assert "Line 3" in body
    assert "already a member of Marketing" in body
    assert "Line 4" in body
    assert "Unknown team “Nowhere”" in body
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "new1@example.com",
        "new3@example.com",
    }
    assert sorted(m.to[0] for m in mail.outbox) == ["new1@example.com", "new3@example.com"]
    assert Message.objects.filter(kind="invitation", status="sent").count() == 2


def test_invite_from_an_uploaded_csv(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(org["manager"])
    upload = SimpleUploadedFile(
        "people.csv",
        b"email,name,team\ncsv1@example.com,Cee,Marketing\ncsv2@example.com,Dee,marketing\n",
        "text/csv",
    )
    response = client.post(
        reverse("teams:team_invitations"), {"team": org["team"].pk, "csv_file": upload}
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(team=org["team"]).count() == 2


def test_a_new_person_accepts_through_signup_and_joins_the_team(
    client, org, django_capture_on_commit_callbacks
):
    team_services.assign_track(manager=org["manager"], track=org["track"], team=org["team"])
    client.force_login(org["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("teams:team_invitations"),
            {"team": org["team"].pk, "emails": "nia@example.com,Nia"},
        )
    link = accept_link(mail.outbox[-1])
    client.logout()

    body = client.get(link).content.decode()
    assert "Create your account to accept" in body
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nia@example.com",
            "display_name": "Nia",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )
    assert response["Location"] == link  # the link proved the address: no verification step
    client.post(link)

    membership = Membership.objects.get(user__email="nia@example.com")
    assert (membership.team, membership.role) == (org["team"], "learner")
    # Joining later inherits the team's assignments.
    assert Enrolment.objects.filter(learner=membership.user, track=org["track"]).exists()
    assert client.post(link).status_code == 400  # works once


def test_an_existing_account_accepts_after_signing_in(
    client, org, django_capture_on_commit_callbacks
):
    existing = factories.UserFactory(email="eve@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        team_services.invite_people(
            manager=org["manager"],
            lines=team_services.parse_invite_text("eve@example.com"),
            default_team=org["team"],
        )
    link = accept_link(mail.outbox[-1])
    assert "Sign in to accept" in client.get(link).content.decode()
    response = client.post(
        reverse("account_login"), {"login": "eve@example.com", "password": factories.PASSWORD}
    )
    assert response["Location"] == link
    client.post(link)
    assert Membership.objects.filter(user=existing, team=org["team"]).exists()


def test_invitation_for_another_address_is_refused(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        team_services.invite_people(
            manager=org["manager"],
            lines=team_services.parse_invite_text("zed@example.com"),
            default_team=org["team"],
        )
    link = accept_link(mail.outbox[-1])
    client.force_login(org["outsider"])
    response = client.post(link, follow=True)
    assert "This invitation is for zed@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=org["outsider"], team=org["team"]).exists()


def test_expired_tampered_and_revoked_links(client, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        team_services.invite_people(
            manager=org["manager"],
            lines=team_services.parse_invite_text("late@example.com"),
            default_team=org["team"],
        )
    link = accept_link(mail.outbox[-1])
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.get(link)
        assert response.status_code == 400
        assert "expired" in response.content.decode()
    assert client.get(link[:-3] + "xx/").status_code == 400
    team_services.revoke_invitation(Invitation.objects.get())
    assert "withdrawn" in client.get(link).content.decode()


def test_resend_and_revoke_from_the_list(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("teams:team_invitations"),
            {"team": org["team"].pk, "emails": "re@example.com"},
        )
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("teams:team_invitation_resend", args=[invitation.pk]))
    assert len(mail.outbox) == 2
    client.post(reverse("teams:team_invitation_revoke", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    client.force_login(org["other_manager"])
    assert (
        client.post(reverse("teams:team_invitation_resend", args=[invitation.pk])).status_code
        == 404
    )


# -- assignments -------------------------------------------------------------------------


def test_assigning_to_a_team_enrols_everyone_and_shows_on_me(client, org):
    client.force_login(org["manager"])
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        reverse("teams:team_assignments"),
        {"track": org["track"].pk, "team": org["team"].pk, "due_date": due},
    )
    assert response.status_code == 302
    assert set(Enrolment.objects.values_list("learner__email", flat=True)) == {
        "ana@example.com",
        "ben@example.com",
    }
    client.force_login(org["ana"])
    body = client.get(reverse("progress:me")).content.decode()
    assert "Assigned by Max Manager" in body
    assert f'datetime="{due}"' in body


def test_assignment_to_one_person_and_due_date_change_and_cancel(client, org):
    client.force_login(org["manager"])
    client.post(
        reverse("teams:team_assignments"), {"track": org["track"].pk, "learner": org["ana"].pk}
    )
    assignment = TrackAssignment.objects.get()
    assert list(Enrolment.objects.values_list("learner__email", flat=True)) == ["ana@example.com"]
    new_due = (timezone.localdate() + timedelta(days=3)).isoformat()
    client.post(
        reverse("teams:team_assignment_change", args=[assignment.pk]), {"due_date": new_due}
    )
    assignment.refresh_from_db()
    assert assignment.due_date.isoformat() == new_due
    from progress import services

    services.record_lesson_completion(learner=org["ana"], lesson=org["track"].lessons.first())
    client.post(reverse("teams:team_assignment_change", args=[assignment.pk]), {"cancel": "1"})
    assignment.refresh_from_db()
    assert assignment.cancelled_at is not None
    assert LessonCompletion.objects.filter(learner=org["ana"]).count() == 1  # progress kept
    assert Enrolment.objects.filter(learner=org["ana"]).exists()


def test_a_manager_cannot_assign_outside_their_teams(client, org):
    client.force_login(org["manager"])
    response = client.post(
        reverse("teams:team_assignments"),
        {"track": org["track"].pk, "learner": org["outsider"].pk},
    )
    assert response.status_code == 400
    response = client.post(
        reverse("teams:team_assignments"),
        {"track": org["track"].pk, "team": org["other_team"].pk},
    )
    assert response.status_code == 400
    assert not TrackAssignment.objects.exists()
    with pytest.raises(team_services.TeamError):
        team_services.assign_track(
            manager=org["manager"], track=org["track"], learner=org["outsider"]
        )


def test_in_large_teams_one_person_is_named_by_their_email_address(client, org, monkeypatch):
    from teams import forms as team_forms

    client.force_login(org["manager"])
    page = client.get(reverse("teams:team_assignments")).content.decode()
    assert "Ana &lt;ana@example.com&gt;</option>" in page  # two learners: a list
    monkeypatch.setattr(team_forms, "LEARNERS_LISTED", 1)
    page = client.get(reverse("teams:team_assignments")).content.decode()
    assert 'type="email" name="learner"' in page and "ana@example.com" not in page
    assert "too large to list everyone" in page
    response = client.post(
        reverse("teams:team_assignments"),
        {"track": org["track"].pk, "learner": "otto@example.com"},  # in another manager's team
    )
    assert response.status_code == 400
    assert "Nobody with that email address learns in your teams." in response.content.decode()
    assert not TrackAssignment.objects.exists()
    response = client.post(
        reverse("teams:team_assignments"), {"track": org["track"].pk, "learner": " Ana@Example.com"}
    )
    assert response.status_code == 302
    assert TrackAssignment.objects.get().learner == org["ana"]


def test_past_due_dates_are_refused(client, org):
    client.force_login(org["manager"])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("teams:team_assignments"),
        {"track": org["track"].pk, "team": org["team"].pk, "due_date": yesterday},
    )
    assert response.status_code == 400
    assert "The due date is in the past." in response.content.decode()


# -- dashboard, reviews, nudges, CSV ---------------------------------------------------------


def test_dashboard_rows_statuses_and_summary(client, org):
    from progress import services

    soon = timezone.localdate() + timedelta(days=5)
    team_services.assign_track(
        manager=org["manager"], track=org["track"], team=org["team"], due_date=soon
    )
    services.record_lesson_completion(learner=org["ana"], lesson=org["track"].lessons.first())
    client.force_login(org["manager"])
    body = client.get(reverse("teams:team")).content.decode()
    assert "Ana" in body
    assert "Ben" in body
    assert "Otto" not in body
    assert "25%" in body
    assert "In progress" in body
    assert "Not started" in body
    with time_machine.travel(timezone.now() + timedelta(days=7)):
        body = client.get(reverse("teams:team") + "?status=overdue").content.decode()
        assert body.count("Overdue</span>") == 2


def test_dashboard_filters_and_sorting(client, org):
    from progress import services

    other_track = factories.make_track(slug="second", modules=1, lessons_per_module=2)
    team_services.assign_track(manager=org["manager"], track=org["track"], team=org["team"])
    team_services.assign_track(manager=org["manager"], track=other_track, learner=org["ben"])
    services.record_lesson_completion(learner=org["ben"], lesson=org["track"].lessons.first())
    client.force_login(org["manager"])
    body = client.get(reverse("teams:team") + f"?track={other_track.pk}").content.decode()
    assert body.count("<tr>") == 2  # header + Ben's row
    body = client.get(reverse("teams:team") + "?sort=-progress").content.decode()
    assert body.index("Ben") < body.index("Ana")


def test_a_filter_for_someone_else_s_team_says_so_and_shows_everything(client, org):
    team_services.assign_track(manager=org["manager"], track=org["track"], team=org["team"])
    client.force_login(org["manager"])
    response = client.get(reverse("teams:team") + f"?team={org['other_team'].pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "These filters could not be applied" in body
    assert "Select a valid choice" in body
    assert "Ana" in body and "Ben" in body  # our own people, unfiltered
    assert "Otto" not in body


def test_review_queue_oldest_first_with_waiting_time(client, org):
    from progress import services

    lesson = org["track"].lessons.first()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        services.submit_assignment(learner=org["ben"], assignment=assignment, text="Old")
    services.submit_assignment(learner=org["ana"], assignment=assignment, text="New")
    services.submit_assignment(learner=org["outsider"], assignment=assignment, text="Not mine")
    client.force_login(org["manager"])
    body = client.get(reverse("teams:team_reviews")).content.decode()
    assert body.index("Ben") < body.index("Ana")
    assert "Otto" not in body
    assert "2\xa0days" in body


def test_nudge_sends_once_a_day(client, org, django_capture_on_commit_callbacks):
    client.force_login(org["manager"])
    data = {"learner": org["ana"].pk, "track": org["track"].pk}
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends after commit
        client.post(reverse("teams:team_nudge"), data)
        client.post(reverse("teams:team_nudge"), data)
    nudges = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    assert len(nudges) == 1
    assert "List-Unsubscribe" in nudges[0].extra_headers
    with (
        time_machine.travel(timezone.now() + timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("teams:team_nudge"), data)
    assert len([m for m in mail.outbox if m.to == ["ana@example.com"]]) == 2


def test_nudge_outside_the_team_is_404(client, org):
    client.force_login(org["manager"])
    response = client.post(
        reverse("teams:team_nudge"), {"learner": org["outsider"].pk, "track": org["track"].pk}
    )
    assert response.status_code == 404
    assert not mail.outbox


def read_csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_matches_the_dashboard_and_defuses_formulas(client, org):
    org["ana"].display_name = '=HYPERLINK("http://evil")'
    org["ana"].save()
    org["ben"].display_name = "@SUM(1+1)"
    org["ben"].save()
    due = timezone.localdate() + timedelta(days=4)
    team_services.assign_track(
        manager=org["manager"], track=org["track"], team=org["team"], due_date=due
    )
    client.force_login(org["manager"])

    response = client.get(reverse("teams:team_export") + "?sort=name")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    names = sorted(row["name"] for row in rows)
    assert names == ['\'=HYPERLINK("http://evil")', "'@SUM(1+1)"]
    assert {row["due_date"] for row in rows} == {due.isoformat()}
    assert {row["status"] for row in rows} == {"not_started"}
    filtered = read_csv(client.get(reverse("teams:team_export") + "?status=completed"))
    assert filtered == []


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_csv_safe_prefixes_formula_cells(value):
    from core.csv import csv_safe

    assert csv_safe(value) == "'" + value
    assert csv_safe("plain") == "plain"


# -- permissions -------------------------------------------------------------------------

MANAGER_PAGES = [
    "teams:team",
    "teams:team_export",
    "teams:team_reviews",
    "teams:team_invitations",
    "teams:team_assignments",
]


@pytest.mark.parametrize("name", MANAGER_PAGES)
def test_manager_pages_need_a_manager(client, org, name):
    url = reverse(name)
    assert client.get(url)["Location"].startswith(reverse("account_login"))
    client.force_login(org["ana"])
    assert client.get(url).status_code == 403
    client.force_login(org["manager"])
    assert client.get(url).status_code == 200


def test_another_teams_manager_sees_none_of_our_people(client, org):
    team_services.assign_track(manager=org["manager"], track=org["track"], team=org["team"])
    client.force_login(org["other_manager"])
    body = client.get(reverse("teams:team")).content.decode()
    assert "Ana" not in body
    rows = read_csv(client.get(reverse("teams:team_export")))
    assert rows == []
    assignment = TrackAssignment.objects.get()
    response = client.post(
        reverse("teams:team_assignment_change", args=[assignment.pk]), {"cancel": "1"}
    )
    assert response.status_code == 404


def test_pasted_lists_with_old_mac_line_endings_split_into_lines():
    # A lone CR (classic Mac, some spreadsheets) used to stop the CSV reader with an error.
    lines = team_services.parse_invite_text("a@example.com\rb@example.com,Bea\r\nc@example.com")
    assert [(line.email, line.name) for line in lines] == [
        ("a@example.com", ""),
        ("b@example.com", "Bea"),
        ("c@example.com", ""),
    ]


def test_completions_chart_counts_certificates_by_month_within_its_window():
    from datetime import datetime, time

    from core.charts import month_starts
    from progress.models import Certificate
    from teams.dashboards import completions_by_month

    manager = factories.UserFactory()
    people = [factories.UserFactory() for _ in range(4)]
    factories.team_with(manager=manager, learners=people)
    outsider = factories.UserFactory()
    track = factories.make_track(slug="charted", modules=1, lessons_per_module=1)
    months = month_starts(timezone.localdate())

    def issue(person, month, *, day=1, end_of_day=False):
        certificate = Certificate.objects.create(
            learner=person, track=track, learner_name="x", track_title=track.title
        )
        moment = time.max if end_of_day else time.min
        issued = timezone.make_aware(datetime.combine(month.replace(day=day), moment))
        Certificate.objects.filter(pk=certificate.pk).update(issued_at=issued)

    issue(people[0], months[-1])  # the first instant of this month
    issue(people[1], months[-1], day=2)
    issue(people[2], months[1], end_of_day=True)
    issue(people[3], months[0].replace(day=1) - timedelta(days=1))  # just before the window
    issue(outsider, months[-1])  # not in the manager's teams

    series = completions_by_month(manager, months=months)

    assert [(s.track_title, s.points) for s in series] == [
        (track.title, [(months[1], 1), (months[-1], 2)])
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 minute ago"),
        (3_599, "59 minutes ago"),
        (3_600, "1 hour ago"),
        (86_399, "23 hours ago"),
        (86_400, "1 day ago"),
        (13 * 86_400 + 5, "13 days ago"),
        (14 * 86_400, "2 weeks ago"),
        (59 * 86_400, "8 weeks ago"),
        (60 * 86_400, "2 months ago"),
        (364 * 86_400, "12 months ago"),
        (365 * 86_400, "1 year ago"),
        (800 * 86_400, "2 years ago"),
    ],
)
def test_last_active_reads_in_one_unit(seconds, text):
    from teams.table import short_ago

    now = timezone.now()
    assert short_ago(now - timedelta(seconds=seconds), now) == text


def test_each_send_of_an_invitation_is_counted_in_the_database_with_its_own_ledger_key():
    from learners.models import Invitation
    from ledger.models import Message

    manager = factories.UserFactory()
    team = factories.team_with(manager=manager)
    invitation = Invitation.objects.create(team=team, email="new@example.com", invited_by=manager)
    team_services.send_invitation(invitation)
    stale = Invitation.objects.get(pk=invitation.pk)  # a second tab holding the old count
    team_services.send_invitation(invitation)
    team_services.send_invitation(stale)
    assert Invitation.objects.get(pk=invitation.pk).send_count == 3
    keys = set(Message.objects.filter(kind="invitation").values_list("key", flat=True))
    assert keys == {f"invitation:{invitation.pk}:{n}" for n in (1, 2, 3)}
