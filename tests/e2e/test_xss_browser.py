"""XSS payloads rendered in Chromium: no dialog opens and no script runs.

The browser is told to ignore the Content-Security-Policy (`bypass_csp`), so what is tested here
is the sanitiser and the escaping alone; the policy is a second wall, checked elsewhere. Every
payload is stored twice, as written (most call `alert(1)`, caught as a dialog) and with
`alert(1)` turned into `window.__xss=1` (caught by reading the variable). A control first
proves the harness sees a script that does run.
"""

import re

import pytest
from django.utils import timezone

from progress import services
from progress.models import Certificate, Review, Submission
from tests import factories
from tests.e2e.conftest import screenshot, sign_in
from tests.security.xss_corpus import BROWSER_SAMPLE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAYLOADS = BROWSER_SAMPLE + [
    p.replace("alert(1)", "window.__xss=1") for p in BROWSER_SAMPLE if "alert(1)" in p
]

# Hover, focus and toggle everything the payloads could hang a handler on.
PROVOKE = """() => {
  for (const el of document.querySelectorAll('main *')) {
    for (const type of ['mouseover', 'mouseenter', 'mousemove', 'focus', 'focusin']) {
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
    if (el.tagName === 'DETAILS') el.open = !el.open;
  }
  return document.querySelectorAll('main *').length;
}"""
LINK_SCHEMES = """() => [...document.querySelectorAll('main a[href], main img[src]')]
  .map(el => new URL(el.getAttribute('href') || el.getAttribute('src'), location.href).protocol)"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def stored(site):
    """Every payload as a version of a learner's work, as the review of it, and as names."""
    track = factories.make_track(slug="xss", modules=1, lessons_per_module=1)
    lesson = track.lessons.get()
    assignment = factories.add_rubric(factories.add_assignment(lesson))
    learner = factories.UserFactory(
        email="lena@example.com", display_name='"><img src=x onerror=window.__xss=1>Lena'
    )
    manager = factories.UserFactory(
        email="max@example.com", display_name="<svg onload=alert(1)>Max"
    )
    factories.team_with(manager=manager, learners=[learner])
    points = {c.pk: 1 for c in assignment.rubric.all()}
    for payload in PAYLOADS:
        submission = services.submit_assignment(
            learner=learner, assignment=assignment, text=payload.replace("\x00", "")
        )
        Submission.objects.filter(pk=submission.pk).update(link="https://example.com/?q=x")
        services.review_submission(
            reviewer=manager,
            submission=submission,
            outcome="needs_revision",
            feedback=payload.replace("\x00", ""),
            points=points,
        )
    latest = services.submit_assignment(learner=learner, assignment=assignment, text="Last one")
    certificate = Certificate.objects.create(
        learner=learner,
        track=track,
        learner_name=learner.name,
        track_title=track.title,
        issued_at=timezone.now(),
    )
    assert Review.objects.count() == len(PAYLOADS)
    return {
        "learner": learner,
        "manager": manager,
        "review_url": latest.get_absolute_url(),
        "assignment_url": f"/tracks/{track.slug}/{lesson.slug}/assignment/",
        "certificate_url": certificate.get_absolute_url(),
    }


def watch(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def executed(page) -> bool:
    return page.evaluate("() => window.__xss !== undefined")


def test_the_harness_sees_a_script_that_runs(page, site):
    dialogs = watch(page)
    page.goto(f"{site.url}/")
    page.set_content('<img src="x" onerror="window.__xss=1"><script>alert(1)</script>')
    page.wait_for_function("() => window.__xss === 1")
    assert executed(page)
    assert dialogs == ["alert: 1"]


@pytest.mark.parametrize("who", ["manager", "learner", "anyone"])
def test_stored_payloads_do_not_run_in_the_browser(page, site, stored, who):
    dialogs = watch(page)
    if who == "manager":
        sign_in(page, site.url, "max@example.com", factories.PASSWORD)
        url = stored["review_url"]  # the review page: every version, every review, the form
    elif who == "learner":
        sign_in(page, site.url, "lena@example.com", factories.PASSWORD)
        url = stored["assignment_url"]  # the learner's page with the whole history
    else:
        url = stored["certificate_url"]  # public, with the learner's name
    page.goto(f"{site.url}{url}")
    page.wait_for_load_state("load")
    provoked = page.evaluate(PROVOKE)
    page.wait_for_timeout(300)  # let timers, animations and error events fire
    schemes = set(page.evaluate(LINK_SCHEMES))
    screenshot(page, f"xss-{who}")
    assert provoked > 10
    assert dialogs == []
    assert not executed(page)
    assert schemes <= {"http:", "https:", "mailto:"}
    if who != "anyone":
        body = page.content()
        assert len(re.findall(r'class="history__item"', body)) == len(PAYLOADS) + 1
