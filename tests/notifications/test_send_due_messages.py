"""manage.py send_due_messages reports what it sent, not only who was due (issue 23, item 6)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from progress import services
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("send_due_messages", *args, stdout=out)
    return out.getvalue()


def test_the_report_says_what_was_due_and_what_was_sent():
    learner = factories.UserFactory(timezone="UTC")
    track = factories.make_track(modules=1, lessons_per_module=2)
    noon = timezone.now().replace(hour=12, minute=0)
    with time_machine.travel(noon - timedelta(days=9), tick=False):
        services.record_lesson_visit(learner=learner, lesson=track.lessons.first())

    first = run("--now", noon.isoformat())
    again = run("--now", (noon + timedelta(minutes=5)).isoformat())

    assert "nudge: 1 due, 1 sent" in first
    assert "nudge: 0 due, 0 sent" in again  # one nudge a day
    assert "announcement: 0 due, 0 made" in first


def test_a_bad_date_is_refused_clearly():
    with pytest.raises(CommandError, match="--now must be an ISO date-time"):
        run("--now", "next tuesday")
