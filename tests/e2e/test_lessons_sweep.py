"""Every lesson of the shipped curriculum in Chromium at 375 and 1280 px (issue 22, item 8):
axe-core with the WCAG 2.0 A/AA, 2.1 AA and 2.2 AA rules finds nothing serious or critical, no
page scrolls sideways, and the moderate findings are counted in the test output (a warning)
and in test-artifacts/axe-lessons.txt.

Rendering depends on neither the database nor the date: this runs in the SQLite pass of
`make test` only, not again under PostgreSQL or with the clock moved ahead."""

import io
import warnings
from collections import Counter
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.db import connection

from courses.models import Lesson
from tests import factories
from tests.e2e.conftest import ARTIFACTS, VIEWPORTS, PageProblems, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONTENT = Path(__file__).resolve().parents[2] / "content"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}
SERIOUS = {"serious", "critical"}


def test_every_shipped_lesson_passes_axe_at_both_widths(page, site, pytestconfig):
    if connection.vendor != "sqlite" or pytestconfig.getoption("--clock-offset-days"):
        pytest.skip("rendering is checked once, in the SQLite pass at today's date")
    call_command("import_content", str(CONTENT), stdout=io.StringIO())
    factories.UserFactory(email="lena@example.com")
    sign_in(page, site.url, "lena@example.com", factories.PASSWORD)
    lessons = list(Lesson.objects.published().select_related("track").order_by("track__slug"))
    assert len(lessons) > 50, "the shipped curriculum"
    serious, moderate = [], Counter()
    problems = PageProblems(page)
    for label, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        for lesson in lessons:
            response = page.goto(site.url + lesson.get_absolute_url())
            assert response.status == 200, lesson.get_absolute_url()
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if scroll > inner:
                serious.append(f"{lesson.track.slug}/{lesson.slug} at {label}: scrolls sideways")
            for violation in Axe().run(page, options=WCAG).response["violations"]:
                where = f"{lesson.track.slug}/{lesson.slug} at {label}"
                if violation["impact"] in SERIOUS:
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    serious.append(f"{where}: {violation['impact']} {violation['id']} {targets}")
                else:
                    moderate[violation["id"]] += len(violation["nodes"])
    report = (
        f"{len(lessons)} lessons x {len(VIEWPORTS)} widths = {len(lessons) * len(VIEWPORTS)} "
        f"pages; serious or critical: {len(serious)}; moderate or minor findings: "
        f"{sum(moderate.values())} {dict(moderate)}"
    )
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS.parent / "axe-lessons.txt").write_text(report + "\n" + "\n".join(serious) + "\n")
    warnings.warn(f"axe over the shipped lessons: {report}", stacklevel=1)
    assert serious == []
    assert problems.errors == []
