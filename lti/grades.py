"""Assignment and Grade Services: a completed track's score goes to the line item of every
launch that brought the learner to it.

The score is the completion: 100 of 100 once the track's certificate is issued (every lesson
done, every quiz passed, every required assignment approved), activityProgress Completed,
gradingProgress FullyGraded. Quiz averages stay in Socialcraft: a pass mark already gates the
certificate, and an LMS gradebook column that means "done" reads the same in every course.

Posting the same score twice leaves the platform's gradebook as it was (a score replaces the
learner's previous one), so a retried task is harmless; `score_sent_at` records success."""

import logging

import requests
from django.utils import timezone
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector

from core.tasks import enqueue_after_commit

from . import tool
from .models import GradeTarget

logger = logging.getLogger(__name__)

SCORE_MAXIMUM = 100
TIMEOUT_SECONDS = 10


class ScoreNotSentError(ConnectionError):
    """The platform or the network failed in a way worth another try (core.tasks.SENDING
    retries ConnectionError with backoff)."""


def on_certificate_issued(sender, *, certificate, **kwargs) -> None:
    """progress.signals.certificate_issued: send the score wherever this track was launched
    from, after the certificate's transaction commits. One query when there is nowhere."""
    ids = list(
        GradeTarget.objects.filter(
            user_id=certificate.learner_id,
            track_id=certificate.track_id,
            registration__active=True,
        ).values_list("pk", flat=True)
    )
    if ids:
        enqueue_after_commit("lti.tasks.send_scores", target_ids=ids)


class _Session(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def _line_item(target: GradeTarget) -> LineItem | None:
    if target.lineitem_url:
        return None  # the launch named the line item: the score goes there
    # Only a line items URL: find the track's column by its resource id, or make it.
    return (
        LineItem()
        .set_label(target.track.title)
        .set_score_maximum(SCORE_MAXIMUM)
        .set_resource_id(target.track.slug)
        .set_resource_link_id(target.resource_link_id)
    )


def send_score(target_id: int) -> bool:
    """Post the completion score for one grade target; True once the platform took it (a
    target whose score was taken already is skipped: a retried batch sends nothing twice).

    Raises ScoreNotSentError on a network failure or a 5xx/429 answer (the task retries); a refusal
    the platform means (another 4xx, a missing scope) is recorded in `last_error` and not
    retried."""
    target = (
        GradeTarget.objects.select_related("registration", "track")
        .filter(pk=target_id, registration__active=True, score_sent_at__isnull=True)
        .first()
    )
    if target is None:
        return False
    registration = tool.registration_for(target.registration)
    connector = ServiceConnector(registration, requests_session=_Session())
    service = AssignmentsGradesService(
        connector,
        {
            "scope": target.scopes,
            "lineitem": target.lineitem_url or None,
            "lineitems": target.lineitems_url or None,
        },
    )
    now = timezone.now()
    grade = (
        Grade()
        .set_score_given(SCORE_MAXIMUM)
        .set_score_maximum(SCORE_MAXIMUM)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(now.isoformat())
        .set_user_id(target.subject)
    )
    try:
        column = _line_item(target)
        if column is not None:
            column = service.find_or_create_lineitem(column, find_by="resource_id")
            GradeTarget.objects.filter(pk=target.pk).update(lineitem_url=column.get_id()[:500])
        service.put_grade(grade, column)
    except requests.RequestException as failure:
        _failed(target, f"{type(failure).__name__}: {failure}")
        raise ScoreNotSentError(str(failure)) from failure
    except LtiServiceException as failure:
        status = failure.response.status_code
        _failed(target, str(failure))
        if status >= 500 or status == 429:
            raise ScoreNotSentError(str(failure)) from failure
        return False
    except LtiException as failure:
        _failed(target, str(failure))
        return False
    GradeTarget.objects.filter(pk=target.pk).update(score_sent_at=now, last_error="")
    return True


def _failed(target: GradeTarget, error: str) -> None:
    logger.warning("LTI score for grade target %s not sent: %s", target.pk, error)
    GradeTarget.objects.filter(pk=target.pk).update(last_error=error[:300])
