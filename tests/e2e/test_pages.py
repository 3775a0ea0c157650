"""Every main page in Chromium: axe-core accessibility, 375 px and 1280 px layouts, no console
errors or failed assets, and a screenshot of each."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from progress import services
from tests import factories
from tests.e2e.conftest import VIEWPORTS, PageProblems, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


@pytest.fixture
def world(site):
    """A learner mid-track with a quiz result, a submission and a certificate; their manager."""
    track = factories.make_track(slug="craft", modules=2, lessons_per_module=2)
    track.modules.update(self_check="I can plan a week of posts for a client.")
    # A table wider than a phone: it scrolls inside a region the keyboard can reach.
    wide = track.lessons.get(slug="lesson-1-1")
    wide.body_markdown += (
        "\n\n| Network | Best time to post | Format that travels | Who answers comments |\n"
        "|---|---|---|---|\n"
        "| LinkedIn | Tuesday to Thursday mornings | Document posts and short native video "
        "| The account owner, within one working day |\n"
    )
    wide.save()
    quizzed = track.lessons.get(slug="lesson-1-2")
    factories.add_multiple_choice_question(factories.add_quiz(quizzed))
    practical = track.lessons.get(slug="lesson-2-1")
    assignment = factories.add_rubric(factories.add_assignment(practical))
    finished = factories.make_track(slug="finished", modules=1, lessons_per_module=1)
    learner = factories.UserFactory(email="lena@example.com", display_name="Lena Learner")
    manager = factories.UserFactory(email="max@example.com", display_name="Max Manager")
    factories.team_with(manager=manager, learners=[learner])
    services.record_lesson_completion(learner=learner, lesson=track.lessons.get(slug="lesson-1-1"))
    services.record_lesson_completion(learner=learner, lesson=finished.lessons.get())
    submission = services.submit_assignment(
        learner=learner, assignment=assignment, text="My **draft**"
    )
    return {
        "learner": learner,
        "manager": manager,
        "submission": submission,
        "certificate": finished.certificates.get(),
    }


LEARNER_PAGES = {
    "catalogue": "/",
    "track": "/tracks/craft/",
    "lesson": "/tracks/craft/lesson-1-1/",
    "quiz": "/tracks/craft/lesson-1-2/quiz/",
    "assignment": "/tracks/craft/lesson-2-1/assignment/",
    "me": "/me/",
    "profile": "/profile/",
    # Two-step sign-in; the pages behind a password check: tests/e2e/test_two_step_sign_in.py
    "two-step-sign-in": "/accounts/2fa/",
    "passkeys": "/accounts/2fa/webauthn/",
    "placement": "/placement/",
    "notifications": "/notifications/",  # the certificate earned is one
}
ANONYMOUS_PAGES = {
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "catalogue-anonymous": "/",
}


def check_page(page, url: str, name: str, *, axe: bool) -> list[str]:
    found = []
    problems = PageProblems(page)
    for label, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        response = page.goto(url)
        assert response.status == 200, f"{name}: HTTP {response.status}"
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            wide = page.evaluate(
                """() => [...document.querySelectorAll('main *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 3).map(e => e.tagName + '.' + e.className)
                .concat(['main', 'section', '.table-scroll', 'body', 'html'].map(
                    q => document.querySelector(q) ? q + ':' + document.querySelector(q).getBoundingClientRect().width
                    + '/' + getComputedStyle(document.querySelector(q)).overflowX : q))"""
            )
            found.append(f"{name} at {label}: horizontal scroll ({scroll} > {inner}) {wide}")
        screenshot(page, f"{name}-{label}")
        if axe:  # at each width: a table that fits at 1280 px may scroll at 375 px
            results = Axe().run(page)
            assert results.response["passes"], "axe-core did not run"
            for violation in results.response["violations"]:
                if violation["impact"] in SERIOUS:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    found.append(
                        f"{name} at {label}: axe {violation['impact']} {violation['id']}"
                        f" at {targets}"
                    )
    found += [f"{name}: {error}" for error in problems.errors]
    return found


def test_learner_pages(page, site, world):
    from tests.e2e.conftest import sign_in

    sign_in(page, site.url, "lena@example.com", factories.PASSWORD)
    found = []
    for name, path in LEARNER_PAGES.items():
        found += check_page(page, site.url + path, name, axe=True)
    certificate = world["certificate"].get_absolute_url()
    found += check_page(page, site.url + certificate, "certificate", axe=True)
    found += check_page(
        page, site.url + failed_attempt(world).get_absolute_url(), "quiz-result", axe=True
    )
    assert found == []


def failed_attempt(world):
    """A wrong attempt at the quiz: its result page lists what was missed and where to read."""
    from courses.models import Quiz

    quiz = Quiz.objects.get(lesson__slug="lesson-1-2")
    token = services.new_attempt_token(learner=world["learner"], quiz=quiz)
    answers = {
        str(question.pk): [str(question.choices.filter(is_correct=False).first().pk)]
        for question in quiz.questions.all()
    }
    return services.submit_quiz_attempt(
        learner=world["learner"], quiz=quiz, token=token, answers=answers
    ).attempt


MANAGER_PAGES = {
    "team": "/team/",
    "team-reviews": "/team/reviews/",
    "team-assignments": "/team/assignments/",
    "team-invitations": "/team/invitations/",
    "team-attempts": "/team/attempts/",
}


def test_manager_pages(page, site, world):
    from teams import services as team_services
    from tests.e2e.conftest import sign_in

    team_services.assign_track(
        manager=world["manager"], track=world["certificate"].track, learner=world["learner"]
    )
    # Lena runs out of attempts at the quiz, so the attempts page has a row to grant from.
    from courses.models import Quiz

    Quiz.objects.filter(lesson__slug="lesson-1-2").update(max_attempts=1)
    failed_attempt(world)
    sign_in(page, site.url, "max@example.com", factories.PASSWORD)
    found = check_page(page, site.url + world["submission"].get_absolute_url(), "review", axe=True)
    for name, path in MANAGER_PAGES.items():
        found += check_page(page, site.url + path, name, axe=True)
    person = f"/team/people/{world['learner'].pk}/"
    found += check_page(page, site.url + person, "person", axe=True)
    assert found == []


def test_anonymous_pages(page, site, world):
    found = []
    for name, path in ANONYMOUS_PAGES.items():
        found += check_page(page, site.url + path, name, axe=True)
    assert found == []
