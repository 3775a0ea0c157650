"""Assignment and Grade Services end to end: a learner launched from the LMS completes the
track, the certificate's transaction commits, a real Celery worker (on the suite's Redis) gets
an access token from the platform with a client assertion signed by the tool's key, posts the
score to the launch's line item, and the platform's gradebook reads it back."""

import re
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import expect

from lti import keys
from lti.models import GradeTarget
from progress import services
from progress.models import LessonCompletion
from tests.lti.conftest import TRACK
from tests.notifications.test_celery import on_redis, worker  # noqa: F401 (fixtures)
from tests.polling import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def gradebook(platform: str) -> dict:
    return requests.get(f"{platform}/test/state", timeout=10).json()


def test_completing_the_track_sends_the_score_the_platform_reads_back(
    page,
    platform,
    registration,
    track,
    worker,  # noqa: F811
):
    # The teacher's deep link made the column; the learner's launch comes through its link.
    page.goto(f"{platform}/launch?{urlencode({'user': 'teacher-1', 'deep': 1})}")
    page.get_by_label(track.title).check()
    with page.expect_navigation(url=re.compile(r"/deep-link-return")):
        page.get_by_role("button", name="Add to my course").click()
    link = gradebook(platform)["deep_links"][-1]["items"][0]["link_id"]
    page.goto(
        f"{platform}/launch?{urlencode({'user': 'moodle-77', 'email': 'kim@acme.example', 'link': link})}"
    )
    expect(page).to_have_url(re.compile(rf"/tracks/{TRACK}/"))
    target = GradeTarget.objects.get(subject="moodle-77")
    # A rotation between the launch and the score: the platform reads the new key from the JWKS.
    keys.rotate()

    for lesson in track.lessons.all():
        LessonCompletion.objects.create(learner=target.user, lesson=lesson)
    services.issue_certificate_if_complete(learner=target.user, track=track)  # commits

    assert wait_for(lambda: gradebook(platform)["scores"], timeout=40), target.last_error
    (score,) = gradebook(platform)["scores"]
    assert score["lineitem"] == target.lineitem_url.rsplit("/", 1)[1]
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("moodle-77", 100, 100)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert wait_for(lambda: GradeTarget.objects.get(pk=target.pk).score_sent_at is not None)

    # Sent once: the task again (a retried batch) finds the score taken and sends nothing.
    from lti import tasks

    assert tasks.send_scores(target_ids=[target.pk]) == 0
    assert len(gradebook(platform)["scores"]) == 1
