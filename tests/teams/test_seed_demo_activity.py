import pytest
from django.core.management import call_command

from learners.models import TrackAssignment
from progress.models import Enrolment, LessonCompletion, Submission
from tests import factories

pytestmark = pytest.mark.django_db


def test_demo_activity_assigns_tracks_and_is_idempotent(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", "--password", "demo-pass-123")
    for slug, role in (
        ("newcomer", "newcomer"),
        ("strategy-lead", "strategy-lead"),
        ("executive", "executive"),
    ):
        track = factories.make_track(slug=slug, role_slug=role, modules=1, lessons_per_module=3)
        factories.add_rubric(factories.add_assignment(track.lessons.order_by("position").last()))
    call_command("seed_demo_activity")
    call_command("seed_demo_activity")
    assert TrackAssignment.objects.count() == 3
    assert Enrolment.objects.count() == 3
    assert LessonCompletion.objects.filter(learner__email="sean@example.com").count() == 2
    assert (
        Submission.objects.filter(
            learner__email="carrie@example.com", status="awaiting_review"
        ).count()
        == 1
    )
