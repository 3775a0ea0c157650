"""The post studio in Chromium: draft a LinkedIn post, watch the live preview and a check
appear as you type (studio.js under the site's CSP), save it and ask the manager to review it.
The studio and journal pages also pass axe-core at phone and desktop widths."""

import re

import pytest
from playwright.sync_api import expect

from practice.models import PracticePost
from tests import factories
from tests.e2e.conftest import PageProblems, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POST = (
    "We fixed 1,100 jackets in three stores last spring, and most of them had broken in just "
    "one small place: a zip, a seam, a buckle. So this April every Kestrel store runs Repair "
    "Days. Bring any jacket, tent or backpack, from any brand. #repairdays"
)


@pytest.fixture
def people(site):
    learner = factories.UserFactory(email="lena@example.com", display_name="Lena Learner")
    manager = factories.UserFactory(email="max@example.com", display_name="Max Manager")
    factories.team_with(manager=manager, learners=[learner])
    return learner, manager


def test_draft_preview_check_and_ask_for_review(page, site, people, mailoutbox):
    learner, manager = people
    problems = PageProblems(page)
    sign_in(page, site.url, learner.email, factories.PASSWORD)
    page.get_by_role("link", name="Studio").click()
    expect(page.get_by_role("heading", name="Post studio")).to_be_visible()
    expect(page.locator("form[data-studio-live]")).to_have_count(1)  # studio.js is running

    page.get_by_label("Network").select_option(label="LinkedIn")
    page.get_by_role("textbox", name="Your post").fill(POST)
    preview = page.locator("#studio-preview")
    # The fragment arrives from /studio/preview/ without a page load.
    expect(preview.locator("article .post-card__text")).to_contain_text("We fixed 1,100 jackets")
    expect(preview.locator(".post-card__more")).to_have_text("…see more")
    expect(preview.locator(".post-card__avatar")).to_have_text("L")
    check = preview.locator('[data-check="hashtag_not_camelcase"]')
    expect(check).to_contain_text("#repairdays → #RepairDays")
    expect(page.locator("#studio-status")).to_contain_text("of 3,000 characters")
    screenshot(page, "studio-preview-desktop")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.get_by_label("Reviewer").select_option(label="Max Manager")
    page.get_by_role("button", name="Ask for review").click()
    expect(page.get_by_text("Sent to Max Manager for review.")).to_be_visible()
    expect(page.locator("p.status")).to_contain_text("In review")

    post = PracticePost.objects.get(learner=learner)
    assert (post.status, post.reviewer_id) == ("in_review", manager.pk)
    assert any(m.to == [manager.email] for m in mailoutbox)
    assert problems.errors == []  # no CSP violations, no failed assets


@pytest.fixture
def journal_data(people):
    """A year of weekly numbers, a certificate, evidence and a public portfolio."""
    from datetime import timedelta

    from django.utils import timezone

    from practice import journal
    from practice.models import Evidence, GrowthProfile, Portfolio
    from progress import services

    learner, _ = people
    today = timezone.localdate()
    for network, handle, base in (("linkedin", "lena-learner", 800), ("bluesky", "@lena", 120)):
        profile = GrowthProfile.objects.create(
            learner=learner, network=network, handle=handle, weekly_post_goal=2
        )
        for week in range(20):
            journal.record_snapshot(
                learner=learner,
                profile=profile,
                taken_on=today - timedelta(weeks=19 - week),
                followers=base + week * week * 3,
            )
    track = factories.make_track(slug="done", modules=1, lessons_per_module=3)
    for lesson in track.lessons.all():
        services.record_lesson_completion(learner=learner, lesson=lesson)
    Evidence.objects.create(
        learner=learner,
        url="https://www.linkedin.com/posts/lena-learner_repair-days",
        network="linkedin",
        published_on=today,
        note="Two store managers commented.",
        on_portfolio=True,
    )
    Portfolio.objects.create(learner=learner, handle="lena", is_public=True, show_growth=True)
    return learner


def test_studio_and_journal_pages_are_accessible(page, site, people, journal_data):
    from tests.e2e.test_pages import check_page

    learner, _ = people
    sign_in(page, site.url, learner.email, factories.PASSWORD)
    pages = {
        "studio": "/studio/",
        "journal": "/journal/",
        "evidence": "/journal/evidence/",
        "portfolio-settings": "/journal/portfolio/",
        "portfolio": "/p/lena/",
    }
    found = []
    for name, path in pages.items():
        found += check_page(page, site.url + path, name, axe=True)
    assert found == []
    page.goto(f"{site.url}/studio/")
    page.get_by_role("textbox", name="Your post").fill("BIG NEWS TODAY #ad")
    expect(page.locator("#studio-preview")).to_contain_text(re.compile("ALL CAPS"))
