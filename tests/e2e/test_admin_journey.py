"""Journey 7 in Chromium: an author writes a lesson with a quiz in the admin, previews it,
publishes the track, and a learner sees it."""

import re

import pytest
from playwright.sync_api import expect

from courses.models import Lesson, Module, Question
from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def save(page, name="Save and continue editing"):
    """Press the admin's "Save and continue editing" button."""
    with page.expect_navigation():
        page.locator(
            f"input[type=submit][name=_continue], input[type=submit][value='{name}']"
        ).first.click()


def test_author_writes_previews_and_publishes(browser, site):
    factories.UserFactory(email="ada@example.com", is_staff=True, is_superuser=True)
    factories.UserFactory(email="lena@example.com")
    track = factories.make_track(slug="fresh", modules=1, lessons_per_module=1, published=False)
    module = Module.objects.get(track=track)
    base = site.url

    author = browser.new_page()
    sign_in(author, base, "ada@example.com", factories.PASSWORD)
    author.goto(f"{base}/admin/courses/lesson/add/?module={module.pk}")
    author.locator("input[name=title]").fill("Replying to a complaint")
    author.locator("input[name=title]").press("Tab")  # the admin's script fills the slug in
    slug = author.locator("input[name=slug]")
    slug.fill("")
    slug.fill("replying-to-a-complaint")
    author.locator("textarea[name=body_markdown]").fill(
        "## Acknowledge first\n\nThank them, then move to **DMs**."
    )
    save(author)
    errors = author.locator(".errorlist, .errornote").all_inner_texts()
    assert errors == [], (errors, author.url)
    lesson = Lesson.objects.get(slug="replying-to-a-complaint")

    author.get_by_role("link", name=re.compile("Add a quiz")).click()
    author.locator("input[name=pass_mark]").fill("100")
    author.locator("textarea[name='questions-0-prompt']").fill("What do you do first?")
    author.locator("select[name='questions-0-kind']").select_option("single")
    author.locator("textarea[name='questions-0-explanation']").fill("People need to feel heard.")
    save(author)

    question = Question.objects.get(quiz__lesson=lesson)
    author.goto(f"{base}/admin/courses/question/{question.pk}/change/")
    for _ in range(2):
        author.locator(".add-row a").click()  # the inline's "Add another Choice"
    author.locator("textarea[name='choices-0-text'], input[name='choices-0-text']").fill(
        "Acknowledge the complaint"
    )
    author.locator("input[name='choices-0-is_correct']").check()
    author.locator("textarea[name='choices-0-feedback'], input[name='choices-0-feedback']").fill(
        "Yes: visible and calm."
    )
    author.locator("textarea[name='choices-1-text'], input[name='choices-1-text']").fill(
        "Delete it"
    )
    author.locator("input[name='choices-1-is_correct']").uncheck()
    author.locator("textarea[name='choices-1-feedback'], input[name='choices-1-feedback']").fill(
        "Deleting fuels anger."
    )
    save(author)
    errors = author.locator(".errorlist, .errornote").all_inner_texts()
    assert errors == [], errors
    assert [(c.text, c.is_correct) for c in question.choices.order_by("position")] == [
        ("Acknowledge the complaint", True),
        ("Delete it", False),
    ]

    author.goto(f"{base}/admin/courses/lesson/{lesson.pk}/change/")
    preview = author.get_by_role("link", name=re.compile("^Preview")).first.get_attribute("href")
    author.goto(base + preview)  # it opens in a new tab for authors
    expect(author.get_by_role("heading", level=1)).to_have_text("Replying to a complaint")
    expect(author.get_by_text("Preview — this is exactly what a learner sees")).to_be_visible()

    author.goto(f"{base}/admin/courses/track/{track.pk}/change/")
    author.get_by_role("button", name=re.compile("^Publish")).first.click()
    author.wait_for_load_state()
    track.refresh_from_db()
    assert track.is_published

    learner = browser.new_page()
    sign_in(learner, base, "lena@example.com", factories.PASSWORD)
    learner.goto(f"{base}/tracks/fresh/replying-to-a-complaint/")
    expect(learner.get_by_role("heading", level=1)).to_have_text("Replying to a complaint")
    expect(learner.locator("#lesson-body strong")).to_have_text("DMs")
    learner.get_by_role("link", name="Take the quiz").click()
    expect(learner.get_by_text("What do you do first?")).to_be_visible()


def test_a_live_lesson_changes_for_learners_only_when_its_draft_is_published(browser, site):
    """Issue 22, item 1, in Chromium: the author's draft (first half-built, refused) doesn't
    reach the learner, who keeps the published lesson until the draft is published."""
    factories.UserFactory(email="ada@example.com", is_staff=True, is_superuser=True)
    factories.UserFactory(email="lena@example.com")
    track = factories.make_track(slug="live", modules=1, lessons_per_module=1, with_quiz=True)
    lesson = Lesson.objects.get(track=track)
    base = site.url
    learner = browser.new_page()
    sign_in(learner, base, "lena@example.com", factories.PASSWORD)
    author = browser.new_page()
    sign_in(author, base, "ada@example.com", factories.PASSWORD)

    author.goto(f"{base}/admin/courses/lesson/{lesson.pk}/change/")
    expect(author.get_by_text("so it is read-only here")).to_be_visible()
    author.get_by_role("link", name="Edit the draft").first.click()
    draft = author.locator("#draft-text")
    text = draft.input_value()
    # Half-built: the question has lost its choices.
    start = text.index("choices = [")
    half_built = text[:start] + "choices = []" + text[text.index("]\n", start) + 1 :]
    draft.fill(half_built.replace("Some *text* for lesson 1.1.", "A **rewritten** lesson."))
    author.get_by_role("button", name="Publish to learners").click()
    expect(author.locator(".errornote")).to_contain_text(
        "to fix before this draft can be published"
    )

    learner.goto(f"{base}/tracks/live/lesson-1-1/")
    expect(learner.locator("#lesson-body")).to_contain_text("Some text for lesson 1.1.")

    author.locator("#draft-text").fill(
        text.replace("Some *text* for lesson 1.1.", "A **rewritten** lesson.")
    )
    author.get_by_role("button", name="Save draft").click()
    expect(author.get_by_text("What the draft changes")).to_be_visible()
    learner.reload()
    expect(learner.locator("#lesson-body")).not_to_contain_text("rewritten")

    author.get_by_role("button", name="Publish to learners").click()
    expect(author.get_by_text("Published: learners now see the new version")).to_be_visible()
    learner.reload()
    expect(learner.locator("#lesson-body strong")).to_have_text("rewritten")
