"""Hypothesis throws arbitrary input at the quiz, submission, review, invitation and profile
forms through the test client: never a server error, and every refusal says why."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from progress import services
from progress.models import Submission
from tests import factories
from tests.security.helpers import field_name, forget_messages, form_data
from tests.security.world import build_world
from tests.security.xss_corpus import PAYLOADS

pytestmark = pytest.mark.django_db

# One world per test function, many examples in it: the fixture is function-scoped on purpose.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ERROR_MARKERS = ('role="alert"', 'class="field__error"', "message--error")

# Text a browser could send: any character but lone surrogates (not encodable), plus the
# corpus, NULs, and the sizes just past every limit.
text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),
    st.sampled_from(PAYLOADS),
    st.sampled_from(["", " ", "\x00", "\x00abc", "a" * 81, "a" * 20_001, "é" * 300]),
)
numberish = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63), text, st.sampled_from(["1", "0", "-1"])
)


def assert_clear(client, response) -> None:
    """No server error; a refusal carries a message; a redirect leads to a working page."""
    assert response.status_code < 500, response.status_code
    if response.status_code in (400, 403, 404, 409):
        body = response.content.decode()
        assert response.status_code == 404 or any(m in body for m in ERROR_MARKERS), body[:500]
    elif response.status_code == 302:
        assert client.get(response["Location"]).status_code == 200
    else:
        assert response.status_code == 200
    forget_messages(client)


@pytest.fixture
def world():
    return build_world()


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_quiz_form(world):
    learner = world.users["learner_b"]
    client = signed_in(learner)
    quiz = world.lesson.quiz
    url = reverse("progress:quiz", args=[world.track.slug, world.lesson.slug])
    question_ids = [str(q.pk) for q in quiz.questions.all()]
    choice_ids = [str(c) for c in quiz.questions.values_list("choices", flat=True)]

    @FUZZ
    @given(
        token=st.one_of(st.just("valid"), text),
        answers=st.dictionaries(
            st.one_of(st.sampled_from(question_ids), text.map(lambda t: f"q{t}"[:50])),
            st.lists(st.one_of(st.sampled_from(choice_ids), numberish.map(str)), max_size=4),
            max_size=4,
        ),
    )
    def fuzz(token, answers):
        if token == "valid":
            token = services.new_attempt_token(learner=learner, quiz=quiz)
        data = {"attempt_token": token}
        data.update({(k if k.startswith("q") else f"q{k}"): v for k, v in answers.items()})
        assert_clear(client, client.post(url, data))

    fuzz()


def test_submission_form(world):
    client = signed_in(world.users["learner_b"])
    url = reverse("progress:assignment", args=[world.track.slug, world.lesson.slug])

    @FUZZ
    @given(
        body=text,
        link=st.one_of(text, text.map(lambda t: "https://example.com/" + t)),
        action=st.sampled_from(["preview", "submit", None]),
    )
    def fuzz(body, link, action):
        data = {"text": body, "link": link}
        if action:
            data[action] = "1"
        assert_clear(client, client.post(url, data))
        Submission.objects.filter(learner=world.users["learner_b"]).delete()  # start afresh

    fuzz()


def test_review_form(world):
    manager = world.users["manager"]
    client = signed_in(manager)
    assignment = world.lesson.assignment
    criteria = [str(c.pk) for c in assignment.rubric.all()]

    @FUZZ
    @given(
        outcome=st.one_of(st.sampled_from(["approved", "needs_revision"]), text),
        feedback=text,
        points=st.lists(numberish, min_size=len(criteria), max_size=len(criteria)),
    )
    def fuzz(outcome, feedback, points):
        learner = factories.UserFactory()
        factories.team_with(manager=manager, learners=[learner])
        submission = services.submit_assignment(learner=learner, assignment=assignment, text="x")
        data = {"outcome": outcome, "feedback": feedback}
        data.update({f"criterion_{pk}": value for pk, value in zip(criteria, points, strict=True)})
        assert_clear(client, client.post(submission.get_absolute_url(), data))

    fuzz()


def test_invitation_form(world):
    client = signed_in(world.users["manager"])
    url = reverse("teams:team_invitations")
    team = world.extra["team"]
    line = st.tuples(
        st.one_of(st.emails(), text), st.one_of(st.just(""), text), st.sampled_from(["", team.name])
    ).map(lambda cells: ",".join(cells))

    @FUZZ
    @given(
        team_value=st.one_of(st.just(str(team.pk)), numberish.map(str)),
        lines=st.lists(line, max_size=5),
        upload=st.one_of(st.none(), st.binary(max_size=600), text.map(str.encode)),
    )
    def fuzz(team_value, lines, upload):
        data = {"team": team_value, "emails": "\n".join(lines)}
        if upload is not None:
            data["csv_file"] = SimpleUploadedFile("people.csv", upload, "text/csv")
        assert_clear(client, client.post(url, data))

    fuzz()


def test_profile_form(world):
    client = signed_in(world.users["learner_b"])
    url = reverse("profile")
    template = form_data(client.get(url).content.decode(), containing="display_name")
    names = list(template)

    @FUZZ
    @given(
        display_name=text,
        timezone=st.one_of(st.sampled_from(["UTC", "Europe/London", "Mars/Olympus"]), text),
        noise=st.dictionaries(st.sampled_from(names), numberish.map(str), max_size=4),
    )
    def fuzz(display_name, timezone, noise):
        data = {**template, **{k: [v] for k, v in noise.items()}}
        data[field_name(template, "display_name")] = [display_name]
        data[field_name(template, "timezone")] = [timezone]
        assert_clear(client, client.post(url, data))

    fuzz()
