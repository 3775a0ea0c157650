import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit import services as audit
from courses import selectors as course_selectors
from courses.markdown import render_markdown
from courses.models import Lesson, Track
from learners.selectors import is_a_manager, review_route, skim_module_ids

from . import (
    certificate_pdf as certificate_pdfs,
)
from . import (
    data_export,
    extensions,
    quizzes,
    recertification,
    selectors,
    services,
)
from .forms import ReviewForm, SubmissionForm
from .models import Certificate, QuizAttempt, Submission

ANSWER_FIELD = re.compile(r"^q(\d+)$")


def _lesson_or_404(request, track_slug: str, lesson_slug: str) -> tuple[Track, Lesson]:
    lesson = course_selectors.lesson_for_page(request.user, track_slug, lesson_slug)
    return lesson.track, lesson


def track_detail(request, track_slug: str):
    track = course_selectors.track_for_page(request.user, track_slug)
    outline = course_selectors.track_outline(track)
    progress = selectors.track_progress(request.user, track, outline)
    return render(
        request,
        "progress/track_detail.html",
        {
            "track": track,
            "outline": outline,
            "progress": progress,
            "rows": progress.rows(outline, skim_module_ids(request.user)),
        },
    )


@login_required
def lesson_detail(request, track_slug: str, lesson_slug: str):
    page = course_selectors.lesson_page(request.user, track_slug, lesson_slug)
    visited = page.track.is_published
    if visited:
        services.record_lesson_visit(
            learner=request.user,
            lesson=page.lesson.reference(),
            enrolment=selectors.enrolment_position(request.user, page.track.id),
        )
    context = lesson_context(request, page, visited=visited)
    return render(request, "progress/lesson_detail.html", context)


def lesson_context(
    request,
    page: course_selectors.LessonPage,
    *,
    preview: bool = False,
    visited: bool = False,
) -> dict:
    """What the lesson template needs; the admin preview renders the same template with it.

    `page` is shared with other requests (courses.page_cache): read-only.
    """
    progress = (
        None
        if preview
        else selectors.track_progress(
            request.user,
            page.track,
            page.outline,
            last_lesson_id=page.lesson.id if visited else None,
        )
    )
    return {
        "track": page.track,
        "lesson": page.lesson,
        "module": page.module,
        "outline": page.outline,
        "progress": progress,
        "done": progress is not None and page.lesson.id in progress.done_ids,
        "quiz": page.quiz,
        "assignment": page.assignment,
        "number": page.number,
        "previous": page.previous,
        "next": page.next,
        "preview": preview,
    }


@login_required
@require_POST
def complete_lesson(request, track_slug: str, lesson_slug: str):
    track, lesson = _lesson_or_404(request, track_slug, lesson_slug)
    if not track.is_published:
        raise Http404("Drafts can't be completed")
    try:
        services.record_lesson_completion(learner=request.user, lesson=lesson)
    except services.LearningError as error:
        messages.error(request, str(error))
        return redirect(lesson.get_absolute_url())
    outline = course_selectors.track_outline(track)
    progress = selectors.track_progress(request.user, track, outline)
    if progress.resume is not None:
        messages.success(
            request, f"“{lesson.title}” is complete. Next up: {progress.resume.title}."
        )
        return redirect("progress:lesson", track.slug, progress.resume.slug)
    messages.success(request, f"“{lesson.title}” is complete.")
    return redirect("progress:me")


@login_required
@require_POST
def start_track(request, track_slug: str):
    track = get_object_or_404(Track.objects.published(), slug=track_slug)
    services.enrol(learner=request.user, track=track)
    outline = course_selectors.track_outline(track)
    progress = selectors.track_progress(request.user, track, outline)
    if progress.resume is None:
        return redirect(track.get_absolute_url())
    return redirect("progress:lesson", track.slug, progress.resume.slug)


# -- quizzes -----------------------------------------------------------------------------


@login_required
def quiz(request, track_slug: str, lesson_slug: str):
    track, lesson = _lesson_or_404(request, track_slug, lesson_slug)
    active = lesson.active_quiz
    if active is None or not track.is_published:
        raise Http404("No quiz here")
    error = None
    chosen: dict[str, list[str]] = {}
    token = None
    if request.method == "POST":
        token = request.POST.get("attempt_token", "")
        chosen = {
            match.group(1): request.POST.getlist(key)
            for key in request.POST
            if (match := ANSWER_FIELD.match(key))
        }
        try:
            outcome = services.submit_quiz_attempt(
                learner=request.user, quiz=active, token=token, answers=chosen
            )
        except services.LearningError as problem:
            error = str(problem)
        else:
            return redirect(outcome.attempt.get_absolute_url())
    # A refused form is shown again with the same draw and the learner's choices; a bad token
    # gets a fresh draw. The markup is the same whatever is correct: nothing reveals the answer.
    questions = {q.pk: q for q in active.questions.prefetch_related("choices")}
    draw = None
    if token:
        try:
            draw = services.read_attempt_token(token, learner=request.user, quiz=active).draw
        except services.LearningError:
            draw = None
    draw = draw or quizzes.new_draw(
        learner=request.user, quiz=active, questions=list(questions.values())
    )
    items = []
    for question_id, choice_order in draw:
        question = questions.get(question_id)
        if question is None:  # removed since the form was drawn: start with a fresh draw
            return redirect("progress:quiz", track.slug, lesson.slug)
        by_id = {choice.pk: choice for choice in question.choices.all()}
        order = [pk for pk in choice_order if pk in by_id] + [
            pk for pk in by_id if pk not in choice_order
        ]
        picked = chosen.get(str(question.pk), ())
        items.append((question, [(by_id[pk], str(pk) in picked) for pk in order]))
    past = quizzes.history(learner=request.user, quiz=active)
    allowance = quizzes.allowance(learner=request.user, quiz=active, past=past)
    return render(
        request,
        "progress/quiz_form.html",
        {
            "track": track,
            "lesson": lesson,
            "quiz": active,
            "items": items,
            "token": services.new_attempt_token(learner=request.user, quiz=active, draw=draw),
            "error": error,
            "allowance": allowance,
            "attempts_left": allowance.left,
            "bank_size": len(questions),
            "best": past.best,
        },
        status=400 if error else 200,
    )


@login_required
def quiz_result(request, track_slug: str, lesson_slug: str, attempt_id: int):
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("quiz__lesson__track"),
        pk=attempt_id,
        learner=request.user,
        quiz__lesson__slug=lesson_slug,
        quiz__lesson__track__slug=track_slug,
    )
    quiz = attempt.quiz
    lesson = quiz.lesson
    outline = course_selectors.track_outline(lesson.track)
    progress = selectors.track_progress(request.user, lesson.track, outline)
    past = quizzes.history(learner=request.user, quiz=quiz)
    allowance = quizzes.allowance(learner=request.user, quiz=quiz, past=past)
    best = past.best
    revealed = quizzes.answers_revealed(quiz=quiz, has_passed=past.has_passed, allowance=allowance)
    answers = attempt.answers if revealed else quizzes.without_answers(attempt.answers)
    for item in answers:
        item["anchor"] = quizzes.section_anchor(item["section"]) if item.get("section") else ""
    return render(
        request,
        "progress/quiz_result.html",
        {
            "attempt": attempt,
            "answers": answers,
            "revealed": revealed,
            "missed": sum(not item["correct"] for item in answers),
            "quiz": quiz,
            "lesson": lesson,
            "track": lesson.track,
            "best": best,
            "allowance": allowance,
            "attempts_left": allowance.left,
            "next_lesson": progress.resume,
        },
    )


# -- practice assignments ----------------------------------------------------------------


@login_required
def assignment(request, track_slug: str, lesson_slug: str):
    track, lesson = _lesson_or_404(request, track_slug, lesson_slug)
    active = lesson.active_assignment
    if active is None or not track.is_published:
        raise Http404("No assignment here")
    history = list(
        Submission.objects.filter(learner=request.user, assignment=active)
        .select_related("review__reviewer")
        .order_by("-version")
    )
    latest = history[0] if history else None
    can_submit = latest is None or latest.status == Submission.Status.NEEDS_REVISION
    preview_html = None
    # A revision starts from the version that was sent back, not from an empty box.
    revising = latest is not None and latest.status == Submission.Status.NEEDS_REVISION
    initial = {"text": latest.text_markdown, "link": latest.link} if revising else None
    form = SubmissionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview_html = render_markdown(form.cleaned_data["text"])
        else:
            try:
                services.submit_assignment(
                    learner=request.user,
                    assignment=active,
                    text=form.cleaned_data["text"],
                    link=form.cleaned_data["link"],
                )
            except services.LearningError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, "Submitted. Your reviewer will see it in their queue.")
                return redirect("progress:assignment", track.slug, lesson.slug)
    return render(
        request,
        "progress/assignment.html",
        {
            "track": track,
            "lesson": lesson,
            "assignment": active,
            "rubric": list(active.rubric.all()),
            "history": history,
            "latest": latest,
            "can_submit": can_submit,
            "form": form,
            "preview_html": preview_html,
            "reviewer_note": review_route(request.user).described,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@login_required
def submission_detail(request, submission_id: int):
    submission = get_object_or_404(
        selectors.submissions_visible_to(request.user).select_related(
            "learner", "assignment__lesson__track"
        ),
        pk=submission_id,
    )
    may_review = (
        submission.learner_id != request.user.pk
        and selectors.submissions_reviewable_by(request.user).filter(pk=submission.pk).exists()
    )
    form = None
    if may_review and submission.status == Submission.Status.AWAITING_REVIEW:
        form = ReviewForm(request.POST or None, assignment=submission.assignment)
        if request.method == "POST" and form.is_valid():
            try:
                services.review_submission(
                    reviewer=request.user,
                    submission=submission,
                    outcome=form.cleaned_data["outcome"],
                    feedback=form.cleaned_data["feedback"],
                    points=form.points(),
                )
            except services.LearningError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Review saved for {submission.learner.name}.")
                return redirect(submission.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, "This submission is not waiting for your review.")
        return redirect(submission.get_absolute_url())
    history = list(
        Submission.objects.filter(learner=submission.learner, assignment=submission.assignment)
        .select_related("review__reviewer")
        .order_by("-version")
    )
    actions, context = extensions.parts("submission", user=request.user, submission=submission)
    context["actions"] = actions
    return render(
        request,
        "progress/submission_detail.html",
        {
            "submission": submission,
            "assignment": submission.assignment,
            "history": history,
            "form": form,
            "is_reviewer": may_review,
            # A manager (or staff) came from the team's review queue; anyone else from /me/.
            "from_team": submission.learner_id != request.user.pk and is_a_manager(request.user),
            **context,
        },
        status=400 if form is not None and form.errors else 200,
    )


# -- certificates and the dashboard ------------------------------------------------------


def certificate(request, code: str):
    certificate = get_object_or_404(Certificate.objects.select_related("track"), code=code)
    url = request.build_absolute_uri(certificate.get_absolute_url())
    return render(
        request,
        "progress/certificate.html",
        {
            "certificate": certificate,
            "evidence": selectors.certificate_evidence(certificate),
            "expired": certificate.is_expired(),
            "certificate_url": url,
            "linkedin_url": linkedin_add_to_profile_url(certificate, url),
        },
    )


def certificate_pdf(request, code: str):
    """The certificate as a PDF file: public, like its page, which it points to."""
    certificate = get_object_or_404(Certificate.objects.select_related("track"), code=code)
    url = request.build_absolute_uri(certificate.get_absolute_url())
    pdf = certificate_pdfs.render(
        certificate, url=url, evidence=selectors.certificate_evidence(certificate)
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


def linkedin_add_to_profile_url(certificate: Certificate, certificate_url: str) -> str:
    """LinkedIn's "Add licence or certification" link, pre-filled."""
    from urllib.parse import urlencode

    from django.conf import settings

    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.track_title,
        "organizationName": settings.SITE_NAME,
        "issueYear": certificate.issued_at.year,
        "issueMonth": certificate.issued_at.month,
        "certUrl": certificate_url,
        "certId": certificate.code,
    }
    if certificate.expires_at:
        params["expirationYear"] = certificate.expires_at.year
        params["expirationMonth"] = certificate.expires_at.month
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


@login_required
def me(request):
    board = selectors.dashboard(request.user)
    now = timezone.now()
    refreshers = [
        recertification.refresher_from(
            certificate, board.refresher_lessons.get(certificate.track_id, [])
        )
        for certificate in board.certificates
        if recertification.in_window(certificate, now=now)
    ]
    sections, context = extensions.parts(
        "me",
        user=request.user,
        now=now,
        certificates=board.certificates,
        submissions=board.submissions,
    )
    return render(
        request,
        "progress/me.html",
        {
            "board": board,
            "now": now,
            "sections": sections,
            **context,
            "refreshers": refreshers,
        },
    )


@login_required
@require_POST
def renew_certificate(request, code: str):
    """Renew the learner's own certificate once its refresher is done (it also renews by itself
    when the last refresher item is completed; this is for a refresher with nothing in it)."""
    certificate = get_object_or_404(
        Certificate.objects.select_related("track"), code=code, learner=request.user
    )
    if recertification.renew_if_refreshed(learner=request.user, track=certificate.track):
        messages.success(request, f"Your “{certificate.track_title}” certificate is renewed.")
    else:
        messages.error(request, "Finish the refresher first (or it isn't open yet).")
    return redirect("progress:me")


@login_required
def my_data(request):
    audit.record(
        kind=audit.Kind.DATA_EXPORTED, actor=request.user, subject=request.user, target="My data"
    )
    response = JsonResponse(
        data_export.user_data(request.user), json_dumps_params={"indent": 2, "default": str}
    )
    response["Content-Disposition"] = 'attachment; filename="socialcraft-my-data.json"'
    return response
