"""In-app notifications (issue 22, item 6): the events the transactional emails report, listed
for each person with an unread count in the header, recorded with the change they report."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courses.models import Track
from governance import policy as policies
from governance import services as governance
from learners.models import User
from ledger import notices
from ledger.models import Message, Notice
from progress import services
from teams import services as team_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    manager = factories.UserFactory(display_name="Max Manager", email="max@example.com")
    ana = factories.UserFactory(display_name="Ana", email="ana@example.com")
    ben = factories.UserFactory(display_name="Ben", email="ben@example.com")
    team = factories.team_with(manager=manager, learners=[ana, ben])
    track = factories.make_track(modules=1, lessons_per_module=1)
    Track.objects.filter(pk=track.pk).update(title="Client voice")
    track.refresh_from_db()
    return {"manager": manager, "ana": ana, "ben": ben, "team": team, "track": track}


def unread(user) -> int:
    return User.objects.get(pk=user.pk).unread_notices


def test_a_track_assigned_to_a_team_is_a_notice_and_an_email_for_each_person(
    client, team, django_capture_on_commit_callbacks
):
    due = timezone.localdate() + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        team_services.assign_track(
            manager=team["manager"], track=team["track"], team=team["team"], due_date=due
        )

    for person in (team["ana"], team["ben"]):
        [notice] = Notice.objects.filter(recipient=person)
        assert notice.title == (
            f"Max Manager assigned you “Client voice”, due {due.day} {due:%b %Y}"
        )
        assert notice.url == team["track"].get_absolute_url()
        assert unread(person) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "ben@example.com"]
    assert "Max Manager assigned you" in mail.outbox[0].subject

    client.force_login(team["ana"])
    page = client.get(reverse("progress:me")).content.decode()
    assert '1<span class="sr-only"> unread</span>' in page
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "Max Manager assigned you “Client voice”" in inbox


def test_opening_a_notice_marks_it_read_and_goes_where_it_points(client, team):
    team_services.assign_track(manager=team["manager"], track=team["track"], team=team["team"])
    notice = Notice.objects.get(recipient=team["ana"])
    client.force_login(team["ana"])

    response = client.post(reverse("notifications:open_notice", args=[notice.pk]))

    assert response["Location"] == team["track"].get_absolute_url()
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert unread(team["ana"]) == 0
    assert unread(team["ben"]) == 1  # Ben's own stays unread
    page = client.get(reverse("progress:me")).content.decode()
    assert 'sr-only"> unread' not in page


def test_mark_all_as_read(client, team):
    team_services.assign_track(manager=team["manager"], track=team["track"], team=team["team"])
    factories.team_with(manager=team["manager"], learners=[team["ana"]])
    other = factories.make_track(slug="other", modules=1, lessons_per_module=1)
    team_services.assign_track(manager=team["manager"], track=other, learner=team["ana"])
    assert unread(team["ana"]) == 2
    client.force_login(team["ana"])

    response = client.post(reverse("notifications:inbox"), follow=True)

    assert "Every notification is marked as read." in response.content.decode()
    assert unread(team["ana"]) == 0
    assert not Notice.objects.filter(recipient=team["ana"], read_at__isnull=True).exists()


def test_a_person_sees_only_their_own_notices(client, team):
    team_services.assign_track(manager=team["manager"], track=team["track"], team=team["team"])
    bens = Notice.objects.get(recipient=team["ben"])
    client.force_login(team["ana"])
    assert client.post(reverse("notifications:open_notice", args=[bens.pk])).status_code == 404
    bens.refresh_from_db()
    assert bens.read_at is None


def test_work_waiting_its_review_and_a_certificate_are_notices(
    team, django_capture_on_commit_callbacks
):
    lesson = team["track"].lessons.get()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    ana, manager = team["ana"], team["manager"]
    services.record_lesson_completion(learner=ana, lesson=lesson)
    submission = services.submit_assignment(learner=ana, assignment=assignment, text="Plan.")
    assert [n.title for n in Notice.objects.filter(recipient=manager)] == [
        f"Ana's “{assignment.title}” is waiting for your review"
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome="approved",
            feedback="Good.",
            points={criterion.pk: criterion.points for criterion in assignment.rubric.all()},
        )

    titles = list(Notice.objects.filter(recipient=ana).values_list("title", flat=True))
    assert f"Your “{assignment.title}” was approved" in titles
    assert "You earned the certificate for “Client voice”" in titles
    certificate_email = Message.objects.get(kind="certificate_issued")
    assert certificate_email.status == Message.Status.SENT
    assert "/certificates/" in certificate_email.body_text


def test_a_new_policy_version_is_a_notice_for_every_member(team):
    organisation = team["team"].organisation
    policies.save_draft(organisation=organisation, body="1. Be kind.")
    version = governance.publish_policy(organisation=organisation, by=team["manager"])
    ids = [team["ana"].pk, team["ben"].pk, team["manager"].pk]
    governance.send_policy_updates(version_id=version.pk, user_ids=ids)
    governance.send_policy_updates(version_id=version.pk, user_ids=ids)  # a retried batch
    assert Notice.objects.filter(kind="policy_update").count() == 3
    assert unread(team["ana"]) == 1


def test_a_rolled_back_change_leaves_no_notice(team):
    def assign_then_fail():
        with transaction.atomic():
            team_services.assign_track(
                manager=team["manager"], track=team["track"], team=team["team"]
            )
            raise RuntimeError("the request failed after the assignment")

    with pytest.raises(RuntimeError):
        assign_then_fail()
    assert not Notice.objects.exists()
    assert unread(team["ana"]) == 0


def test_saving_a_user_read_earlier_keeps_the_unread_count(team):
    ana = User.objects.get(pk=team["ana"].pk)  # read before the notice arrives
    team_services.assign_track(manager=team["manager"], track=team["track"], team=team["team"])
    ana.display_name = "Ana B"
    ana.save()
    assert unread(ana) == 1


def test_recording_the_same_event_twice_counts_once(team):
    event = notices.Event(team["ana"].pk, "same:1", "reviewed", "Reviewed", "/me/")
    notices.record([event])
    notices.record([event])
    assert Notice.objects.count() == 1
    assert unread(team["ana"]) == 1
