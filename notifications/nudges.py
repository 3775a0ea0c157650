"""Nudges: at most one a day per person, the most useful one wins, only 08:00–20:00 local.

Each candidate has a topic ("due-soon:<assignment>:<user>") sent at most once; the message key
("nudge:<user>:<local date>") makes it one nudge a day even if two runs overlap.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from courses.models import Question
from learners.models import Membership, Preferences, TrackAssignment, User
from ledger import messaging
from ledger.models import Message
from progress import recertification
from progress.models import Enrolment, QuizAttempt, Review

from . import schedule

NUDGE = "nudge"
INACTIVE_DAYS = 7
DUE_SOON_DAYS = 3
PRACTICE_MIN_DAYS, PRACTICE_MAX_DAYS = 3, 30
PRACTICE_SALT = "progress.retrieval-practice"
# Most useful first. "cadence" (a weekly posting goal about to be missed) is gentler than any
# learning reminder, so it ranks below "inactive".
PRIORITY = ["review", "overdue", "due-soon", "recert", "inactive", "cadence", "practice"]


@dataclass
class Candidate:
    reason: str
    topic: str
    context: dict


def nudge_key(user_id: int, local_date) -> str:
    return f"{NUDGE}:{user_id}:{local_date.isoformat()}"


def _prefs(user: User) -> Preferences:
    try:
        return user.preferences
    except Preferences.DoesNotExist:
        return Preferences(user=user)


def recipients_due(*, now: datetime) -> list[int]:
    """Learners who might get a nudge now: enrolled, awake, and not nudged today."""
    rows = (
        User.objects.filter(is_active=True)
        .filter(Exists(Enrolment.objects.filter(learner=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "timezone")
    )
    due = []
    for pk, tz_name in rows.iterator(chunk_size=2000):
        if schedule.in_waking_hours(now, tz_name):
            due.append((pk, nudge_key(pk, schedule.local(now, tz_name).date())))
    taken = set()
    for start in range(0, len(due), 2000):
        keys = [key for _, key in due[start : start + 2000]]
        taken |= set(Message.objects.filter(key__in=keys).values_list("key", flat=True))
    return [pk for pk, key in due if key not in taken]


def candidates_for(user: User, *, now: datetime) -> list[Candidate]:
    """Every nudge this learner could get now, most useful first (a few queries per learner)."""
    prefs = _prefs(user)
    found: list[Candidate] = []
    today = schedule.local(now, user.timezone).date()
    if prefs.nudge_review:
        reviews = Review.objects.filter(
            submission__learner=user, reviewed_at__gte=now - timedelta(days=7)
        ).select_related("submission__assignment")
        found.extend(review_candidate(review) for review in reviews)
    if prefs.nudge_due:
        teams = Membership.objects.filter(user=user, role=Membership.Role.LEARNER).values("team_id")
        assignments = (
            TrackAssignment.objects.active()
            .filter(Q(learner=user) | Q(team_id__in=teams), due_date__isnull=False)
            .exclude(track__enrolments__learner=user, track__enrolments__completed_at__isnull=False)
            .select_related("track")
        )
        for assignment in assignments:
            days = (assignment.due_date - today).days
            url = messaging.absolute(assignment.track.get_absolute_url())
            if days < 0:
                weeks = (-days - 1) // 7  # overdue once, then weekly
                found.append(
                    Candidate(
                        "overdue",
                        f"overdue:{assignment.pk}:{user.pk}:{weeks}",
                        {"track": assignment.track.title, "due": assignment.due_date, "url": url},
                    )
                )
            elif days <= DUE_SOON_DAYS:
                found.append(Candidate("due-soon", f"due-soon:{assignment.pk}:{user.pk}", {"track": assignment.track.title, "due": assignment.due_date, "url": url}))  # fmt: skip
    if prefs.nudge_due:
        found.extend(recert_candidates(user, now=now))
    if prefs.nudge_inactive:
        cutoff = now - timedelta(days=INACTIVE_DAYS)
        for enrolment in (
            Enrolment.objects.filter(
                learner=user, completed_at__isnull=True, track__is_published=True
            )
            .filter(
                Q(last_activity_at__lt=cutoff)
                | Q(last_activity_at__isnull=True, enrolled_at__lt=cutoff)
            )
            .select_related("track")
        ):
            since = (enrolment.last_activity_at or enrolment.enrolled_at).date().isoformat()
            found.append(Candidate("inactive", f"inactive:{enrolment.pk}:{since}", {
                "track": enrolment.track.title, "url": messaging.absolute(enrolment.track.get_absolute_url()),
            }))  # fmt: skip
    if prefs.nudge_due:  # a weekly posting goal is a due date the learner set themselves
        found.extend(cadence_candidates(user, today=today))
    if prefs.nudge_practice:
        practice = practice_question(user, now=now)
        if practice is not None:
            found.append(practice)
    found.sort(key=lambda c: PRIORITY.index(c.reason))
    return found


def recert_candidates(user: User, *, now: datetime) -> list[Candidate]:
    """A certificate expiring within 30 days: take the refresher. Topic "recert:<certificate>:
    <expiry date>", so each certificate gets it once per validity period. One query, plus two
    per expiring certificate."""
    found = []
    for certificate in recertification.expiring_certificates(user, now=now):
        plan = recertification.refresher(certificate)
        found.append(
            Candidate(
                "recert",
                f"recert:{certificate.pk}:{recertification.window_key(certificate)}",
                {
                    "track": certificate.track_title,
                    "expires": certificate.expires_at,
                    "url": messaging.absolute(certificate.track.get_absolute_url()),
                    "lessons": [
                        {"title": item.title, "url": messaging.absolute(item.url)}
                        for item in plan.lessons
                        if not item.done
                    ],
                    "quizzes": [
                        {"title": item.title, "url": messaging.absolute(item.url)}
                        for item in plan.quizzes
                        if not item.done
                    ],
                },
            )
        )
    return found


def review_candidate(review: Review) -> Candidate:
    """ "Your work was reviewed": sent at once by the worker (notifications.reviews), or by the
    hourly nudges if that failed; the topic keeps it to one email."""
    return Candidate(
        "review",
        f"review:{review.pk}",
        {
            "title": review.submission.assignment.title,
            "approved": review.outcome == "approved",
            "url": messaging.absolute(review.submission.get_absolute_url()),
        },
    )


def cadence_candidates(user: User, *, today) -> list[Candidate]:
    """From Thursday of the learner's week, one reminder per posting goal that is short of
    posts; topic "cadence:<profile>:<ISO week>", so each goal is mentioned once a week. One
    query."""
    from practice.journal import cadence_shortfalls

    year, week, _ = today.isocalendar()
    return [
        Candidate(
            "cadence",
            f"cadence:{line.id}:{year}-W{week:02d}",
            {
                "network": line.network_name,
                "handle": line.handle,
                "goal": line.goal,
                "posts": line.posts,
                "days_left": 7 - today.weekday(),
                "url": messaging.absolute(reverse("practice:journal_evidence")),
                "studio_url": messaging.absolute(reverse("practice:studio")),
            },
        )
        for line in cadence_shortfalls(user, today=today)
    ]


def practice_question(user: User, *, now: datetime) -> Candidate | None:
    """One question from a quiz the learner passed 3–30 days ago, each choice a signed link."""
    quiz_ids = list(
        QuizAttempt.objects.filter(
            learner=user,
            passed=True,
            submitted_at__lte=now - timedelta(days=PRACTICE_MIN_DAYS),
            submitted_at__gte=now - timedelta(days=PRACTICE_MAX_DAYS),
        ).values_list("quiz_id", flat=True).distinct()
    )  # fmt: skip
    questions = list(
        Question.objects.filter(quiz_id__in=quiz_ids, kind=Question.Kind.SINGLE).prefetch_related(
            "choices"
        )[:50]
    )
    if not questions:
        return None
    day = schedule.local(now, user.timezone).date().isoformat()
    question = random.Random(f"{user.pk}:{day}").choice(questions)  # noqa: S311 - picking a question, not a secret
    choices = [
        {
            "text": choice.text,
            "url": messaging.absolute(
                reverse(
                    "notifications:practice_answer",
                    args=[practice_token(user.pk, question.pk, choice.pk, day)],
                )
            ),
        }
        for choice in question.choices.all()
    ]
    return Candidate(
        "practice", f"practice:{user.pk}:{day}", {"prompt": question.prompt, "choices": choices}
    )


def practice_token(user_id: int, question_id: int, choice_id: int, day: str) -> str:
    return signing.dumps(
        {"u": user_id, "q": question_id, "c": choice_id, "d": day}, salt=PRACTICE_SALT
    )


def read_practice_token(token: str) -> dict:
    return signing.loads(token, salt=PRACTICE_SALT, max_age=timedelta(days=14))


def already_sent_topics(topics: list[str]) -> set[str]:
    return set(Message.objects.filter(topic__in=topics).values_list("topic", flat=True))


def nudge_email(user: User, candidate: Candidate, *, key: str) -> messaging.Outgoing:
    """The nudge email about `candidate`, under its topic (so it is never sent twice)."""
    context = messaging.build_context(
        kind=NUDGE, to_email=user.email, recipient=user,
        context={"learner": user, "reason": candidate.reason, **candidate.context},
    )  # fmt: skip
    return messaging.Outgoing(
        key=key,
        kind=NUDGE,
        to_email=user.email,
        recipient_id=user.pk,
        rendered=messaging.render(NUDGE, context),
        topic=candidate.topic,
    )


def send_nudges(*, user_ids: list[int], now: datetime) -> int:
    """At most one nudge per learner for the local day; the best unsent candidate wins."""
    users = list(User.objects.filter(pk__in=user_ids, is_active=True).select_related("preferences"))
    from .digests import opted_out

    blocked = opted_out([u.email for u in users], NUDGE)
    outgoing = []
    for user in users:
        if user.email.lower() in blocked or not schedule.in_waking_hours(now, user.timezone):
            continue
        candidates = candidates_for(user, now=now)
        sent_topics = already_sent_topics([c.topic for c in candidates])
        best = next((c for c in candidates if c.topic not in sent_topics), None)
        if best is None:
            continue
        day = schedule.local(now, user.timezone).date()
        outgoing.append(nudge_email(user, best, key=nudge_key(user.pk, day)))
    sent, _ = messaging.deliver_all(messaging.claim_many(outgoing, now=now))
    return sent
