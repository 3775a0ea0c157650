"""The demo story, end to end on the seeded data: Carrie publishes a policy, Sean acknowledges
it and is cleared to post after his track, a new version takes his clearance away until he
acknowledges again, and the roster shows it all."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from governance.models import PolicyVersion
from learners.models import User
from progress import services
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db


def roster_cell(client) -> str:
    body = client.get(reverse("governance:roster")).content.decode()
    row = body[body.index("<strong>Sean Newcomer</strong>") :]
    return row[: row.index("</tr>")]


def test_the_demo_story(client, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.VAR_DIR = tmp_path
    with gov.at(gov.JAN_1):
        track = factories.make_track(slug="newcomer", modules=1, lessons_per_module=2)
        call_command("seed_demo", "--password", "demo-pass-123")
    carrie = User.objects.get(email="carrie@example.com")
    sean = User.objects.get(email="sean@example.com")
    morgan = User.objects.get(email="morgan@example.com")

    # Sean reads and acknowledges version 1, then finishes his track.
    client.force_login(sean)
    with gov.at(gov.JAN_1 + timedelta(days=1)):
        version = PolicyVersion.objects.get(number=1)
        client.post(
            reverse("governance:policy"), {"version": version.pk, "sha256": version.text_sha256}
        )
    client.force_login(morgan)
    with gov.at(gov.JAN_1 + timedelta(days=2)):
        assert "Not cleared" in roster_cell(client)
        for lesson in track.lessons.all():
            services.record_lesson_completion(learner=sean, lesson=lesson)
        assert "Cleared" in roster_cell(client) and "since 3 Jan 2026" in roster_cell(client)

    # Carrie publishes version 2: Sean's clearance pauses until he acknowledges it.
    client.force_login(carrie)
    edit = reverse("governance:policy_edit")
    with gov.at(gov.JAN_1 + timedelta(days=5)), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit,
            {
                "body": "## Version 2\n\nNow with rules for AI-written posts.",
                "changes_summary": "Adds rules for AI-written posts.",
                "effective_date": (gov.JAN_1 + timedelta(days=5)).date(),
                "action": "publish",
            },
        )
    assert response.status_code == 302
    with gov.at(gov.JAN_1 + timedelta(days=6)):
        assert "Lost" in roster_cell(client) and "policy changed" in roster_cell(client)
        client.force_login(sean)
        me = client.get(reverse("progress:me")).content.decode()
        assert "Adds rules for AI-written posts." in me
        version = PolicyVersion.objects.get(number=2)
        client.post(
            reverse("governance:policy"), {"version": version.pk, "sha256": version.text_sha256}
        )
        client.force_login(carrie)
        assert "Cleared" in roster_cell(client) and "since 7 Jan 2026" in roster_cell(client)
