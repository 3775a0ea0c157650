"""Each kind of event is recorded by the real service or view where it happens: who, whom,
where, what, and from which address."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from courses import services as course_services
from governance import policy as policies
from governance import services as governance
from learners import services as learner_services
from learners.models import Invitation, Membership, Organisation, Team
from practice import studio
from practice.models import PracticePost
from progress import services
from teams import services as team_services
from tests import factories

pytestmark = pytest.mark.django_db

Kind = AuditEntry.Kind


def only(kind) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(kind=kind)
    return entry


@pytest.fixture
def people():
    manager = factories.UserFactory(email="manager@example.com", display_name="Mia Manager")
    learner = factories.UserFactory(email="lee@example.com", display_name="Lee Learner")
    team = factories.team_with(manager=manager, learners=[learner])
    return manager, learner, team


def test_a_sign_in_is_recorded_with_the_address_it_came_from(client, people):
    _, learner, team = people
    response = client.post(
        reverse("account_login"),
        {"login": learner.email, "password": factories.PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    entry = only(Kind.SIGN_IN)
    assert (entry.actor, entry.subject, entry.actor_email) == (learner, learner, learner.email)
    assert (entry.organisation, entry.organisation_name) == (team.organisation, "Acme")
    assert entry.ip_address == "203.0.113.7"


def test_the_client_address_behind_a_trusted_proxy_is_the_forwarded_one(client, people, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _, learner, _ = people
    client.post(
        reverse("account_login"),
        {"login": learner.email, "password": factories.PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert only(Kind.SIGN_IN).ip_address == "198.51.100.4"


def test_a_wrong_password_is_recorded_against_the_account_it_tried(client, people):
    _, learner, team = people
    client.post(reverse("account_login"), {"login": learner.email, "password": "wrong"})
    assert not AuditEntry.objects.filter(kind=Kind.SIGN_IN).exists()
    entry = only(Kind.SIGN_IN_FAILED)
    assert entry.actor is None and entry.subject == learner
    assert entry.organisation == team.organisation
    assert entry.ip_address == "127.0.0.1"


def test_a_wrong_address_is_recorded_for_staff_only(client, people):
    client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "x"})
    entry = only(Kind.SIGN_IN_FAILED)
    assert entry.subject is None and entry.subject_email == "nobody@example.com"
    assert entry.organisation is None


def test_joining_a_team_by_invitation_is_recorded(people):
    manager, _, team = people
    newcomer = factories.UserFactory(email="new@example.com")
    invitation = Invitation.objects.create(team=team, email=newcomer.email, invited_by=manager)
    team_services.accept_invitation(invitation=invitation, user=newcomer)
    entry = only(Kind.MEMBERSHIP_ADDED)
    assert (entry.actor, entry.subject, entry.organisation) == (
        newcomer,
        newcomer,
        team.organisation,
    )
    assert entry.details == {"role": "learner"}
    assert entry.target == f"Team “{team.name}”"


def test_a_membership_made_in_the_admin_is_recorded(admin_client, people):
    _, learner, team = people
    other = Team.objects.create(organisation=team.organisation, name="Second team")
    response = admin_client.post(
        reverse("admin:learners_membership_add"),
        {"user": learner.pk, "team": other.pk, "role": "manager"},
    )
    assert response.status_code == 302
    entry = only(Kind.MEMBERSHIP_ADDED)
    assert entry.actor.is_superuser and entry.subject == learner
    assert entry.details == {"role": "manager"}
    membership = Membership.objects.get(team=other)
    admin_client.post(
        reverse("admin:learners_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert only(Kind.MEMBERSHIP_REMOVED).subject == learner


def test_assigning_changing_and_cancelling_a_track_are_recorded(client, people):
    manager, learner, team = people
    track = factories.make_track(slug="assigned", modules=1, lessons_per_module=1)
    assignment = team_services.assign_track(manager=manager, track=track, team=team)
    entry = only(Kind.TRACK_ASSIGNED)
    assert (entry.actor, entry.subject, entry.organisation) == (manager, None, team.organisation)
    assert entry.target == f"Track “{track.title}” for team “{team.name}”"

    client.force_login(manager)
    url = reverse("teams:team_assignment_change", args=[assignment.pk])
    due = timezone.localdate() + timedelta(days=9)
    client.post(url, {"due_date": due.isoformat()})
    assert only(Kind.ASSIGNMENT_CHANGED).details["due_date"] == due.isoformat()
    client.post(url, {"cancel": "1"})
    assert only(Kind.ASSIGNMENT_CANCELLED).actor == manager

    personal = team_services.assign_track(manager=manager, track=track, learner=learner)
    entry = AuditEntry.objects.get(kind=Kind.TRACK_ASSIGNED, details__assignment=personal.pk)
    assert (entry.subject, entry.organisation) == (learner, team.organisation)


def test_a_review_of_practice_work_is_recorded(people):
    manager, learner, _ = people
    track = factories.make_track(slug="reviewed", modules=1, lessons_per_module=1)
    assignment = factories.add_assignment(track.lessons.first())
    factories.add_rubric(assignment)
    submission = services.submit_assignment(learner=learner, assignment=assignment, text="Work")
    services.review_submission(
        reviewer=manager,
        submission=submission,
        outcome="needs_revision",
        feedback="Private feedback",
        points={c.pk: 0 for c in assignment.rubric.all()},
    )
    entry = only(Kind.SUBMISSION_REVIEWED)
    assert (entry.actor, entry.subject) == (manager, learner)
    assert entry.details == {"submission": submission.pk, "outcome": "needs_revision"}
    assert "Private feedback" not in json.dumps(entry.details) + entry.target


def test_a_review_of_a_practice_post_is_recorded(people):
    manager, learner, _ = people
    post = PracticePost.objects.create(
        learner=learner, network="linkedin", text="Hello", status="in_review", reviewer=manager
    )
    studio.review_post(reviewer=manager, post=post, outcome="approved", comment="")
    entry = only(Kind.POST_REVIEWED)
    assert (entry.actor, entry.subject, entry.details["outcome"]) == (manager, learner, "approved")


def test_an_extra_attempt_granted_on_the_team_page_is_recorded(client, people):
    manager, learner, _ = people
    track = factories.make_track(slug="quizzed", modules=1, lessons_per_module=1)
    quiz = factories.add_quiz(track.lessons.first())
    client.force_login(manager)
    client.post(reverse("teams:team_attempts"), {"learner": learner.pk, "quiz": quiz.pk})
    entry = only(Kind.EXTRA_ATTEMPT_GRANTED)
    assert (entry.actor, entry.subject, entry.details) == (manager, learner, {"quiz": quiz.pk})


def test_publishing_the_policy_and_naming_its_owner_are_recorded(people):
    manager, _, team = people
    organisation = team.organisation
    policies.make_policy_owner(user=manager, organisation=organisation)
    assert only(Kind.POLICY_OWNER_ADDED).subject == manager
    policies.save_draft(organisation=organisation, body="Be kind.")
    governance.publish_policy(organisation=organisation, by=manager)
    entry = only(Kind.POLICY_PUBLISHED)
    assert (entry.actor, entry.organisation, entry.target) == (
        manager,
        organisation,
        "Policy version 1",
    )


def test_publishing_and_archiving_content_are_recorded_for_staff():
    staff = factories.UserFactory(is_staff=True)
    track = factories.make_track(slug="draft-track", modules=1, lessons_per_module=1)
    course_services.unpublish_track(track=track, by=staff)
    course_services.publish_track(track=track, by=staff)
    course_services.archive_content(item=track, by=staff)
    kinds = list(AuditEntry.objects.order_by("pk").values_list("kind", "organisation"))
    assert kinds == [
        (Kind.CONTENT_UNPUBLISHED, None),
        (Kind.CONTENT_PUBLISHED, None),
        (Kind.CONTENT_ARCHIVED, None),
    ]
    assert only(Kind.CONTENT_ARCHIVED).target == f"Track “{track.title}”"


def test_exports_are_recorded(client, people):
    manager, learner, team = people
    client.force_login(learner)
    client.get(reverse("progress:my_data"))
    entry = only(Kind.DATA_EXPORTED)
    assert (entry.actor, entry.subject, entry.target) == (learner, learner, "My data")

    client.force_login(manager)
    b"".join(client.get(reverse("teams:team_export")).streaming_content)
    entry = AuditEntry.objects.get(kind=Kind.DATA_EXPORTED, actor=manager)
    assert (entry.organisation, entry.target) == (team.organisation, "Team progress CSV")


def test_the_roster_csv_is_recorded(client, people):
    manager, _, team = people
    client.force_login(manager)
    b"".join(client.get(reverse("governance:roster_csv")).streaming_content)
    entry = only(Kind.DATA_EXPORTED)
    assert (entry.actor, entry.organisation) == (manager, team.organisation)


def test_an_entry_about_someone_in_two_organisations_is_in_both_logs(people):
    manager, learner, _ = people
    elsewhere = Organisation.objects.create(name="Elsewhere", slug="elsewhere")
    learner_services.ensure_membership(
        user=learner, team=Team.objects.create(organisation=elsewhere, name="Away"), role="learner"
    )
    AuditEntry.objects.all().delete()
    services.grant_extra_attempt(
        granted_by=manager,
        learner=learner,
        quiz=factories.add_quiz(factories.make_track(slug="q2").lessons.first()),
    )
    names = sorted(
        AuditEntry.objects.filter(kind=Kind.EXTRA_ATTEMPT_GRANTED).values_list(
            "organisation_name", flat=True
        )
    )
    assert names == ["Acme", "Elsewhere"]
