"""Placement: pick a role, rate yourself, get a track and modules you may skim."""

import pytest
from django.urls import reverse

from learners.models import Placement
from progress import services
from progress.models import LessonCompletion
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def track():
    track = factories.make_track(slug="newcomer-track", modules=4, lessons_per_module=1)
    for module in track.modules.all():
        module.self_check = f"I can do the work of {module.title}."
        module.save()
    factories.make_track(slug="exec-track", role_slug="executive", modules=1, lessons_per_module=1)
    return track


def answers(track, levels):
    return {
        f"module_{module.pk}": level
        for module, level in zip(track.modules.order_by("position"), levels, strict=True)
    }


def test_role_step_lists_roles_with_tracks(client, learner, track):
    client.force_login(learner)
    body = client.get(reverse("placement")).content.decode()
    assert "Newcomer" in body
    assert "Executive" in body
    assert "Strategy lead" not in body  # no published track for it


def test_placement_recommends_a_track_and_modules_to_skim(client, learner, track):
    client.force_login(learner)
    url = reverse("placement") + "?role=newcomer"
    body = client.get(url).content.decode()
    assert "I can do the work of Module 1." in body
    response = client.post(url, answers(track, [4, 1, 3, 2]))
    assert response["Location"] == reverse("placement_result")
    placement = Placement.objects.get(user=learner)
    assert placement.recommended_track == track
    assert [m.title for m in placement.skim_modules.order_by("position")] == [
        "Module 1",
        "Module 3",
    ]
    body = client.get(reverse("placement_result")).content.decode()
    assert "We recommend: Track newcomer-track" in body
    assert "Module 3" in body
    outline = client.get(track.get_absolute_url()).content.decode()
    assert outline.count("may skim this module") == 2


def test_unanswered_statements_get_a_message(client, learner, track):
    client.force_login(learner)
    data = answers(track, [4, 1, 3, 2])
    data.pop(next(iter(data)))
    response = client.post(reverse("placement") + "?role=newcomer", data)
    assert response.status_code == 400
    assert "Please answer every statement." in response.content.decode()
    assert not Placement.objects.exists()


def test_unknown_role_gets_a_message(client, learner, track):
    client.force_login(learner)
    response = client.get(reverse("placement") + "?role=astronaut")
    assert response.status_code == 400
    assert "Please choose a role." in response.content.decode()


def test_changing_placement_never_deletes_progress(client, learner, track):
    services.record_lesson_completion(learner=learner, lesson=track.lessons.first())
    client.force_login(learner)
    client.post(reverse("placement") + "?role=newcomer", answers(track, [1, 1, 1, 1]))
    exec_track = (
        factories.Track.objects.get(slug="exec-track") if hasattr(factories, "Track") else None
    )
    client.post(
        reverse("placement") + "?role=executive",
        {f"module_{m.pk}": 2 for m in (exec_track or track).modules.all()} if exec_track else {},
    )
    assert LessonCompletion.objects.filter(learner=learner).count() == 1
    assert Placement.objects.get(user=learner).role.slug == "executive"


def landing(client, learner) -> str:
    """Where signing in ends up, through the start page."""
    response = client.post(
        reverse("account_login"), {"login": learner.email, "password": factories.PASSWORD}
    )
    assert response["Location"] == reverse("teams:start")
    return client.get(response["Location"])["Location"]


def test_first_login_goes_to_placement_then_to_my_learning(client, learner, track):
    assert landing(client, learner) == reverse("placement")
    client.post(reverse("placement") + "?role=newcomer", answers(track, [1, 1, 1, 1]))
    client.post(reverse("account_logout"))
    assert landing(client, learner) == reverse("progress:me")
