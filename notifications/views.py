"""The pages an email's links open: the answer to a retrieval-practice question."""

from django.core import signing
from django.shortcuts import render

from courses.models import Question
from progress.models import RetrievalAnswer

from .nudges import read_practice_token


def practice_answer(request, token: str):
    """The answer to an emailed practice question. The link only opens a confirmation (mail
    scanners open links, and must not answer for the learner); the POST records the answer,
    once per emailed question, and shows the explanation."""
    try:
        data = read_practice_token(token)
    except signing.BadSignature:
        return render(request, "notifications/practice_invalid.html", status=400)
    question = (
        Question.objects.filter(pk=data["q"])
        .prefetch_related("choices")
        .select_related("quiz__lesson__track")
        .first()
    )
    choice = (
        next((c for c in question.choices.all() if c.pk == data["c"]), None) if question else None
    )
    if question is None or choice is None:
        return render(request, "notifications/practice_invalid.html", status=404)
    key = f"{data['u']}:{data['q']}:{data['d']}"
    if request.method == "POST":
        answer, _ = RetrievalAnswer.objects.get_or_create(
            token=key,
            defaults={"learner_id": data["u"], "question": question, "correct": choice.is_correct},
        )
    else:
        answer = RetrievalAnswer.objects.filter(token=key).first()
    return render(
        request,
        "notifications/practice_answer.html",
        {
            "question": question,
            "choice": choice,
            "answer": answer,
            "choices": list(question.choices.all()),
        },
    )
