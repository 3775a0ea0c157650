"""Certificates expire after their track's validity period; a refresher renews them; a nudge
reminds the learner once per certificate and validity period."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services as course_services
from courses.dates import add_months
from learners.models import Preferences
from ledger.models import Message
from notifications import dispatch
from progress import recertification, services
from progress.models import Certificate, Enrolment
from tests import factories
from tests.governance import helpers as gov
from tests.progress.helpers import answers_for

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@pytest.fixture
def track():
    """Two lessons: a plain one and one with a quiz; certificates valid for 12 months."""
    track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=2)
    track.validity_months = 12
    track.save()
    factories.add_quiz(track.lessons.order_by("position").last())
    return track


def lessons(track):
    plain, quizzed = track.lessons.order_by("position")
    return plain, quizzed


def pass_quiz(learner, lesson):
    quiz = lesson.quiz
    token = services.new_attempt_token(learner=learner, quiz=quiz)
    answers = {key[1:]: value for key, value in answers_for(quiz).items()}
    return services.submit_quiz_attempt(learner=learner, quiz=quiz, token=token, answers=answers)


def complete_track(learner, track) -> Certificate:
    plain, quizzed = lessons(track)
    services.record_lesson_completion(learner=learner, lesson=plain)
    pass_quiz(learner, quizzed)
    return Certificate.objects.get(learner=learner, track=track)


def test_certificate_expires_after_the_tracks_validity(learner, track):
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    assert certificate.issued_at == ISSUED
    assert certificate.expires_at == datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    assert not certificate.is_expired(ISSUED + timedelta(days=364))
    assert certificate.is_expired(datetime(2027, 1, 5, 10, 0, tzinfo=UTC))


def test_a_track_without_validity_issues_certificates_for_ever(learner, track):
    track.validity_months = None
    track.save()
    certificate = complete_track(learner, track)
    assert certificate.expires_at is None
    assert not certificate.is_expired(datetime(2099, 1, 1, tzinfo=UTC))


def test_public_page_shows_validity_and_expiry(client, learner, track):
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    client.force_login(learner)  # only the holder is offered "Add to LinkedIn"
    with gov.at(ISSUED + timedelta(days=30)):
        body = client.get(certificate.get_absolute_url()).content.decode()
    assert "Valid until" in body and "5 January 2027" in body
    assert "expirationYear=2027" in body
    with gov.at(ISSUED + timedelta(days=400)):
        body = client.get(certificate.get_absolute_url()).content.decode()
    assert "Expired on" in body and "certificate__expired" in body
    assert "certificate__valid" not in body


def test_the_refresher_renews_the_certificate(client, learner, track):
    plain, quizzed = lessons(track)
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    with gov.at(ISSUED + timedelta(days=100)):
        course_services.mark_lessons_changed(lessons=[plain])
    window = certificate.expires_at - timedelta(days=20)
    with gov.at(window):
        plan = recertification.refresher(certificate)
        assert [(i.title, i.done) for i in plan.lessons] == [(plain.title, False)]
        assert [(i.title, i.done) for i in plan.quizzes] == [(quizzed.title, False)]
        pass_quiz(learner, quizzed)
        certificate.refresh_from_db()
        assert certificate.renewed_at is None  # the changed lesson is still to read
        client.force_login(learner)
        body = client.get(reverse("progress:me")).content.decode()
        assert "Refresher: Track newcomer" in body and "read the new version" in body
        client.post(reverse("progress:complete_lesson", args=[track.slug, plain.slug]))
    certificate.refresh_from_db()
    assert certificate.renewed_at == window
    # A renewal in the window runs on from the old expiry date: nothing is lost by being early.
    assert certificate.expires_at == datetime(2028, 1, 5, 10, 0, tzinfo=UTC)


def test_work_done_before_the_window_does_not_renew(learner, track):
    _, quizzed = lessons(track)
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    with gov.at(certificate.expires_at - timedelta(days=60)):
        pass_quiz(learner, quizzed)
    certificate.refresh_from_db()
    assert certificate.renewed_at is None
    with gov.at(certificate.expires_at - timedelta(days=10)):
        assert not recertification.refresher(certificate).done


def test_an_expired_certificate_renews_from_the_day_of_renewal(learner, track):
    _, quizzed = lessons(track)
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    later = certificate.expires_at + timedelta(days=45)
    with gov.at(later):
        pass_quiz(learner, quizzed)
    certificate.refresh_from_db()
    assert certificate.expires_at == add_months(later, 12)


# -- the nudge -----------------------------------------------------------------------------------


def recert_nudges(email: str):
    return [m for m in mail.outbox if m.to == [email] and "refresher" in m.subject]


def test_recertification_nudge_is_sent_once_per_certificate_and_window(learner, track):
    plain, quizzed = lessons(track)
    Preferences.objects.create(user=learner, digest_enabled=False)
    with gov.at(ISSUED):
        certificate = complete_track(learner, track)
    with gov.at(ISSUED + timedelta(days=200)):
        course_services.mark_lessons_changed(lessons=[plain])
    Enrolment.objects.filter(learner=learner).update(last_activity_at=certificate.expires_at)
    expiry = certificate.expires_at

    # Before the window: nothing. Inside it, every day for two weeks: exactly one reminder.
    dispatch.dispatch(now=expiry - timedelta(days=31), enqueue=False)
    assert recert_nudges(learner.email) == []
    for days_left in range(29, 15, -1):
        dispatch.dispatch(now=expiry - timedelta(days=days_left), enqueue=False)
    [email] = recert_nudges(learner.email)
    assert "5 Jan" in email.subject
    assert plain.title in email.body and quizzed.title in email.body
    assert f"/tracks/{track.slug}/{quizzed.slug}/quiz/" in email.body
    key = f"recert:{certificate.pk}:{expiry.date().isoformat()}"
    assert Message.objects.filter(topic=key).count() == 1

    # Renewed: the next validity period gets its own reminder, once.
    Certificate.objects.filter(pk=certificate.pk).update(
        renewed_at=expiry - timedelta(days=15), expires_at=add_months(expiry, 12)
    )
    next_expiry = add_months(expiry, 12)
    Enrolment.objects.filter(learner=learner).update(last_activity_at=next_expiry)
    for days_left in (25, 24, 23):
        dispatch.dispatch(now=next_expiry - timedelta(days=days_left), enqueue=False)
    assert len(recert_nudges(learner.email)) == 2
    assert Message.objects.filter(topic__startswith=f"recert:{certificate.pk}:").count() == 2


def test_an_empty_refresher_is_confirmed_with_a_button(client, learner):
    track = factories.make_track(slug="no-quiz", modules=1, lessons_per_module=1)
    track.validity_months = 6
    track.save()
    with gov.at(ISSUED):
        services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    certificate = Certificate.objects.get(learner=learner)
    renew = reverse("progress:renew_certificate", args=[certificate.code])
    client.force_login(learner)
    with gov.at(certificate.expires_at - timedelta(days=60)):
        client.post(renew)  # the refresher isn't open yet
    certificate.refresh_from_db()
    assert certificate.renewed_at is None
    with gov.at(certificate.expires_at - timedelta(days=5)):
        assert "Renew my certificate" in client.get(reverse("progress:me")).content.decode()
        assert client.post(renew).status_code == 302
    certificate.refresh_from_db()
    assert certificate.expires_at == add_months(add_months(ISSUED, 6), 6)
    other = factories.UserFactory()
    client.force_login(other)
    assert client.post(renew).status_code == 404  # only the holder renews


def test_me_shows_every_open_refresher_in_the_same_queries_as_none(
    client, learner, track, django_assert_num_queries
):
    """/me/ reads the refreshers' lessons with its own lessons: three certificates in their
    windows cost what none do, and each shows what `refresher()` (read on its own) says."""
    others = []
    for n in (2, 3):
        other = factories.make_track(slug=f"refresh-{n}", modules=1, lessons_per_module=2)
        other.validity_months = 12
        other.save()
        factories.add_quiz(other.lessons.order_by("position").last())
        others.append(other)
    with gov.at(ISSUED - timedelta(days=1)):
        client.force_login(learner)
        client.get(reverse("progress:me"))  # warm the page's caches
        with CaptureQueriesContext(connection) as before:
            first = client.get(reverse("progress:me"))
        queries_without = len(before)  # now: the next request clears the connection's log
    assert first.status_code == 200 and queries_without > 0
    with gov.at(ISSUED):
        certificates = [complete_track(learner, t) for t in (track, *others)]
    with gov.at(ISSUED + timedelta(days=100)):
        changed = [lessons(track)[0], lessons(others[0])[1], lessons(others[1])[0]]
        course_services.mark_lessons_changed(lessons=changed)
    window = ISSUED + timedelta(days=350)
    with gov.at(window):
        pass_quiz(learner, lessons(others[1])[1])  # part-done: its changed lesson is left
        expected = [recertification.refresher(c) for c in certificates]
        assert [len(plan.lessons) for plan in expected] == [1, 1, 1]
        client.force_login(learner)  # the first session ran out months ago
        client.get(reverse("progress:me"))
        with django_assert_num_queries(queries_without):
            response = client.get(reverse("progress:me"))
    assert response.status_code == 200
    body = response.content.decode()

    def line(item, what):
        return f'{"✓" if item.done else "○"} {what}: <a href="{item.url}">{item.title}</a>'

    for plan in expected:
        for item in plan.lessons:
            assert line(item, "Read again (it changed since you completed it)") in body
        for item in plan.quizzes:
            assert line(item, "Pass the quiz again") in body
    assert [item.done for plan in expected for item in plan.quizzes] == [False, False, True]
    assert all(f"Refresher: {t.title}" in body for t in (track, *others))
