"""Sending a score without a browser, against the platform process: a launch that named only
the course's line items URL gets its column found or made (resourceId = the track's slug); a
refusal the platform means is recorded and not retried; a platform that can't be reached is
retried (ScoreNotSentError is a ConnectionError, which the sending tasks retry)."""

import pytest
import requests

from lti import grades
from lti.grades import ScoreNotSentError
from lti.models import GradeTarget
from tests import factories
from tests.lti.conftest import TRACK, register
from tests.provisioning.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def target_at(registration, track, **urls) -> GradeTarget:
    learner = factories.UserFactory(email=f"l{GradeTarget.objects.count()}@acme.example")
    return GradeTarget.objects.create(
        registration=registration,
        user=learner,
        track=track,
        subject=f"sub-{learner.pk}",
        resource_link_id=f"link-{learner.pk}",
        scopes=SCOPES,
        **urls,
    )


def test_a_course_without_the_column_gets_it_made_then_the_score(platform, track, site):
    registration = register(platform)
    target = target_at(registration, track, lineitems_url=f"{platform}/ags/course-2/lineitems")
    assert grades.send_score(target.pk) is True
    state = requests.get(f"{platform}/test/state", timeout=10).json()
    (item_id,) = [k for k, v in state["lineitems"].items() if v["context"] == "course-2"]
    column = state["lineitems"][item_id]
    assert (column["label"], column["scoreMaximum"], column["resourceId"]) == (
        track.title,
        100,
        TRACK,
    )
    assert [s["userId"] for s in state["scores"] if s["lineitem"] == item_id] == [target.subject]
    target.refresh_from_db()
    assert target.score_sent_at is not None and target.last_error == ""
    assert target.lineitem_url.endswith(f"/lineitems/{item_id}")  # found directly next time
    assert grades.send_score(target.pk) is False  # taken already: nothing sent twice


def test_a_refusal_is_recorded_and_an_unreachable_platform_retried(platform, track, site):
    registration = register(platform)
    missing = target_at(registration, track, lineitem_url=f"{platform}/ags/course-1/lineitems/nope")
    assert grades.send_score(missing.pk) is False
    missing.refresh_from_db()
    assert missing.score_sent_at is None and "404" in missing.last_error

    registration.auth_token_url = f"http://127.0.0.1:{free_port()}/token"  # nobody listening
    registration.save()
    with pytest.raises(ScoreNotSentError):
        grades.send_score(missing.pk)
    assert issubclass(ScoreNotSentError, ConnectionError)
