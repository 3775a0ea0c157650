"""Content freshness: lessons not reviewed lately (or since their platforms' rules were last
checked) are listed for staff; "materially changed" flags a lesson for recertifying learners."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from courses import selectors, services
from courses.models import Lesson
from practice import networks
from tests import factories
from tests.governance import helpers as gov

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
URL = reverse("governance:freshness")


@pytest.fixture
def lessons():
    """Four lessons: never reviewed, reviewed 8 months ago, 2 months ago, and yesterday (its
    facts checked yesterday too)."""
    track = factories.make_track(slug="fresh", modules=1, lessons_per_module=4)
    never, old, recent, yesterday = track.lessons.order_by("position")
    Lesson.objects.filter(pk=old.pk).update(last_reviewed=date(2026, 3, 20), platforms=["tiktok"])
    Lesson.objects.filter(pk=recent.pk).update(
        last_reviewed=date(2026, 9, 20), platforms=["linkedin"]
    )
    Lesson.objects.filter(pk=yesterday.pk).update(
        last_reviewed=date(2026, 11, 25),
        facts_checked=date(2026, 11, 25),
        platforms=["unknown-network"],
    )
    return never, old, recent, yesterday


def titles(found) -> list[str]:
    return [item.lesson.title for item in found]


def test_lessons_not_reviewed_in_six_months_are_stale(lessons):
    never, old, _, _ = lessons
    found = selectors.stale_lessons(reviewed_before=date(2026, 5, 26))
    assert titles(found) == [never.title, old.title]
    assert found[0].reasons == ["never reviewed"]
    assert found[1].reasons == ["last reviewed 2026-03-20"]


def test_lessons_reviewed_before_their_platforms_rules_changed_are_stale(lessons):
    never, old, recent, _ = lessons
    found = selectors.stale_lessons(
        reviewed_before=date(2026, 5, 26), platform_reviews={"LinkedIn": date(2026, 10, 1)}
    )
    assert titles(found) == [never.title, old.title, recent.title]
    assert found[2].reasons == ["linkedin rules reviewed 2026-10-01, after the lesson"]


def test_archived_lessons_are_left_out(lessons):
    never, *_ = lessons
    services.archive_content(item=never)
    assert never.title not in titles(selectors.stale_lessons(reviewed_before=date(2026, 5, 26)))


def test_report_page_is_for_staff_only(client, learner, staff_user, lessons):
    assert client.get(URL).status_code == 302
    client.force_login(learner)
    assert client.get(URL).status_code == 403
    client.force_login(staff_user)
    assert client.get(URL).status_code == 200


def test_report_takes_a_period_in_months(client, staff_user, lessons):
    never, old, recent, _ = lessons
    client.force_login(staff_user)
    with gov.at(TODAY):
        six = client.get(URL).content.decode()
        one = client.get(URL + "?months=1").content.decode()
        bad = client.get(URL + "?months=soon").content.decode()
    assert never.title in six and old.title in six
    assert recent.title in one  # reviewed two months ago: stale at one month
    assert "before 26 May 2026" in bad  # an unreadable period falls back to six months


def test_report_compares_with_the_network_table(client, staff_user, lessons, monkeypatch):
    _, _, recent, yesterday = lessons
    monkeypatch.setattr(networks, "LAST_REVIEWED", date(2026, 10, 1))
    assert selectors.platform_reviews()["linkedin"] == date(2026, 10, 1)
    client.force_login(staff_user)
    with gov.at(TODAY):
        body = client.get(URL + "?months=12").content.decode()
    assert recent.title in body  # its LinkedIn rules were re-checked after its own review
    assert "linkedin rules reviewed 2026-10-01, after the lesson" in body
    assert yesterday.title not in body  # reviewed after the table, on a network it lacks


def test_lessons_whose_facts_were_checked_long_ago_are_listed(client, staff_user, lessons):
    never, old, recent, yesterday = lessons
    Lesson.objects.filter(pk=recent.pk).update(facts_checked=date(2026, 7, 1))
    Lesson.objects.filter(pk=yesterday.pk).update(facts_checked=date(2026, 11, 20))
    found = selectors.stale_lessons(
        reviewed_before=date(2026, 1, 1), facts_checked_before=date(2026, 8, 26)
    )
    assert [(item.lesson.title, item.reasons) for item in found] == [
        (never.title, ["never reviewed", "facts never checked"]),
        (old.title, ["facts never checked"]),
        (recent.title, ["facts checked 2026-07-01"]),
    ]
    client.force_login(staff_user)
    with gov.at(TODAY):
        body = client.get(URL + "?months=120&facts_months=3").content.decode()
    assert "facts checked 2026-07-01" in body  # three months: checked before 26 Aug
    assert "facts checked 2026-11-20" not in body
    with gov.at(TODAY):
        body = client.get(URL + "?months=120&facts_months=6").content.decode()
    assert "facts checked 2026-07-01" not in body  # six months: July is recent enough


def test_marking_lessons_materially_changed(lessons):
    never, old, _, _ = lessons
    with gov.at(TODAY):
        assert services.mark_lessons_changed(lessons=[never, old]) == 2
    assert set(Lesson.objects.filter(changed_at=TODAY).values_list("pk", flat=True)) == {
        never.pk,
        old.pk,
    }


def test_import_keeps_the_changed_flag(content_tree):
    services.import_specs(services.read_content(content_tree))
    lesson = Lesson.objects.get(slug="welcome")
    services.mark_lessons_changed(lessons=[lesson], when=TODAY)
    services.import_specs(services.read_content(content_tree))
    lesson.refresh_from_db()
    assert lesson.changed_at == TODAY
