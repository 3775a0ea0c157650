"""Faults: the database refusing a write gives the person a clear message, never a 500.

`refused_writes` makes the database refuse every INSERT or UPDATE of one table, as a
constraint does when two tabs race past a check (IntegrityError), a value doesn't fit
(DataError) or the database is locked or gone (OperationalError). Each write path of the site
is tried against it: the answer is a 4xx/503 or a redirect with a message, the page says what
happened, and nothing is half-saved.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import DataError, IntegrityError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from learners.models import Invitation, TrackAssignment, User
from progress.models import LessonCompletion, QuizAttempt, Review, Submission
from teams import services as team_services
from tests.progress.helpers import answers_for, attempt_token, quiz_url
from tests.security.helpers import field_name, form_data
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

MESSAGE_MARKERS = ('role="alert"', "message--error", 'class="field__error"')


@contextmanager
def refused_writes(table: str, error: type[Exception] = IntegrityError):
    """Every INSERT into or UPDATE of `table` fails with `error`, as a constraint would."""

    def refuse(execute, sql, params, many, context):
        statement = sql.lstrip().upper()
        if statement.startswith((f'INSERT INTO "{table.upper()}"', f'UPDATE "{table.upper()}"')):
            raise error(f"simulated: the database refused a write to {table}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def world():
    return build_world()


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def said_what_happened(client, response) -> bool:
    """The page, or the page the redirect leads to, tells the person something went wrong."""
    if response.status_code in (301, 302, 303):
        response = client.get(response["Location"])
    body = response.content.decode()
    return any(marker in body for marker in MESSAGE_MARKERS)


def _quiz(world):
    client = signed_in(world.users["learner_b"])
    data = {"attempt_token": attempt_token(client, world.lesson), **answers_for(world.lesson.quiz)}
    return (
        client,
        quiz_url(world.lesson),
        data,
        lambda: not QuizAttempt.objects.filter(learner=world.users["learner_b"]).exists(),
    )


def _submission(world):
    client = signed_in(world.users["learner_b"])
    url = reverse("progress:assignment", args=[world.track.slug, world.lesson.slug])
    return (
        client,
        url,
        {"text": "Two tabs", "submit": "1"},
        lambda: not Submission.objects.filter(learner=world.users["learner_b"]).exists(),
    )


def _review(world):
    client = signed_in(world.users["manager"])
    data = {"outcome": "approved", "feedback": "Good."}
    data.update({f"criterion_{c.pk}": 1 for c in world.lesson.assignment.rubric.all()})

    def nothing_saved():
        world.submission.refresh_from_db()
        return (
            not Review.objects.exists()
            and world.submission.status == Submission.Status.AWAITING_REVIEW
        )

    return client, world.submission.get_absolute_url(), data, nothing_saved


def _profile(world):
    client = signed_in(world.a)
    data = form_data(client.get(reverse("profile")).content.decode(), containing="display_name")
    data[field_name(data, "display_name")] = ["Racing tabs"]
    return (
        client,
        reverse("profile"),
        data,
        lambda: User.objects.get(pk=world.a.pk).display_name == "Learner A",
    )


def _complete_lesson(world):
    client = signed_in(world.users["learner_b"])
    url = reverse("progress:complete_lesson", args=[world.track.slug, world.plain_lesson.slug])
    return (
        client,
        url,
        {},
        lambda: (
            not LessonCompletion.objects.filter(
                learner=world.users["learner_b"], lesson=world.plain_lesson
            ).exists()
        ),
    )


def _invite(world):
    client = signed_in(world.users["manager"])
    data = {"team": world.extra["team"].pk, "emails": "racer@example.com,Racer"}
    return (
        client,
        reverse("teams:team_invitations"),
        data,
        lambda: not (Invitation.objects.filter(email="racer@example.com").exists()),
    )


def _assign(world):
    client = signed_in(world.users["manager"])
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    data = {"track": world.track.pk, "learner": world.users["learner_b"].pk, "due_date": due}
    return (
        client,
        reverse("teams:team_assignments"),
        data,
        lambda: not (TrackAssignment.objects.filter(learner=world.users["learner_b"]).exists()),
    )


def _accept_invitation(world):
    invitation = Invitation.objects.create(
        team=world.extra["team"],
        email=world.users["outsider"].email,
        invited_by=world.users["manager"],
    )
    client = signed_in(world.users["outsider"])
    url = reverse("teams:invitation", args=[team_services.invitation_token(invitation)])
    return client, url, {}, lambda: Invitation.objects.get(pk=invitation.pk).accepted_at is None


WRITE_PATHS = {
    "quiz attempt": (_quiz, "progress_quizattempt"),
    "submission": (_submission, "progress_submission"),
    "review": (_review, "progress_review"),
    "profile": (_profile, "learners_user"),
    "lesson completion": (_complete_lesson, "progress_lessoncompletion"),
    "invitation": (_invite, "learners_invitation"),
    "track assignment": (_assign, "learners_trackassignment"),
    "accepting an invitation": (_accept_invitation, "learners_invitation"),
}


@pytest.mark.parametrize("error", [IntegrityError, DataError, OperationalError])
@pytest.mark.parametrize("path", sorted(WRITE_PATHS))
def test_a_refused_write_gets_a_clear_message_not_a_server_error(world, path, error):
    prepare, table = WRITE_PATHS[path]
    client, url, data, nothing_saved = prepare(world)
    with refused_writes(table, error):
        response = client.post(url, data)
    assert response.status_code < 500 or response.status_code == 503, response.status_code
    assert said_what_happened(client, response), (path, response.status_code)
    assert nothing_saved(), path


def test_the_net_answers_with_the_status_that_says_what_happened(world):
    client, url, data, _ = _review(world)
    expected = {IntegrityError: 409, DataError: 400, OperationalError: 503}
    for error, status in expected.items():
        with refused_writes("progress_review", error):
            response = client.post(url, data)
        assert response.status_code == status
        body = response.content.decode()
        assert "nothing was saved" in body
        assert "Traceback" not in body and "simulated" not in body
    with refused_writes("progress_review", OperationalError):
        assert client.post(url, data)["Retry-After"] == "60"


def test_two_tabs_submitting_the_same_version_keep_one_and_explain(world):
    """The real race, without a simulated fault: both tabs opened the form before either sent."""
    learner = world.users["learner_b"]
    first, second = signed_in(learner), signed_in(learner)
    url = reverse("progress:assignment", args=[world.track.slug, world.lesson.slug])
    first.get(url)
    second.get(url)
    assert first.post(url, {"text": "From tab one", "submit": "1"}).status_code == 302
    response = second.post(url, {"text": "From tab two", "submit": "1"})
    assert response.status_code == 200
    assert "still awaiting review" in response.content.decode()
    assert Submission.objects.filter(learner=learner).count() == 1


# -- values the database would refuse are refused by the form first, with a message -----------


def test_a_csv_with_a_null_character_is_refused_before_anything_is_sent(world, mailoutbox):
    """PostgreSQL refuses NUL in text; the form says so instead of inviting half the file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    mailoutbox.clear()  # the world's own emails
    client = signed_in(world.users["manager"])
    upload = SimpleUploadedFile(
        "people.csv", b"first@example.com,First\nsecond@example.com,Sec\x00ond\n", "text/csv"
    )
    response = client.post(
        reverse("teams:team_invitations"), {"team": world.extra["team"].pk, "csv_file": upload}
    )
    assert response.status_code == 400
    assert "null character" in response.content.decode()
    assert not Invitation.objects.filter(email__in=["first@example.com", "second@example.com"])
    assert mailoutbox == []


def test_an_address_too_long_to_store_is_a_problem_line_not_a_database_error(world):
    client = signed_in(world.users["manager"])
    too_long = "a" * 250 + "@example.com"  # valid by the email validator (up to 320), not storable
    response = client.post(
        reverse("teams:team_invitations"),
        {"team": world.extra["team"].pk, "emails": f"{too_long}\nfine@example.com"},
    )
    assert response.status_code == 400
    assert "is not a valid email address" in response.content.decode()
    assert Invitation.objects.filter(email="fine@example.com").exists()
    assert not Invitation.objects.filter(email=too_long).exists()
