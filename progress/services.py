"""Writes to learners' records. Views, commands and tasks all come through here."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from audit import services as audit
from core.tasks import enqueue_after_commit
from courses.content_files import sample_passes
from courses.models import Lesson, PracticeAssignment, Question, Quiz, Track
from learners.models import User

from . import announcements, item_analysis, quizzes, recertification, rollups, signals
from .models import (
    AttemptGrant,
    Certificate,
    Enrolment,
    LessonCompletion,
    QuizAttempt,
    Review,
    Submission,
)

logger = logging.getLogger(__name__)

ATTEMPT_TOKEN_SALT = "progress.quiz-attempt"  # noqa: S105 - a signing salt, not a secret
ATTEMPT_TOKEN_MAX_AGE = 60 * 60 * 24  # a quiz form left open overnight still submits


class LearningError(Exception):
    """A request the rules refuse; the message is shown to the learner as-is."""


def enrol(*, learner: User, track: Track) -> Enrolment:
    """Enrol `learner` in `track` (idempotent)."""
    enrolment, created = Enrolment.objects.get_or_create(learner=learner, track=track)
    if created:
        rollups.refresh_assignments(learner_ids=[learner.pk], track_ids=[track.pk])
    return enrolment


# A reader reloading the lesson they are on doesn't rewrite their enrolment every time: "last
# active" is kept to within this much.
VISIT_REFRESH = timedelta(minutes=5)


def record_lesson_visit(*, learner: User, lesson: Lesson, enrolment: dict | None = None) -> None:
    """Opening a lesson enrols the learner and remembers where they are. One query when enrolled.

    `enrolment` is the row's `last_lesson_id` and `last_activity_at` when the caller has just
    read them: back on the same lesson within VISIT_REFRESH, nothing is written at all.
    """
    now = timezone.now()
    if (
        enrolment
        and enrolment["last_lesson_id"] == lesson.pk
        and enrolment["last_activity_at"] is not None
        and now - enrolment["last_activity_at"] < VISIT_REFRESH
    ):
        return
    updated = Enrolment.objects.filter(learner=learner, track_id=lesson.track_id).update(
        last_lesson=lesson, last_activity_at=now
    )
    if not updated:
        try:
            with transaction.atomic():
                Enrolment.objects.create(
                    learner=learner,
                    track_id=lesson.track_id,
                    last_lesson=lesson,
                    last_activity_at=now,
                )
        except IntegrityError:
            pass  # a parallel request enrolled them first; nothing is lost
        else:
            rollups.refresh_assignments(learner_ids=[learner.pk], track_ids=[lesson.track_id])


@transaction.atomic
def record_lesson_completion(*, learner: User, lesson: Lesson) -> LessonCompletion:
    """Mark a lesson done ("Mark complete"). A lesson with a quiz completes by passing the quiz.

    Idempotent: a double click or a retried request finds the row and returns it.
    """
    if Quiz.objects.filter(lesson=lesson, archived_at__isnull=True).exists():
        raise LearningError("This lesson is completed by passing its quiz.")
    return _complete_lesson(learner=learner, lesson=lesson)


def _complete_lesson(*, learner: User, lesson: Lesson, refresh: bool = True) -> LessonCompletion:
    enrol(learner=learner, track=lesson.track)
    try:
        with transaction.atomic():
            completion, created = LessonCompletion.objects.get_or_create(
                learner=learner, lesson=lesson
            )
    except IntegrityError:
        completion = LessonCompletion.objects.filter(learner=learner, lesson=lesson).first()
        if completion is None:  # refused for another reason than a parallel completion
            raise LearningError("That couldn't be saved. Please try again.") from None
        created = False
    now = timezone.now()
    if not created and lesson.changed_at and completion.completed_at < lesson.changed_at:
        # Done again after a material change: the refresher counts the lesson as re-read.
        completion.completed_at = now
        LessonCompletion.objects.filter(pk=completion.pk).update(completed_at=now)
    Enrolment.objects.filter(learner=learner, track_id=lesson.track_id).update(last_activity_at=now)
    if created and refresh:
        rollups.refresh_progress(learner_ids=[learner.pk], track_ids=[lesson.track_id])
    if created:
        signals.lesson_completed.send(sender=LessonCompletion, completion=completion)
        issue_certificate_if_complete(learner=learner, track=lesson.track)
    recertification.renew_if_refreshed(learner=learner, track=lesson.track, now=now)
    return completion


# -- quizzes -----------------------------------------------------------------------------


def new_attempt_token(*, learner: User, quiz: Quiz, draw: quizzes.Draw | None = None) -> str:
    """A signed, single-use token for one rendering of the quiz form, carrying its draw.

    The draw (which questions, each one's choice order) is signed into the token, so the
    posted form is scored on exactly what was shown and can't pick its own questions.
    """
    draw = draw if draw is not None else quizzes.new_draw(learner=learner, quiz=quiz)
    return signing.dumps(
        {"quiz": quiz.pk, "learner": learner.pk, "nonce": uuid.uuid4().hex, "draw": draw},
        salt=ATTEMPT_TOKEN_SALT,
        compress=True,
    )


@dataclass(frozen=True)
class AttemptForm:
    nonce: str
    draw: quizzes.Draw


def read_attempt_token(token: str, *, learner: User, quiz: Quiz) -> AttemptForm:
    """The nonce and draw of a quiz form's token; raises LearningError when it isn't valid."""
    try:
        data = signing.loads(token, salt=ATTEMPT_TOKEN_SALT, max_age=ATTEMPT_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise LearningError("This quiz form has expired. Please take the quiz again.") from None
    except signing.BadSignature:
        raise LearningError("This quiz form is not valid. Please take the quiz again.") from None
    if data.get("quiz") != quiz.pk or data.get("learner") != learner.pk:
        raise LearningError("This quiz form is not valid. Please take the quiz again.")
    draw = data.get("draw")
    return AttemptForm(
        nonce=data["nonce"],
        draw=[(q, list(c)) for q, c in draw] if draw is not None else quizzes.authored_draw(quiz),
    )


@dataclass
class AttemptOutcome:
    attempt: QuizAttempt
    created: bool  # False when the same form was already submitted (double click, second tab)


def attempts_left(*, learner: User, quiz: Quiz) -> int | None:
    return quizzes.allowance(learner=learner, quiz=quiz).left


def _refusal(allowed: quizzes.Allowance, quiz: Quiz) -> str:
    if allowed.opens_at is not None:
        opens = timezone.localtime(allowed.opens_at).strftime("%-d %b %Y at %H:%M")
        return (
            f"You have used all {quiz.max_attempts} attempts in this set. "
            f"A fresh set of questions opens on {opens}."
        )
    return (
        f"You have used all {quiz.max_attempts} attempts at this quiz. "
        "Ask your manager if you need another."
    )


ATTEMPT_NUMBER_RETRIES = 5  # attempts posted at once: each loser re-reads the count and tries again


def submit_quiz_attempt(
    *, learner: User, quiz: Quiz, token: str, answers: dict[str, list[str]]
) -> AttemptOutcome:
    """Score and store one attempt. Bad input raises LearningError and records nothing.

    `answers` maps question ids to the chosen choice ids, as posted; only the questions the
    token's draw asked count. Passing completes the lesson. The attempt limit holds when many
    forms are posted at once: each attempt takes the next number under a unique constraint, and
    the number is only taken while the limit allows it.
    """
    form = read_attempt_token(token, learner=learner, quiz=quiz)
    existing = QuizAttempt.objects.filter(token=form.nonce).first()
    if existing is not None:
        return AttemptOutcome(existing, created=False)
    drawn = {q.pk: q for q in Question.objects.filter(quiz=quiz).prefetch_related("choices")}
    if any(question_id not in drawn for question_id, _ in form.draw):
        raise LearningError("This quiz changed since you opened it. Please take it again.")
    snapshot, correct_count = _score(form.draw, drawn, answers)
    score = round(100 * correct_count / len(form.draw)) if form.draw else 0
    passed = score >= quiz.pass_mark
    for _ in range(ATTEMPT_NUMBER_RETRIES):
        try:
            with transaction.atomic():
                # One learner's attempts are counted and numbered one at a time: the row lock
                # (PostgreSQL) or the immediate transaction (SQLite) makes the count below the
                # one the insert follows. The unique number is the backstop if it ever isn't.
                list(User.objects.select_for_update().filter(pk=learner.pk).values_list("pk"))
                allowed = quizzes.allowance(learner=learner, quiz=quiz)
                if not allowed.allowed:
                    raise LearningError(_refusal(allowed, quiz))
                attempt = QuizAttempt.objects.create(
                    learner=learner,
                    quiz=quiz,
                    token=form.nonce,
                    number=allowed.used + 1,
                    score=score,
                    passed=passed,
                    answers=snapshot,
                )
                signals.quiz_attempted.send(sender=QuizAttempt, attempt=attempt)
                if passed:
                    _complete_lesson(learner=learner, lesson=quiz.lesson, refresh=False)
                else:
                    enrol(learner=learner, track=quiz.lesson.track)
                rollups.refresh_progress(learner_ids=[learner.pk], track_ids=[quiz.lesson.track_id])
                # Last, since it locks the quiz's tally row until the commit.
                item_analysis.count_attempt(attempt)
        except IntegrityError:
            existing = QuizAttempt.objects.filter(token=form.nonce).first()
            if existing is not None:  # the same form arrived twice at once: one attempt kept
                return AttemptOutcome(existing, created=False)
            continue  # another form took this number first: count again
        return AttemptOutcome(attempt, created=True)
    raise LearningError("Your answers couldn't be saved. Please submit again.")


def _score(
    draw: quizzes.Draw, questions: dict[int, Question], answers: dict[str, list[str]]
) -> tuple[list[dict], int]:
    asked = {str(question_id) for question_id, _ in draw}
    if set(answers) - asked:
        raise LearningError("The answers don't match this quiz. Please reload it and try again.")
    snapshot, correct_count = [], 0
    for number, (question_id, choice_order) in enumerate(draw, start=1):
        question = questions[question_id]
        chosen = answers.get(str(question_id), [])
        by_id = {choice.pk: choice for choice in question.choices.all()}
        # Choices added since the form was drawn go last; removed ones drop out.
        order = [pk for pk in choice_order if pk in by_id]
        order += [pk for pk in by_id if pk not in order]
        choices = {str(pk): by_id[pk] for pk in order}
        if not chosen:
            raise LearningError(f"Please answer question {number}.")
        if len(set(chosen)) != len(chosen) or any(c not in choices for c in chosen):
            raise LearningError(
                f"Question {number} received an answer that isn't one of its choices. "
                "Please reload the quiz and try again."
            )
        if question.kind == Question.Kind.SINGLE and len(chosen) != 1:
            raise LearningError(f"Question {number} takes exactly one answer.")
        right = {key for key, choice in choices.items() if choice.is_correct}
        is_correct = set(chosen) == right
        correct_count += is_correct
        snapshot.append(
            {
                "question": question.pk,
                "objective": question.objective,
                "section": question.section,
                "prompt": question.prompt,
                "kind": question.kind,
                "explanation": question.explanation,
                "correct": is_correct,
                "choices": [
                    {
                        "choice": choice.pk,
                        "text": choice.text,
                        "correct": choice.is_correct,
                        "feedback": choice.feedback,
                        "chosen": key in chosen,
                    }
                    for key, choice in choices.items()
                ],
            }
        )
    return snapshot, correct_count


@transaction.atomic
def grant_extra_attempt(*, granted_by: User, learner: User, quiz: Quiz) -> AttemptGrant:
    """Give `learner` one more attempt at `quiz` now, recorded with who granted it and when.

    The caller checks that `granted_by` may (the learner's manager, or staff).
    """
    grant = AttemptGrant.objects.create(granted_by=granted_by, learner=learner, quiz=quiz)
    record_grant(grant=grant)
    return grant


def record_grant(*, grant: AttemptGrant) -> None:
    """The grant's audit entry (the admin's grants come here too)."""
    audit.record(
        kind=audit.Kind.EXTRA_ATTEMPT_GRANTED,
        actor=grant.granted_by,
        subject=grant.learner,
        target=f"Quiz on “{grant.quiz.lesson.title}”",
        details={"quiz": grant.quiz_id},
    )


def best_score(*, learner: User, quiz: Quiz) -> int | None:
    return QuizAttempt.objects.filter(learner=learner, quiz=quiz).aggregate(best=Max("score"))[
        "best"
    ]


# -- practice assignments ----------------------------------------------------------------


@transaction.atomic
def submit_assignment(
    *, learner: User, assignment: PracticeAssignment, text: str, link: str = ""
) -> Submission:
    """Store a new version of the learner's work, awaiting review.

    Refused while an earlier version awaits review or after approval.
    """
    # Lock the learner's versions so two tabs can't both become "version 2".
    latest = (
        Submission.objects.select_for_update()
        .filter(learner=learner, assignment=assignment)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.status == Submission.Status.AWAITING_REVIEW:
        raise LearningError("Your previous version is still awaiting review.")
    if latest is not None and latest.status == Submission.Status.APPROVED:
        raise LearningError("This assignment is already approved.")
    enrol(learner=learner, track=assignment.lesson.track)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                learner=learner,
                assignment=assignment,
                version=(latest.version + 1) if latest else 1,
                text_markdown=text,
                link=link,
            )
    except IntegrityError:
        raise LearningError("That version was already submitted.") from None
    signals.assignment_submitted.send(sender=Submission, submission=submission)
    rollups.refresh_progress(learner_ids=[learner.pk], track_ids=[assignment.lesson.track_id])
    announcements.review_waiting(submission)
    return submission


# Told by tasks of `notifications` (which depends on this app), enqueued by name after commit.
REVIEW_RESULT_TASK = "notifications.tasks.send_review_result"


def approval_problem(
    *, assignment: PracticeAssignment, criteria: list, scores: dict[str, int]
) -> str | None:
    """Why work scored `scores` (criterion name → points) can't be approved, or None.

    A criterion marked as a safety gate must reach its bar whatever the total, and the total
    must reach the assignment's pass points (when it sets them).
    """
    failed = [c.criterion for c in criteria if c.gate is not None and scores[c.criterion] < c.gate]
    if failed:
        return (
            f"This can't be approved: it is below the safety gate on {', '.join(failed)}. "
            "Choose “Needs revision” and say what to fix."
        )
    if not sample_passes(criteria, scores, assignment.pass_points):
        return (
            f"This can't be approved: it scores {sum(scores.values())} points and the pass "
            f"mark is {assignment.pass_points}. Choose “Needs revision”."
        )
    return None


@transaction.atomic
def review_submission(
    *,
    reviewer: User,
    submission: Submission,
    outcome: str,
    feedback: str,
    points: dict[int, int],
) -> Review:
    """Record a rubric review; approval may complete the track and issue the certificate.

    The caller has checked that `reviewer` may review this submission.
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status != Submission.Status.AWAITING_REVIEW:
        raise LearningError("This submission has already been reviewed.")
    if outcome not in (Submission.Status.APPROVED, Submission.Status.NEEDS_REVISION):
        raise LearningError("Choose an outcome: approved or needs revision.")
    criteria = list(submission.assignment.rubric.all())
    scores = []
    for criterion in criteria:
        awarded = points.get(criterion.pk)
        if awarded is None or not 0 <= awarded <= criterion.points:
            raise LearningError(
                f"Give “{criterion.criterion}” between 0 and {criterion.points} points."
            )
        scores.append(
            {"criterion": criterion.criterion, "points": awarded, "max": criterion.points}
        )
    if outcome == Submission.Status.APPROVED:
        by_name = {score["criterion"]: score["points"] for score in scores}
        problem = approval_problem(
            assignment=submission.assignment, criteria=criteria, scores=by_name
        )
        if problem:
            raise LearningError(problem)
    review = Review.objects.create(
        submission=submission,
        reviewer=reviewer,
        outcome=outcome,
        feedback_markdown=feedback,
        scores=scores,
    )
    submission.status = outcome
    submission.save(update_fields=["status"])
    rollups.refresh_progress(
        learner_ids=[submission.learner_id], track_ids=[submission.assignment.lesson.track_id]
    )
    if outcome == Submission.Status.APPROVED:
        signals.records_changed.send(
            sender=Submission, learner_ids=frozenset([submission.learner_id])
        )
        issue_certificate_if_complete(
            learner=submission.learner, track=submission.assignment.lesson.track
        )
    announcements.reviewed(review)
    signals.submission_reviewed.send(sender=Review, review=review)
    enqueue_after_commit(REVIEW_RESULT_TASK, review_id=review.pk)
    audit.record(
        kind=audit.Kind.SUBMISSION_REVIEWED,
        actor=reviewer,
        subject=submission.learner,
        target=f"“{submission.assignment.title}”, version {submission.version}",
        details={"submission": submission.pk, "outcome": outcome},
    )
    return review


# -- completion and certificates ---------------------------------------------------------


def track_is_complete(*, learner: User, track: Track) -> bool:
    """Every current lesson done (quiz lessons are done once passed) and every required
    assignment approved. Three queries."""
    lessons = (
        Lesson.objects.published().filter(track=track)
        if track.is_published
        else Lesson.objects.current().filter(track=track)
    )
    lesson_ids = set(lessons.values_list("pk", flat=True))
    if not lesson_ids:
        return False
    done = set(
        LessonCompletion.objects.filter(learner=learner, lesson_id__in=lesson_ids).values_list(
            "lesson_id", flat=True
        )
    )
    if done != lesson_ids:
        return False
    required = PracticeAssignment.objects.filter(
        lesson_id__in=lesson_ids, required=True, archived_at__isnull=True
    ).values_list("pk", flat=True)
    approved = Submission.objects.filter(
        learner=learner, assignment_id__in=required, status=Submission.Status.APPROVED
    ).values_list("assignment_id", flat=True)
    return set(required) == set(approved)


def issue_certificate_if_complete(*, learner: User, track: Track) -> Certificate | None:
    """Issue the track's certificate once (a unique constraint holds it under concurrency)."""
    if not track_is_complete(learner=learner, track=track):
        return None
    now = timezone.now()
    certificate, created = Certificate.objects.get_or_create(
        learner=learner,
        track=track,
        defaults={
            "learner_name": learner.name,
            "track_title": track.title,
            "expires_at": recertification.expiry_for(track, now),
        },
    )
    if created:
        Enrolment.objects.filter(learner=learner, track=track).update(
            completed_at=certificate.issued_at
        )
        logger.info("Certificate %s issued to user %s", certificate.code, learner.pk)
        announcements.certificate_issued(certificate)
        signals.records_changed.send(sender=Certificate, learner_ids=frozenset([learner.pk]))
        signals.certificate_issued.send(sender=Certificate, certificate=certificate)
    return certificate


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, by: User, reason: str) -> bool:
    """Withdraw a certificate: it stops counting for clearance, cannot be renewed, its page
    says so and its credential's status list bit is set. The record stays (what was issued is
    history). False when it was revoked already."""
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why the certificate is revoked: the learner and verifiers see it.")
    changed = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )
    if not changed:
        return False
    certificate.refresh_from_db(fields=["revoked_at", "revoked_reason"])
    audit.record(
        kind=audit.Kind.CERTIFICATE_REVOKED,
        actor=by,
        subject=certificate.learner,
        target=f"Certificate {certificate.code} (“{certificate.track_title}”)",
        details={"reason": certificate.revoked_reason},
    )
    signals.records_changed.send(
        sender=Certificate, learner_ids=frozenset([certificate.learner_id])
    )
    return True


@transaction.atomic
def reinstate_certificate(*, certificate: Certificate, by: User) -> bool:
    """Undo a revocation made in error. False when it wasn't revoked."""
    changed = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=False).update(
        revoked_at=None, revoked_reason=""
    )
    if not changed:
        return False
    certificate.refresh_from_db(fields=["revoked_at", "revoked_reason"])
    audit.record(
        kind=audit.Kind.CERTIFICATE_REINSTATED,
        actor=by,
        subject=certificate.learner,
        target=f"Certificate {certificate.code} (“{certificate.track_title}”)",
    )
    signals.records_changed.send(
        sender=Certificate, learner_ids=frozenset([certificate.learner_id])
    )
    return True
