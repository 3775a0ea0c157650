"""Weekly digests for learners and managers: who is due, what to say, sending in batches.

A batch of learner digests reads with a fixed number of queries whatever its size (users,
opt-outs, track rows, reviews, certificates, growth journal, then the claim), renders each email, claims every
key in one INSERT and marks each message sent as soon as it goes out.
"""

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Lower
from django.urls import reverse

from courses.models import Lesson, Module
from learners.models import Membership, Preferences, User
from ledger import messaging, preferences
from ledger.models import EmailOptOut, Message
from practice import journal
from progress.models import Certificate, Enrolment, LessonCompletion, Review
from teams import dashboards

from . import schedule

logger = logging.getLogger(__name__)

LEARNER_DIGEST = "learner_digest"
MANAGER_DIGEST = "manager_digest"
SCAN_CHUNK = 2000  # users read per query while finding who is due: bounded memory at any scale


def digest_key(kind: str, user_id: int, week: str) -> str:
    return f"{kind}:{user_id}:{week}"


def recipients_due(kind: str, *, now: datetime) -> list[int]:
    """Ids of people whose weekly digest of `kind` is due at `now` and not yet claimed.

    Streams users in chunks; only ids are kept. One read for users and one for the ledger per
    chunk.
    """
    enabled = "digest_enabled" if kind == LEARNER_DIGEST else "manager_digest_enabled"
    users = User.objects.filter(is_active=True).filter(
        Q(preferences__isnull=True) | Q(**{f"preferences__{enabled}": True})
    )
    if kind == MANAGER_DIGEST:
        users = users.filter(memberships__role=Membership.Role.MANAGER).distinct()
    else:
        users = users.filter(Exists(Enrolment.objects.filter(learner=OuterRef("pk"))))
    rows = users.order_by("pk").values_list(
        "pk", "timezone", "preferences__digest_weekday", "preferences__digest_hour"
    )
    due: list[int] = []
    last_pk = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_pk)[:SCAN_CHUNK])
        if not chunk:
            return due
        last_pk = chunk[-1][0]
        keys = {}
        for pk, tz_name, weekday, hour in chunk:
            slot = schedule.digest_slot(
                now, tz_name, 0 if weekday is None else weekday, 8 if hour is None else hour
            )
            if slot.due:
                keys[digest_key(kind, pk, slot.week)] = pk
        taken = set(Message.objects.filter(key__in=list(keys)).values_list("key", flat=True))
        due.extend(pk for key, pk in keys.items() if key not in taken)


# -- learner digest ----------------------------------------------------------------------


@dataclass
class TrackLine:
    title: str
    url: str
    percent: int
    done_this_week: int
    next_lesson: str | None
    next_url: str | None
    due_date: object | None


@dataclass
class LearnerDigest:
    user: User
    week: str
    tracks: list[TrackLine] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    certificates: list[dict] = field(default_factory=list)
    growth: list = field(default_factory=list)  # journal.ProfileLine: change and cadence

    @property
    def lessons_this_week(self) -> int:
        return sum(t.done_this_week for t in self.tracks)

    @property
    def has_news(self) -> bool:
        unfinished = any(t.percent < 100 for t in self.tracks)
        return bool(unfinished or self.reviews or self.certificates or self.growth)


def _track_rows(user_ids: list[int], since: datetime):
    """One row per enrolment of the batch's users, with progress and the next lesson.

    Lessons done and the earliest due date are the figures stored on the enrolment
    (progress.rollups keeps them in step with every write); the track's lesson count, this
    week's completions and the next lesson are looked up per row.
    """
    learner, track = OuterRef("learner_id"), OuterRef("track_id")
    current = Lesson.objects.current().filter(track=track)
    # The same lessons, with "its module is not archived" as an anti-join: PostgreSQL joined
    # every module to the track's lessons for each row, 60 of a batch's 130 ms of reads.
    current_lessons = Lesson.objects.filter(track=track, archived_at__isnull=True).exclude(
        Exists(Module.objects.filter(pk=OuterRef("module_id"), archived_at__isnull=False))
    )
    completions_this_week = LessonCompletion.objects.filter(
        learner=learner,
        lesson__track=track,
        lesson__archived_at__isnull=True,
        lesson__module__archived_at__isnull=True,
        completed_at__gte=since,
    )
    next_lesson = current.exclude(
        Exists(
            LessonCompletion.objects.filter(
                learner=OuterRef(OuterRef("learner_id")), lesson=OuterRef("pk")
            )
        )
    ).order_by("module__position", "position")

    return (
        Enrolment.objects.filter(learner_id__in=user_ids, track__archived_at__isnull=True, track__is_published=True)
        .annotate(
            total=Coalesce(Subquery(current_lessons.order_by().values("track").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0),
            done_this_week=Coalesce(
                Subquery(
                    completions_this_week.order_by().values("learner").annotate(n=Count("pk")).values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            # "<slug>/<title>" of the next lesson: one lookup where two subqueries (title,
            # slug) walked the track's lessons twice; a slug never holds a "/"
            next_lesson=Subquery(next_lesson.annotate(slug_title=Concat("slug", Value("/"), "title")).values("slug_title")[:1]),
        )
        .values("learner_id", "track__title", "track__slug", "total", "lessons_done", "done_this_week", "next_lesson", "due_date", "completed_at")
        .order_by("learner_id", "track__title")
    )  # fmt: skip


def build_learner_digests(user_ids: list[int], *, now: datetime) -> list[LearnerDigest]:
    """Everything the batch's digests say, in five reads (opt-outs come with the users)."""
    users = list(
        User.objects.filter(pk__in=user_ids, is_active=True)
        .select_related("preferences")
        .annotate(digest_opted_out=_opted_out(LEARNER_DIGEST))
    )
    since = now - timedelta(days=7)
    by_user: dict[int, LearnerDigest] = {}
    for user in users:
        slot = schedule.digest_slot(now, user.timezone, *_digest_time(user))
        by_user[user.pk] = LearnerDigest(user=user, week=slot.week)
    url = _url_cache()  # the batch's learners share a few tracks and lessons
    for row in _track_rows(list(by_user), since):
        total = row["total"]
        percent = round(100 * row["lessons_done"] / total) if total else 0
        slug = row["track__slug"]
        next_slug, _, next_title = (row["next_lesson"] or "").partition("/")
        by_user[row["learner_id"]].tracks.append(
            TrackLine(
                title=row["track__title"],
                url=url("progress:track", slug),
                percent=100 if row["completed_at"] else percent,
                done_this_week=row["done_this_week"],
                next_lesson=next_title if row["next_lesson"] is not None else None,
                next_url=url("progress:lesson", slug, next_slug) if next_slug else None,
                due_date=row["due_date"],
            )
        )
    for review in Review.objects.filter(
        submission__learner_id__in=list(by_user), reviewed_at__gte=since
    ).values("submission__learner_id", "submission__assignment__title", "outcome", "submission_id"):
        by_user[review["submission__learner_id"]].reviews.append(
            {
                "title": review["submission__assignment__title"],
                "approved": review["outcome"] == "approved",
                "url": messaging.absolute(
                    reverse("progress:submission", args=[review["submission_id"]])
                ),
            }
        )
    for certificate in Certificate.objects.filter(
        learner_id__in=list(by_user), issued_at__gte=since
    ).values("learner_id", "track_title", "code"):
        by_user[certificate["learner_id"]].certificates.append(
            {
                "title": certificate["track_title"],
                "url": messaging.absolute(
                    reverse("progress:certificate", args=[certificate["code"]])
                ),
            }
        )
    # The growth journal: followers gained since last week and posts against the weekly goal.
    for user_id, lines in journal.digest_growth(list(by_user), now=now).items():
        by_user[user_id].growth = lines
    return list(by_user.values())


def _url_cache():
    """url(name, *args): the absolute URL, each distinct one reversed once."""
    return functools.cache(lambda name, *args: messaging.absolute(reverse(name, args=args)))


def _digest_time(user: User) -> tuple[int, int]:
    try:
        preferences = user.preferences
    except Preferences.DoesNotExist:
        return 0, 8
    return preferences.digest_weekday, preferences.digest_hour


def _opted_out(kind: str) -> Exists:
    """Whether the outer user's address unsubscribed from `kind` (or from everything): read
    with the users, not in a query of its own."""
    return Exists(
        EmailOptOut.objects.filter(
            email=Lower(OuterRef("email")), kind__in=[kind, preferences.ALL_KINDS]
        )
    )


def opted_out(emails: list[str], kind: str) -> set[str]:
    return set(
        EmailOptOut.objects.filter(
            email__in=[e.lower() for e in emails], kind__in=[kind, preferences.ALL_KINDS]
        ).values_list("email", flat=True)
    )


def send_learner_digests(*, user_ids: list[int], now: datetime) -> int:
    """Send this week's digest to each of `user_ids` who has something to hear. Idempotent."""
    claimed = messaging.claim_many(_learner_outgoing(user_ids, now=now), now=now)
    sent, failed = messaging.deliver_all(messaging.one_by_one(claimed))
    if failed:
        logger.warning("%d learner digests failed and will be retried", failed)
    return sent


def _learner_outgoing(user_ids: list[int], *, now: datetime) -> list[messaging.Outgoing]:
    """The batch's rendered digests (what they were built from is let go before sending)."""
    digests = build_learner_digests(user_ids, now=now)
    me_url = messaging.absolute(reverse("progress:me"))
    journal_url = messaging.absolute(reverse("practice:journal"))
    outgoing = []
    for digest in digests:
        if not digest.has_news or digest.user.digest_opted_out:
            continue
        context = messaging.build_context(
            kind=LEARNER_DIGEST,
            to_email=digest.user.email,
            recipient=digest.user,
            context={"digest": digest, "me_url": me_url, "journal_url": journal_url},
        )
        outgoing.append(
            messaging.Outgoing(
                key=digest_key(LEARNER_DIGEST, digest.user.pk, digest.week),
                kind=LEARNER_DIGEST,
                to_email=digest.user.email,
                recipient_id=digest.user.pk,
                rendered=messaging.render(LEARNER_DIGEST, context),
            )
        )
    return outgoing


# -- manager digest ----------------------------------------------------------------------


def send_manager_digests(*, user_ids: list[int], now: datetime) -> int:
    """Weekly team summary for each manager. A few queries per manager (managers are few)."""
    managers = list(
        User.objects.filter(pk__in=user_ids, is_active=True).select_related("preferences")
    )
    blocked = opted_out([m.email for m in managers], MANAGER_DIGEST)
    since = now - timedelta(days=7)
    outgoing = []
    for manager in managers:
        if manager.email.lower() in blocked:
            continue
        rows = dashboards.dashboard_rows(manager)
        counts = dashboards.summary(rows)
        if not counts["assignments"] and not counts["awaiting_review"]:
            continue
        week = schedule.digest_slot(now, manager.timezone, *_digest_time(manager)).week
        waiting = list(dashboards.awaiting_review(manager)[:10])
        overdue = list(rows.filter(status="overdue")[:10])
        inactive = list(
            rows.exclude(status="completed").filter(
                Q(last_activity_at__lt=since) | Q(last_activity_at__isnull=True)
            )[:10]
        )
        completed = Certificate.objects.filter(
            learner__in=dashboards.team_learners(dashboards.managed_teams(manager)),
            issued_at__gte=since,
        ).count()
        context = messaging.build_context(
            kind=MANAGER_DIGEST,
            to_email=manager.email,
            recipient=manager,
            context={
                "manager": manager,
                "counts": counts,
                "completed_this_week": completed,
                "waiting": [
                    {"name": s.learner.name, "title": s.assignment.title, "days": (now - s.submitted_at).days,
                     "url": messaging.absolute(s.get_absolute_url())}
                    for s in waiting
                ],
                "overdue": [{"name": r.learner.name, "track": r.track.title, "due": r.due_date} for r in overdue],
                "inactive": [{"name": r.learner.name, "track": r.track.title} for r in inactive],
                "dashboard_url": messaging.absolute(reverse("teams:team")),
                "reviews_url": messaging.absolute(reverse("teams:team_reviews")),
            },
        )  # fmt: skip
        outgoing.append(
            messaging.Outgoing(
                key=digest_key(MANAGER_DIGEST, manager.pk, week),
                kind=MANAGER_DIGEST,
                to_email=manager.email,
                recipient_id=manager.pk,
                rendered=messaging.render(MANAGER_DIGEST, context),
            )
        )
    sent, _ = messaging.deliver_all(messaging.claim_many(outgoing, now=now))
    return sent
