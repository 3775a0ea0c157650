"""Certificates that expire, and the refresher that renews them.

A track may set a validity period (`Track.validity_months`); its certificates then carry an
`expires_at`. From 30 days before that moment (the *refresher window*) the learner renews the
certificate by taking the refresher: reading again every lesson marked as materially changed
since they were last certified (marking it complete, or passing its quiz, again) and passing
every quiz of the track again. The renewal happens as soon as the last item is done; it runs
to one validity period after the old expiry (or after today, when it had already expired).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from courses.dates import add_months
from courses.models import Lesson, Quiz, Track
from learners.models import User

from . import signals
from .models import Certificate, LessonCompletion, QuizAttempt

REFRESHER_WINDOW = timedelta(days=30)


def expiry_for(track: Track, start: datetime) -> datetime | None:
    """When a certificate for `track` certified at `start` expires; None when it never does."""
    if not track.validity_months:
        return None
    return add_months(start, track.validity_months)


def window_opens(certificate: Certificate) -> datetime | None:
    if certificate.expires_at is None:
        return None
    return certificate.expires_at - REFRESHER_WINDOW


def in_window(certificate: Certificate, *, now: datetime) -> bool:
    """Whether the refresher is open: 30 days before expiry, and after it."""
    opens = window_opens(certificate)
    return opens is not None and now >= opens


def window_key(certificate: Certificate) -> str:
    """Names one validity period of a certificate (renewal starts a new one)."""
    return certificate.expires_at.date().isoformat() if certificate.expires_at else "never"


@dataclass
class RefresherItem:
    title: str
    url: str
    done: bool
    complete_url: str = ""  # a lesson without a quiz is re-read by marking it complete again


@dataclass
class Refresher:
    certificate: Certificate
    lessons: list[RefresherItem] = field(default_factory=list)  # changed since certified
    quizzes: list[RefresherItem] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(item.done for item in [*self.lessons, *self.quizzes])

    @property
    def remaining(self) -> int:
        return sum(not item.done for item in [*self.lessons, *self.quizzes])


def refresher(certificate: Certificate) -> Refresher:
    """What the learner has to do to renew `certificate`, and what they have done. One query.

    `certificate.track` should be loaded (select_related) by the caller.
    """
    lessons = lesson_records(certificate.learner_id, [certificate.track_id]).values(
        *LESSON_RECORD_FIELDS
    )
    return refresher_from(certificate, lessons)


# What the refresher asks of each lesson of the track (rows of lesson_records): the lesson's
# own columns and the learner's records annotated by lesson_records.
EXTRA_RECORD_FIELDS = ("done_at", "has_quiz", "passed_at")
LESSON_RECORD_FIELDS = ("slug", "title", "changed_at", *EXTRA_RECORD_FIELDS)


def lesson_records(learner_id, track_ids) -> QuerySet[Lesson]:
    """The current lessons of `track_ids` (ids or a subquery) in the track's order, each with
    when it last changed materially, when the learner last completed it (`done_at`), whether it
    has a quiz and when they last passed that quiz (`passed_at`)."""
    return (
        Lesson.objects.current()
        .filter(track_id__in=track_ids)
        .annotate(
            done_at=Subquery(
                LessonCompletion.objects.filter(learner_id=learner_id, lesson_id=OuterRef("pk"))
                .order_by("-completed_at")
                .values("completed_at")[:1]
            ),
            has_quiz=Exists(
                Quiz.objects.filter(lesson_id=OuterRef("pk"), archived_at__isnull=True)
            ),
            passed_at=Subquery(
                QuizAttempt.objects.filter(
                    learner_id=learner_id,
                    quiz__lesson_id=OuterRef("pk"),
                    quiz__archived_at__isnull=True,
                    passed=True,
                )
                .order_by("-submitted_at")
                .values("submitted_at")[:1]
            ),
        )
        .order_by("module__position", "position")
    )


def refresher_from(certificate: Certificate, lessons: Iterable[dict]) -> Refresher:
    """The refresher of `certificate` from its track's lesson records (dicts of
    LESSON_RECORD_FIELDS, in the track's order): every lesson changed since the learner was
    certified, done once completed again after the change; every quiz, done once passed again
    since the window opened."""
    track = certificate.track
    certified_at = certificate.certified_at
    opens = window_opens(certificate) or certified_at
    rows = list(lessons)
    return Refresher(
        certificate=certificate,
        lessons=[
            RefresherItem(
                title=row["title"],
                url=reverse("progress:lesson", args=[track.slug, row["slug"]]),
                done=row["done_at"] is not None and row["done_at"] >= row["changed_at"],
                complete_url=""
                if row["has_quiz"]
                else reverse("progress:complete_lesson", args=[track.slug, row["slug"]]),
            )
            for row in rows
            if row["changed_at"] is not None and row["changed_at"] > certified_at
        ],
        quizzes=[
            RefresherItem(
                title=row["title"],
                url=reverse("progress:quiz", args=[track.slug, row["slug"]]),
                done=row["passed_at"] is not None and row["passed_at"] >= opens,
            )
            for row in rows
            if row["has_quiz"]
        ],
    )


def renew_if_refreshed(*, learner: User, track: Track, now: datetime | None = None) -> bool:
    """Renew the learner's certificate for `track` when its refresher is open and done.

    Called after every lesson completion and passed quiz; one query when no refresher is open.
    A refresher with nothing in it (no quizzes, no changed lessons) is done by marking any
    lesson of the track complete while the window is open.
    """
    now = now or timezone.now()
    certificate = (
        Certificate.objects.select_related("track")
        .filter(
            learner=learner,
            track=track,
            revoked_at__isnull=True,
            expires_at__isnull=False,
            expires_at__lte=now + REFRESHER_WINDOW,
        )
        .first()
    )
    if certificate is None or not refresher(certificate).done:
        return False
    base = max(now, certificate.expires_at)
    certificate.renewed_at = now
    certificate.expires_at = expiry_for(certificate.track, base)
    certificate.save(update_fields=["renewed_at", "expires_at"])
    signals.records_changed.send(sender=Certificate, learner_ids=frozenset([learner.pk]))
    return True


def expiring_certificates(user: User, *, now: datetime) -> list[Certificate]:
    """The user's certificates whose refresher window is open and that have not expired yet."""
    return list(
        Certificate.objects.filter(
            learner=user,
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + REFRESHER_WINDOW,
        )
        .select_related("track")
        .order_by("expires_at")
    )
