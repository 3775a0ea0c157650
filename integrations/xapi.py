"""xAPI statements about an organisation's people, for its learning record stores
(docs/xapi.md): what each learning event says, written to the outbox in the transaction of
the event (integrations/outbox.py sends them after commit), and how a store's answer is read.

Each statement's id is derived from the event (a UUID v5 of its key), so the same event always
makes the same statement: a retry, or the event heard twice, never duplicates it in a store.
The actor is an opaque account (XapiAccount): never an email or a name."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import requests
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from courses import pages
from learners.models import User
from progress.models import Enrolment
from provisioning.people import organisation_ids_of

from . import outbox
from .events import site_url
from .models import LearningRecordStore, StatementDelivery, XapiAccount

SEND_TASK = "integrations.tasks.send_xapi_statements"
XAPI_VERSION = "1.0.3"
PLATFORM = "Socialcraft"
# The namespace of every id derived here (statements, registrations). Fixed for ever: a new
# namespace would give every past event a new statement id, and stores would hold it twice.
NAMESPACE = uuid.UUID("6f1c2b0e-5d1a-4c3e-9a57-2f4b8e0c7d21")

# Verbs: ADL's vocabulary (https://adlnet.gov/expapi/verbs/), and "earned" from the Tin Can
# registry (http://id.tincanapi.com/verb/earned), the one learning record stores and their
# dashboards know for a credential awarded.
VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "earned": "http://id.tincanapi.com/verb/earned",
}
# Activity types: ADL's (https://adlnet.gov/expapi/activities/), and the Tin Can registry's
# certificate.
COURSE = "http://adlnet.gov/expapi/activities/course"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
PERFORMANCE = "http://adlnet.gov/expapi/activities/performance"
CERTIFICATE = "http://id.tincanapi.com/activitytype/certificate"


def statement_id(key: str) -> str:
    """The statement's id, the same however often the event is heard or sent."""
    return str(uuid.uuid5(NAMESPACE, f"statement:{key}"))


def language() -> str:
    """The site's language as an RFC 5646 tag (LANGUAGE_CODE "en-gb" → "en-GB")."""
    code, _, region = settings.LANGUAGE_CODE.partition("-")
    return f"{code}-{region.upper()}" if region else code


def actor(user: User) -> dict:
    account, _ = XapiAccount.objects.get_or_create(user=user)
    return {
        "objectType": "Agent",
        "account": {"homePage": settings.SITE_URL.rstrip("/"), "name": str(account.name)},
    }


def registration(*, learner_id: int, track_id: int) -> str | None:
    """One registration per enrolment (xAPI's "attempt at the course"), derived from it."""
    enrolment = (
        Enrolment.objects.filter(learner_id=learner_id, track_id=track_id)
        .values_list("pk", flat=True)
        .first()
    )
    return str(uuid.uuid5(NAMESPACE, f"registration:{enrolment}")) if enrolment else None


def activity(url: str, name: str, kind: str, **definition) -> dict:
    return {
        "objectType": "Activity",
        "id": site_url(url) if url.startswith("/") else url,
        "definition": {"name": {language(): name}, "type": kind, **definition},
    }


def track_activity(track) -> dict:
    return activity(pages.track_url(track.slug), track.title, COURSE)


@dataclass(frozen=True)
class Said:
    """One statement to make: `key` names the event it comes from (its id is derived from it)."""

    key: str
    verb: str
    subject: dict
    occurred_at: datetime
    result: dict | None = None
    parents: list[dict] | None = None


def emit(*, learner: User, track, said: list[Said]) -> list[int]:
    """These statements about `learner` (in `track`) to each active learning record store of
    the organisations they learn in, each once per store. The stores, the actor and the
    registration are looked up once for all of them. Returns the new deliveries' ids."""
    stores = list(
        LearningRecordStore.objects.filter(
            organisation_id__in=organisation_ids_of(learner), active=True
        )
    )
    if not stores:
        return []
    agent = actor(learner)
    context = {"platform": PLATFORM, "language": language()}
    enrolment = registration(learner_id=learner.pk, track_id=track.pk)
    if enrolment:
        context["registration"] = enrolment
    rows = []
    for one in said:
        statement = {
            "id": statement_id(one.key),
            "actor": agent,
            "verb": {"id": VERBS[one.verb], "display": {"en-US": one.verb}},
            "object": one.subject,
            **({"result": one.result} if one.result else {}),
            "context": {
                **context,
                **({"contextActivities": {"parent": one.parents}} if one.parents else {}),
            },
            "timestamp": one.occurred_at.isoformat(),
        }
        rows += [
            StatementDelivery(
                store=store,
                statement_id=statement["id"],
                verb=one.verb,
                statement=statement,
                occurred_at=one.occurred_at,
                next_attempt_at=one.occurred_at,
            )
            for store in stores
        ]
    return outbox.write(rows, task=SEND_TASK)


# -- the events (progress.signals) ------------------------------------------------------------


def on_lesson_completed(sender, completion, **kwargs) -> None:
    lesson = completion.lesson
    emit(learner=completion.learner, track=lesson.track, said=[Said(
        key=f"lesson-experienced:{completion.pk}", verb="experienced",
        subject=activity(lesson.get_absolute_url(), lesson.title, LESSON),
        parents=[track_activity(lesson.track)], occurred_at=completion.completed_at,
    )])  # fmt: skip


def on_quiz_attempted(sender, attempt, **kwargs) -> None:
    """One "answered" per question asked, then "passed" or "failed" the quiz with its score."""
    lesson = attempt.quiz.lesson
    track = lesson.track
    quiz_url = pages.lesson_url(track.slug, lesson.slug, "quiz")
    quiz = activity(quiz_url, f"Quiz: {lesson.title}", ASSESSMENT)
    said = []
    for asked in attempt.answers:
        chosen = [str(choice["choice"]) for choice in asked["choices"] if choice["chosen"]]
        said.append(
            Said(
                key=f"quiz-answered:{attempt.pk}:{asked['question']}",
                verb="answered",
                subject=activity(
                    f"{quiz_url}#question-{asked['question']}",
                    asked["prompt"],
                    QUESTION,
                    interactionType="choice",
                ),
                result={"success": asked["correct"], "response": "[,]".join(chosen)},
                parents=[quiz],
                occurred_at=attempt.submitted_at,
            )
        )
    correct = sum(1 for asked in attempt.answers if asked["correct"])
    asked = len(attempt.answers)
    verb = "passed" if attempt.passed else "failed"
    said.append(
        Said(
            key=f"quiz-{verb}:{attempt.pk}",
            verb=verb,
            subject=quiz,
            result={
                "score": {
                    "scaled": round(correct / asked, 4) if asked else 0,
                    "raw": correct,
                    "min": 0,
                    "max": asked,
                },
                "success": attempt.passed,
                "completion": True,
            },
            parents=[track_activity(track)],
            occurred_at=attempt.submitted_at,
        )
    )
    emit(learner=attempt.learner, track=track, said=said)


def on_assignment_submitted(sender, submission, **kwargs) -> None:
    lesson = submission.assignment.lesson
    url = pages.lesson_url(lesson.track.slug, lesson.slug, "assignment")
    emit(learner=submission.learner, track=lesson.track, said=[Said(
        key=f"assignment-attempted:{submission.pk}", verb="attempted",
        subject=activity(url, submission.assignment.title, PERFORMANCE),
        parents=[track_activity(lesson.track)], occurred_at=submission.submitted_at,
    )])  # fmt: skip


def on_certificate_issued(sender, certificate, **kwargs) -> None:
    """The track completed, and its certificate earned."""
    track = certificate.track
    certificate_page = reverse("progress:certificate", args=[certificate.code])
    emit(learner=certificate.learner, track=track, said=[
        Said(
            key=f"track-completed:{certificate.pk}", verb="completed",
            subject=track_activity(track), result={"completion": True, "success": True},
            occurred_at=certificate.issued_at,
        ),
        Said(
            key=f"certificate-earned:{certificate.pk}", verb="earned",
            subject=activity(
                certificate_page, f"Certificate: {certificate.track_title}", CERTIFICATE
            ),
            parents=[track_activity(track)], occurred_at=certificate.issued_at,
        ),
    ])  # fmt: skip


# -- sending ----------------------------------------------------------------------------------


def statements_url(store: LearningRecordStore) -> str:
    return store.endpoint.rstrip("/") + "/statements"


def send(delivery: StatementDelivery, now) -> outbox.Answer:
    """PUT the statement under its id. A 2xx stores it; a 409 means the store holds a
    statement with this id already (sent before): delivered too. A 429, a 5xx or no answer is
    tried again; any other 4xx is the store refusing this statement, for good."""
    try:
        response = requests.put(
            statements_url(delivery.store),
            params={"statementId": str(delivery.statement_id)},
            json=delivery.statement,
            auth=(delivery.store.key, delivery.store.secret),
            headers={"X-Experience-API-Version": XAPI_VERSION, "user-agent": "Socialcraft-xAPI/1"},
            timeout=outbox.TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as failure:
        return outbox.Answer(None, f"{type(failure).__name__}: {failure}")
    status = response.status_code
    if 200 <= status < 300:
        return outbox.Answer(status, delivered=True)
    said = f"HTTP {status}: {response.text[:250]}"
    if status == 409:
        return outbox.Answer(status, said, delivered=True)
    return outbox.Answer(status, said, permanent=400 <= status < 500 and status != 429)


def attempt(delivery_id: int, *, now=None) -> StatementDelivery | None:
    """Send one pending statement whose time has come; None when there is nothing to do."""
    rows: QuerySet = StatementDelivery.objects.select_related("store")
    return outbox.attempt(rows, delivery_id, send=send, now=now)


def due(now=None) -> list[int]:
    return outbox.due(StatementDelivery.objects, now)
