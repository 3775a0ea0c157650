"""Quiz integrity: answers never leak before submitting, drafts can't be taken, and one form
submitted from many threads at once records exactly one attempt."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Choice, Question
from progress import services
from progress.models import LessonCompletion, QuizAttempt
from tests import factories
from tests.progress.helpers import answers_for, quiz_url
from tests.security import urlwalk
from tests.security.test_authorization_matrix import MATRIX
from tests.security.world import build_world

CANARY = "canary-7f3a9c-answer-leak"
# Confirming an emailed practice answer (a POST) explains it; opening the link (GET) doesn't.
ANSWERING: set[str] = set()


@pytest.mark.django_db
def test_no_explanation_or_feedback_reaches_a_learner_before_they_submit():
    world = build_world()
    learner = world.users["learner_b"]  # B has not taken the quiz
    for question in Question.objects.all():
        question.explanation = f"{CANARY} explanation {question.pk}"
        question.save()
    for choice in Choice.objects.all():
        choice.feedback = f"{CANARY} feedback {choice.pk}"
        choice.save()
    client = Client(raise_request_exception=False)
    client.force_login(learner)
    # The pages the brief names first, with B's own data export...
    named = [
        world.lesson.get_absolute_url(),
        quiz_url(world.lesson),
        reverse("progress:me"),
        reverse("progress:my_data"),
        world.track.get_absolute_url(),
    ]
    for url in named:
        response = client.get(url)
        assert response.status_code == 200, url
        assert CANARY not in response.content.decode(), url
    # ...then every other URL of the site, as B, with A's objects (A's attempt is A's).
    routes = urlwalk.all_routes()
    fetched = 0
    for key in sorted(MATRIX):
        if key in ANSWERING:
            continue
        response = client.get(urlwalk.url_for(routes[key], world))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert CANARY.encode() not in body, key
        fetched += 1
    assert fetched > 100


@pytest.mark.django_db
def test_submitting_shows_the_feedback_the_canary_stood_for(client):
    """The positive control: after submitting, the explanations do appear."""
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = factories.add_quiz(lesson)
    Question.objects.filter(quiz=quiz).update(explanation=CANARY)
    learner = factories.UserFactory()
    client.force_login(learner)
    token = services.new_attempt_token(learner=learner, quiz=quiz)
    response = client.post(quiz_url(lesson), {"attempt_token": token, **answers_for(quiz)})
    assert CANARY in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "archived track", "archived quiz"])
@pytest.mark.parametrize("who", ["learner", "staff"])
def test_a_quiz_that_is_not_live_cannot_be_submitted(client, state, who):
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = factories.add_quiz(lesson)
    user = factories.UserFactory(is_staff=who == "staff", is_superuser=who == "staff")
    token = services.new_attempt_token(learner=user, quiz=quiz)  # a form opened while live
    if state == "draft":
        track.is_published = False
        track.save()
    elif state == "archived track":
        track.archived_at = timezone.now()
        track.save()
    else:
        quiz.archived_at = timezone.now()
        quiz.save()
    client.force_login(user)
    response = client.post(quiz_url(lesson), {"attempt_token": token, **answers_for(quiz)})
    assert response.status_code == 404
    assert not QuizAttempt.objects.exists()
    assert not LessonCompletion.objects.exists()


ROUNDS = 50
THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_one_attempt_token_from_eight_threads_records_one_attempt_every_round():
    track = factories.make_track(slug="race-track", modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    quiz = factories.add_quiz(lesson)
    learner = factories.UserFactory()
    tokens = [services.new_attempt_token(learner=learner, quiz=quiz) for _ in range(ROUNDS)]
    answers = answers_for(quiz)
    url = quiz_url(lesson)
    clients = []
    for _ in range(THREADS):
        client = Client(raise_request_exception=False)
        client.force_login(learner)
        clients.append(client)
    barrier = threading.Barrier(THREADS)
    outcomes: list[list[tuple[int, str]]] = [[] for _ in range(ROUNDS)]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(client):
        try:
            for number, token in enumerate(tokens):
                barrier.wait(timeout=30)
                response = client.post(url, {"attempt_token": token, **answers})
                with lock:
                    outcomes[number].append((response.status_code, response.get("Location", "")))
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    server_errors = [code for round_ in outcomes for code, _ in round_ if code >= 500]
    assert server_errors == []
    assert QuizAttempt.objects.count() == ROUNDS
    for number, round_ in enumerate(outcomes):
        assert len(round_) == THREADS, number
        assert {code for code, _ in round_} == {302}, (number, round_)
        assert len({location for _, location in round_}) == 1, (number, round_)
    assert len({round_[0][1] for round_ in outcomes}) == ROUNDS
    assert LessonCompletion.objects.count() == 1
