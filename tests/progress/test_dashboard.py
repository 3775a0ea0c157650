"""'My learning' at /me/, the data download, and query budgets that hold as data grows."""

import json

import pytest
from django.urls import reverse

from progress import data_export, services
from progress.models import Submission
from tests import factories
from tests.progress.helpers import take_quiz

pytestmark = pytest.mark.django_db


def test_dashboard_shows_tracks_results_assignments_and_certificates(client, learner, staff_user):
    track = factories.make_track(modules=1, lessons_per_module=3)
    first, quizzed, practical = track.lessons.order_by("position")
    factories.add_quiz(quizzed)
    factories.add_rubric(factories.add_assignment(practical))
    done = factories.make_track(slug="done-track", modules=1, lessons_per_module=1)
    client.force_login(learner)
    client.post(reverse("progress:complete_lesson", args=[track.slug, first.slug]))
    take_quiz(client, quizzed, correct=False)
    services.submit_assignment(learner=learner, assignment=practical.assignment, text="Draft")
    services.record_lesson_completion(learner=learner, lesson=done.lessons.get())

    body = client.get(reverse("progress:me")).content.decode()

    assert "Continue where you left off" in body
    assert "33% — 1 of 3 lessons" in body
    assert "Lesson 1.2" in body  # next lesson / quiz result
    assert "0%" in body
    assert "not yet" in body
    assert "Awaiting review" in body
    assert "Track done-track" in body
    assert done.certificates.get().get_absolute_url() in body


def test_new_learner_is_pointed_to_placement(client, learner):
    client.force_login(learner)
    body = client.get(reverse("progress:me")).content.decode()
    assert reverse("placement") in body


def test_data_download_includes_every_model_that_points_at_the_user(client, learner):
    track = factories.make_track(modules=1, lessons_per_module=2, with_quiz=True)
    lesson = track.lessons.first()
    client.force_login(learner)
    take_quiz(client, lesson)

    response = client.get(reverse("progress:my_data"))

    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == learner.email
    assert "password" not in json.dumps(data["account"]).replace('"[redacted]"', "") or data[
        "account"
    ].get("password") in (None, "[redacted]")
    expected = {name for name, _, _ in data_export.related_sections()}
    assert expected <= set(data)
    assert len(data["progress.quizattempt"]) == 1
    assert data["progress.quizattempt"][0]["token"] == "[redacted]"


def test_sections_of_moved_models_keep_their_names():
    """Models that moved between apps kept their tables, and the export its section names."""
    from governance.models import PolicyAcknowledgement
    from learners.models import Placement
    from practice.models import PracticePost

    assert data_export.section_label(PracticePost) == "progress.practicepost"
    assert data_export.section_label(PolicyAcknowledgement) == "learners.policyacknowledgement"
    assert data_export.section_label(Placement) == "learners.placement"
    sections = {name for name, _, _ in data_export.related_sections()}
    assert "admin.logentry" in sections  # a table named otherwise (django_admin_log)
    born_in_the_new_apps = {n for n in sections if n.startswith(("practice.", "governance."))}
    assert born_in_the_new_apps == {"governance.levelholding"}  # created there, not moved


def test_every_relation_to_the_user_is_in_the_export():
    """A new model pointing at the user fails here until the export covers it (it does so by
    construction; this guards the construction)."""
    from learners.models import User

    exported = {model for _, model, _ in data_export.related_sections()}
    pointing = {rel.related_model for rel in User._meta.related_objects}
    assert pointing == exported


# -- query budgets -----------------------------------------------------------------------


def measure(client, url, django_assert_max_num_queries, budget) -> int:
    client.get(url)
    with django_assert_max_num_queries(budget) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def build_learner_history(learner, *, lessons: int, attempts: int):
    track = factories.make_track(
        slug=f"t{lessons}-{attempts}", modules=1, lessons_per_module=lessons
    )
    quizzed = track.lessons.order_by("position").first()
    quiz = factories.add_quiz(quizzed)
    for lesson in track.lessons.order_by("position")[1 : lessons // 2]:
        services.record_lesson_completion(learner=learner, lesson=lesson)
    answers = {
        str(q.pk): [str(q.choices.filter(is_correct=False).first().pk)]
        for q in quiz.questions.all()
    }
    for _ in range(attempts):
        token = services.new_attempt_token(learner=learner, quiz=quiz)
        services.submit_quiz_attempt(learner=learner, quiz=quiz, token=token, answers=answers)
    assignment = factories.add_rubric(
        factories.add_assignment(track.lessons.order_by("position").last())
    )
    Submission.objects.create(learner=learner, assignment=assignment, version=1, text_markdown="x")
    return track, quizzed


@pytest.mark.parametrize("page", ["me", "track", "lesson", "quiz"])
def test_learner_pages_run_the_same_queries_at_10_and_100_lessons(
    client, django_assert_max_num_queries, page
):
    counts = []
    for lessons, attempts in ((10, 1), (100, 100)):
        learner = factories.UserFactory()
        track, quizzed = build_learner_history(learner, lessons=lessons, attempts=attempts)
        client.force_login(learner)
        url = {
            "me": reverse("progress:me"),
            "track": track.get_absolute_url(),
            "lesson": quizzed.get_absolute_url(),
            "quiz": reverse("progress:quiz", args=[track.slug, quizzed.slug]),
        }[page]
        # me: user + enrolments(+due dates) + lessons(+done) + certificates + attempts
        #     + submissions + policy versions(+acknowledged) + clearance levels = 8
        # track: user + track + completions + enrolment + placement skims = 5 (the outline
        #        comes from the curriculum page cache)
        # lesson: user + enrolment + completions = 3 (the lesson, its track and the outline come
        #         from the curriculum page cache; a reload writes nothing)
        # quiz: user + lesson(+track, quiz) + questions + choices + the last attempt (its
        #       questions are drawn last) + attempts' count and best = 6 (a quiz that limits
        #       attempts reads their times and the grants instead: 7, as for 100 attempts)
        counts.append(measure(client, url, django_assert_max_num_queries, 8))
    assert counts[0] == counts[1], counts
