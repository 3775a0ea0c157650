"""The in-app notifications, and the pages an email's links open (the answer to a
retrieval-practice question)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from courses.models import Question
from ledger import notices
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


NOTICES_PER_PAGE = 30


@login_required
def inbox(request):
    """The person's notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        changed = notices.mark_read(request.user)
        if changed:
            messages.success(request, "Every notification is marked as read.")
        return redirect("notifications:inbox")
    page = Paginator(notices.of(request.user), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def open_notice(request, notice_id: int):
    """Mark one of the person's notifications read and go where it points."""
    notice = get_object_or_404(notices.of(request.user), pk=notice_id)
    notices.mark_read(request.user, notice_id=notice.pk)
    if not url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect("notifications:inbox")
    return redirect(notice.url)
