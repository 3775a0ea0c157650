import re

from django.urls import reverse

TOKEN_RE = re.compile(r'name="attempt_token" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def quiz_url(lesson) -> str:
    return reverse("progress:quiz", args=[lesson.track.slug, lesson.slug])


def attempt_token(client, lesson) -> str:
    return TOKEN_RE.search(client.get(quiz_url(lesson)).content.decode()).group(1)


QUESTION_RE = re.compile(r'name="q(\d+)"')


def drawn_question_ids(html: str) -> set[int]:
    """The questions a rendered quiz form asks (its draw)."""
    return {int(pk) for pk in QUESTION_RE.findall(html)}


def answers_for(
    quiz, *, correct: bool = True, only: set[int] | None = None
) -> dict[str, list[str]]:
    """Form data answering every question (or those in `only`) right, or every one wrong."""
    data = {}
    questions = quiz.questions.prefetch_related("choices")
    if only is not None:
        questions = questions.filter(pk__in=only)
    for question in questions:
        choices = list(question.choices.all())
        if correct:
            picked = [c for c in choices if c.is_correct]
        else:
            picked = [next(c for c in choices if not c.is_correct)]
        data[f"q{question.pk}"] = [str(c.pk) for c in picked]
    return data


def take_quiz(client, lesson, *, correct: bool = True):
    """Open the quiz form and answer the questions it drew, all right or all wrong."""
    html = client.get(quiz_url(lesson)).content.decode()
    token = TOKEN_RE.search(html).group(1)
    answers = answers_for(lesson.quiz, correct=correct, only=drawn_question_ids(html))
    return client.post(quiz_url(lesson), {"attempt_token": token, **answers})
