"""Journeys 1–4 as a person does them: signup to a submitted practice assignment."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course(site):
    track = factories.make_track(slug="craft", modules=1, lessons_per_module=3)
    track.modules.update(self_check="I can plan a week of posts for a client.")
    _plain, quizzed, practical = track.lessons.order_by("position")
    quiz = factories.add_quiz(quizzed, pass_mark=100)
    factories.add_multiple_choice_question(quiz)
    factories.add_rubric(factories.add_assignment(practical))
    return track


def test_signup_to_submitted_assignment(page, site, course, mailoutbox, problems):
    base = site.url
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label(re.compile(r"^Email")).fill("Newbie@Example.com")
    page.get_by_label(re.compile(r"^Your name")).fill("Nia Newbie")
    page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-unusual-passphrase")
    page.get_by_label(re.compile(r"^Password \(again\)")).fill("a-long-unusual-passphrase")
    page.get_by_role("button", name="Create account").click()
    # The code emailed to the address, typed on the page sign-up led to, signs them in.
    expect(page.get_by_role("heading", name="Enter the code we emailed you")).to_be_visible()
    code = re.search(r"^    (\S+)$", mailoutbox[0].body, re.MULTILINE).group(1)
    page.get_by_role("textbox").first.fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Which role is closest to yours?")).to_be_visible()

    page.get_by_label(re.compile("^Newcomer")).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("I could teach it").check()
    page.get_by_role("button", name="See my recommendation").click()
    expect(page.get_by_role("heading", name="We recommend: Track craft")).to_be_visible()
    expect(page.get_by_text("Module 1", exact=True)).to_be_visible()  # may skim
    page.get_by_role("button", name="Start this track").click()

    expect(page.get_by_role("heading", name="Lesson 1.1", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_text("“Lesson 1.1” is complete.")).to_be_visible()

    page.get_by_role("link", name="Take the quiz").click()
    page.get_by_label("Wrong").check()
    page.get_by_label("Impressions").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Your result: 0%")).to_be_visible()
    expect(page.get_by_text("You missed 2 of 2 questions")).to_be_visible()
    expect(page.get_by_text("Because.")).to_have_count(0)  # the explanation is earned by passing
    page.get_by_role("link", name="Try again").click()
    page.get_by_label("Right").check()
    page.get_by_label("Engagement rate").check()
    page.get_by_label("Click-through rate").check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", name="Your result: 100%")).to_be_visible()
    expect(page.get_by_text("Passed (pass mark 100%)")).to_be_visible()
    expect(page.get_by_text("Because.")).to_be_visible()  # now the explanations show

    page.get_by_role("link", name="Next: Lesson 1.3").click()
    page.get_by_role("link", name="Open the assignment").click()
    page.get_by_role("textbox", name="Your work").fill(
        "Three posts:\n\n1. **Launch day** for the client"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview strong")).to_have_text("Launch day")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Version 1: Awaiting review")).to_be_visible()

    page.get_by_role("link", name="My learning").click()
    expect(page.get_by_text("Awaiting review")).to_be_visible()
    expect(page.get_by_text("67% — 2 of 3 lessons")).to_be_visible()
    screenshot(page, "journey-learner-dashboard")
    assert problems.errors == []


def test_keyboard_only_quiz(page, site, course):
    from learners.models import User

    User.objects.create_user("keys@example.com", factories.PASSWORD, display_name="Kay")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=User.objects.get(), email="keys@example.com", verified=True, primary=True
    )
    page.goto(f"{site.url}/accounts/login/")
    page.keyboard.press("Tab")  # skip link
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
    page.get_by_label(re.compile(r"^Email")).focus()
    page.keyboard.type("keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/placement/")  # a first sign-in starts with the placement check

    page.goto(f"{site.url}/tracks/craft/lesson-1-2/quiz/")
    # Choices come in a fresh order each attempt, so the keys follow the labels on the screen.
    focused_label = (
        "document.querySelector(`label[for='${document.activeElement.id}']`).textContent"
    )
    # Question 1 (radio): focus the group, then arrow keys move to (and select) "Right".
    page.locator("input[type=radio]").first.focus()
    page.keyboard.press("Space")
    while page.evaluate(focused_label).strip() != "Right":
        page.keyboard.press("ArrowDown")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is always visible
    # Question 2 (checkboxes): Tab to each box, Space to tick the right ones.
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate(focused_label).strip() in {"Engagement rate", "Click-through rate"}:
            page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Submit answers"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your result: 100%")).to_be_visible()
