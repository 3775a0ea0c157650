"""Journeys 5, 6 and 8 in Chromium: a manager invites, assigns and reviews; the learner
finishes and shares a certificate; emails' links lead to the right pages."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from notifications import dispatch
from progress import services
from tests import clock, factories
from tests.e2e.conftest import link_in, screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_setup(site):
    manager = factories.UserFactory(email="max@example.com", display_name="Max Manager")
    team = factories.team_with(manager=manager)
    team.name = "Marketing"
    team.save()
    track = factories.make_track(slug="craft", modules=1, lessons_per_module=2)
    practical = track.lessons.get(slug="lesson-1-2")
    factories.add_rubric(factories.add_assignment(practical))
    return manager, team, track


def test_invite_assign_review_certificate(browser, site, team_setup, mailoutbox):
    base = site.url
    manager_page = browser.new_page()
    sign_in(manager_page, base, "max@example.com", factories.PASSWORD)
    manager_page.goto(f"{base}/team/invitations/")
    manager_page.get_by_label("Email addresses").fill("nia@example.com, Nia Newbie")
    manager_page.get_by_role("button", name="Send invitations").click()
    expect(manager_page.get_by_text("Invited 1 person.")).to_be_visible()

    learner_page = browser.new_page()
    learner_page.goto(link_in(mailoutbox[-1], base))
    learner_page.get_by_role("link", name="Create your account to accept").click()
    learner_page.get_by_label(re.compile(r"^Email")).fill("nia@example.com")
    learner_page.get_by_label(re.compile(r"^Your name")).fill("Nia Newbie")
    learner_page.get_by_label(re.compile(r"^Password:?$")).fill("a-long-unusual-passphrase")
    learner_page.get_by_label(re.compile(r"^Password \(again\)")).fill("a-long-unusual-passphrase")
    learner_page.get_by_role("button", name="Create account").click()
    learner_page.get_by_role("button", name="Join the team").click()
    expect(learner_page.get_by_text("Welcome to Marketing")).to_be_visible()

    due = (datetime.now(tz=UTC) + timedelta(days=14)).date()
    manager_page.goto(f"{base}/team/assignments/")
    manager_page.get_by_label("Track").select_option(label="Track craft")
    manager_page.get_by_label("A whole team").select_option(label="Marketing (Acme)")
    manager_page.get_by_label("Due date (optional)").fill(due.isoformat())
    manager_page.get_by_role("button", name="Assign").click()
    manager_page.goto(f"{base}/team/")
    row = manager_page.get_by_role("row").filter(has_text="Nia Newbie")
    expect(row).to_contain_text("Track craft")
    expect(row).to_contain_text("Not started")
    screenshot(manager_page, "team-dashboard-desktop")

    learner_page.goto(f"{base}/me/")
    expect(learner_page.get_by_text("Assigned by Max Manager")).to_be_visible()
    learner_page.goto(f"{base}/tracks/craft/lesson-1-1/")
    learner_page.get_by_role("button", name="Mark complete").click()
    learner_page.goto(f"{base}/tracks/craft/lesson-1-2/")
    learner_page.get_by_role("button", name="Mark complete").click()
    learner_page.goto(f"{base}/tracks/craft/lesson-1-2/assignment/")
    learner_page.get_by_role("textbox", name="Your work").fill("First draft of three posts.")
    learner_page.get_by_role("button", name="Submit for review").click()

    manager_page.goto(f"{base}/team/reviews/")
    manager_page.get_by_role("link", name=re.compile("^Review Nia")).click()
    manager_page.get_by_label("Voice (0–4)").fill("2")
    manager_page.get_by_label("Accuracy (0–3)").fill("1")
    manager_page.get_by_label("Needs revision").check()
    manager_page.get_by_label("Feedback for the learner").fill("Make the *voice* warmer.")
    manager_page.get_by_role("button", name="Save review").click()
    expect(manager_page.get_by_text("Review saved for Nia Newbie.")).to_be_visible()

    learner_page.goto(f"{base}/tracks/craft/lesson-1-2/assignment/")
    expect(learner_page.locator(".review em")).to_have_text("voice")
    learner_page.get_by_role("textbox", name="Your work").fill("Second draft, warmer.")
    learner_page.get_by_role("button", name="Submit revision").click()

    manager_page.goto(f"{base}/team/reviews/")
    manager_page.get_by_role("link", name=re.compile("^Review Nia")).click()
    manager_page.get_by_label("Voice (0–4)").fill("4")
    manager_page.get_by_label("Accuracy (0–3)").fill("3")
    manager_page.get_by_label("Approve").check()
    manager_page.get_by_label("Feedback for the learner").fill("Ready to publish.")
    manager_page.get_by_role("button", name="Save review").click()

    learner_page.goto(f"{base}/me/")
    learner_page.get_by_role("link", name="certificate").click()
    expect(learner_page.get_by_role("heading", name="Nia Newbie")).to_be_visible()
    expect(learner_page.get_by_text("Valid")).to_be_visible()
    href = learner_page.get_by_role("link", name="Add to LinkedIn profile").get_attribute("href")
    query = parse_qs(urlparse(href).query)
    assert urlparse(href).netloc == "www.linkedin.com"
    assert query["name"] == ["Track craft"]
    assert query["certUrl"] == [learner_page.url]
    public = browser.new_page()  # the verification page needs no login
    public.goto(learner_page.url)
    expect(public.get_by_text("Certificate of completion")).to_be_visible()


def test_email_links_open_the_right_pages(page, site, team_setup, mailoutbox):
    manager, team, track = team_setup
    learner = factories.UserFactory(email="lena@example.com", display_name="Lena")
    from learners.models import Membership

    Membership.objects.create(user=learner, team=team, role="learner")
    quizzed = track.lessons.get(slug="lesson-1-1")
    factories.add_quiz(quizzed)
    from teams import services as team_services

    team_services.assign_track(manager=manager, track=track, team=team)
    token = services.new_attempt_token(learner=learner, quiz=quizzed.quiz)
    question = quizzed.quiz.questions.get()
    right = question.choices.get(is_correct=True)
    services.submit_quiz_attempt(
        learner=learner, quiz=quizzed.quiz, token=token, answers={str(question.pk): [str(right.pk)]}
    )
    from progress.models import QuizAttempt

    # The dispatch runs on the next Monday at 10:00 (digest day), and the quiz was passed five
    # days before it: inside the retrieval-practice window (3-30 days) on any date.
    monday = clock.next_weekday_at(0, 10)
    QuizAttempt.objects.update(submitted_at=monday - timedelta(days=5))
    from learners.models import Preferences

    Preferences.objects.create(user=learner, nudge_inactive=False, nudge_due=False)
    dispatch.dispatch(now=monday, enqueue=False)

    digest = next(m for m in mailoutbox if "Your week" in m.subject)
    nudge = next(m for m in mailoutbox if m.subject == "A two-second practice question")
    sign_in(page, site.url, "lena@example.com", factories.PASSWORD)
    next_link = re.search(r"Next: .* — (http://\S+)", digest.body).group(1)
    page.goto(site.url + urlparse(next_link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Lesson 1.2")

    practice_link = re.search(r"\* Wrong: (http://\S+)", nudge.body).group(1)
    page.goto(site.url + urlparse(practice_link).path)
    page.get_by_role("button", name="Check my answer").click()
    expect(page.get_by_role("heading", name="Not quite")).to_be_visible()
    expect(page.get_by_text("Because.")).to_be_visible()

    unsubscribe = re.search(r"Unsubscribe from these emails: (http://\S+)", digest.body).group(1)
    page.goto(site.url + urlparse(unsubscribe).path)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    from ledger.models import EmailOptOut

    assert EmailOptOut.objects.filter(email="lena@example.com", kind="learner_digest").exists()
