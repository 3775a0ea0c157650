import re

from django.urls import reverse

TOKEN_RE = re.compile(r'name="attempt_token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def quiz_url(lesson) -> str:
    return reverse("progress:quiz", args=[lesson.track.slug, lesson.slug])


def attempt_token(client, lesson) -> str:
    return TOKEN_RE.search(client.get(quiz_url(lesson)).content.decode()).group(1)


def answers_for(quiz, *, correct: bool = True) -> dict[str, list[str]]:
    """Form data answering every question right (or every question wrong)."""
    data = {}
    for question in quiz.questions.prefetch_related("choices"):
        choices = list(question.choices.all())
        if correct:
            picked = [c for c in choices if c.is_correct]
        else:
            picked = [next(c for c in choices if not c.is_correct)]
        data[f"q{question.pk}"] = [str(c.pk) for c in picked]
    return data


def take_quiz(client, lesson, *, correct: bool = True):
    token = attempt_token(client, lesson)
    return client.post(
        quiz_url(lesson), {"attempt_token": token, **answers_for(lesson.quiz, correct=correct)}
    )
