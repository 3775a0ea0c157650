"""The public portfolio at /p/<handle>/: private by default, shows only what the learner
chose, hidden at once when switched off, readable without signing in, and cheap to serve."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practice import journal
from practice.models import Evidence, GrowthProfile, Portfolio
from progress import services
from tests import factories

pytestmark = pytest.mark.django_db


def settings_data(**overrides) -> dict:
    data = {
        "handle": "lena",
        "is_public": "on",
        "headline": "Social lead at Acme",
        "show_certificates": "on",
    }
    return {key: value for key, value in {**data, **overrides}.items() if value is not None}


@pytest.fixture
def certificate(learner):
    track = factories.make_track(slug="done", modules=1, lessons_per_module=1)
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get())
    return track.certificates.get()


def evidence(learner, n: int, *, shown: bool) -> Evidence:
    return Evidence.objects.create(
        learner=learner,
        url=f"https://www.linkedin.com/posts/lena-{n}",
        network="linkedin",
        published_on=timezone.localdate() - timedelta(days=n),
        note=f"note {n}",
        on_portfolio=shown,
    )


def test_nothing_shows_until_the_learner_opts_in(client, learner, certificate):
    Portfolio.objects.create(learner=learner, handle="lena")  # a handle alone is not consent
    evidence(learner, 1, shown=True)
    assert client.get("/p/lena/").status_code == 404
    assert client.get("/p/nobody/").status_code == 404
    client.force_login(learner)
    page = client.get("/journal/portfolio/").content.decode()
    assert "Private: nobody else can see it." in page


def test_opting_in_shows_certificates_and_chosen_evidence_to_anyone(client, learner, certificate):
    shown, hidden = evidence(learner, 1, shown=True), evidence(learner, 2, shown=False)
    client.force_login(learner)
    response = client.post("/journal/portfolio/", settings_data())
    assert response.status_code == 302
    client.logout()
    page = client.get("/p/lena/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Lena Learner" in html and "Social lead at Acme" in html
    assert f'href="/certificates/{certificate.code}/"' in html  # verification link
    assert shown.url in html and "note 1" in html
    assert hidden.url not in html
    assert 'rel="noopener noreferrer nofollow ugc"' in html
    assert "no-cache" in page["Cache-Control"]


def test_opting_out_hides_it_at_once(client, learner):
    client.force_login(learner)
    client.post("/journal/portfolio/", settings_data())
    assert client.get("/p/lena/").status_code == 200
    client.post("/journal/portfolio/", settings_data(is_public=None))
    assert client.get("/p/lena/").status_code == 404
    client.logout()
    assert client.get("/p/lena/").status_code == 404


def test_the_learner_chooses_what_appears(client, learner, certificate):
    profile = GrowthProfile.objects.create(learner=learner, network="linkedin", handle="lena")
    journal.record_snapshot(
        learner=learner, profile=profile, taken_on=timezone.localdate(), followers=4321
    )
    client.force_login(learner)
    client.post("/journal/portfolio/", settings_data(show_certificates=None))
    html = client.get("/p/lena/").content.decode()
    assert certificate.code not in html
    assert "4321" not in html  # growth is off by default
    client.post("/journal/portfolio/", settings_data(show_growth="on"))
    html = client.get("/p/lena/").content.decode()
    assert certificate.code in html
    assert "4321 followers" in html
    assert "<svg" in html


def test_an_inactive_account_has_no_public_page(client, learner):
    Portfolio.objects.create(learner=learner, handle="lena", is_public=True)
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert client.get("/p/lena/").status_code == 404


@pytest.mark.parametrize(
    ("handle", "ok"),
    [
        ("lena", True),
        ("Lena-Learner", True),  # stored lowercase
        ("l3n4", True),
        ("ab", False),
        ("-lena", False),
        ("lena-", False),
        ("lena learner", False),
        ("lena_learner", False),
        ("a" * 41, False),
        ("<script>", False),
    ],
)
def test_handles_are_slug_like(client, learner, handle, ok):
    client.force_login(learner)
    response = client.post("/journal/portfolio/", settings_data(handle=handle))
    assert (response.status_code == 302) is ok
    saved = Portfolio.objects.filter(learner=learner).values_list("handle", flat=True).first()
    assert (saved == handle.lower()) is ok


def test_handles_are_unique_and_needed_to_go_public(client, learner):
    other = factories.UserFactory()
    Portfolio.objects.create(learner=other, handle="lena")
    client.force_login(learner)
    taken = client.post("/journal/portfolio/", settings_data(handle="LENA"))
    assert taken.status_code == 400
    assert "That handle is taken" in taken.content.decode()
    missing = client.post("/journal/portfolio/", settings_data(handle=""))
    assert missing.status_code == 400
    assert not Portfolio.objects.filter(learner=learner, is_public=True).exists()


def test_the_address_is_case_insensitive(client, learner):
    Portfolio.objects.create(learner=learner, handle="lena", is_public=True)
    assert client.get("/p/LENA/").status_code == 200


def portfolio_queries(client, learner, items: int) -> int:
    Evidence.objects.filter(learner=learner).delete()
    for n in range(items):
        evidence(learner, n, shown=True)
    client.get("/p/lena/")  # warm up
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/p/lena/").status_code == 200
    return len(captured.captured_queries)


def test_portfolio_queries_do_not_grow_with_evidence(
    client, learner, certificate, django_assert_max_num_queries
):
    Portfolio.objects.create(learner=learner, handle="lena", is_public=True, show_growth=True)
    profile = GrowthProfile.objects.create(learner=learner, network="linkedin", handle="lena")
    for n in range(30):
        journal.record_snapshot(
            learner=learner,
            profile=profile,
            taken_on=timezone.localdate() - timedelta(days=n),
            followers=100 + n,
        )
    assert portfolio_queries(client, learner, 5) == portfolio_queries(client, learner, 100)
    # portfolio and learner + certificates + evidence + profiles (annotated) + snapshots = 5
    with django_assert_max_num_queries(5):
        client.get("/p/lena/")
