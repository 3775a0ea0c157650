"""Pages over lists that grow without bound count only a little past the page asked for
(core.pagination): the review inbox and the audit log say "more than" beyond that."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit import services as audit
from audit.models import AuditEntry
from core import pagination
from core.pagination import CappedCountPaginator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven_entries():
    person = factories.UserFactory()
    for _ in range(7):
        audit.record(kind=AuditEntry.Kind.SIGN_IN, actor=person, subject=person)
    return AuditEntry.objects.order_by("pk")


def test_the_count_stops_past_the_cap_and_says_there_is_more(seven_entries):
    paginator = CappedCountPaginator(seven_entries, 2, counted_up_to=3)

    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(1)
        shown = [entry.pk for entry in page.object_list]

    assert (paginator.count, paginator.more, paginator.num_pages) == (3, True, 2)
    assert page.has_next() and not page.has_previous()
    assert shown == list(seven_entries.values_list("pk", flat=True)[:2])
    count_sql = queries[0]["sql"]
    assert "COUNT(" in count_sql.upper() and "LIMIT 4" in count_sql.upper()


def test_a_page_past_the_cap_counts_to_just_beyond_itself(seven_entries):
    paginator = CappedCountPaginator(seven_entries, 2, counted_up_to=3)

    page = paginator.get_page(3)

    # Counted up to 2 * 3 + 1 = 7 rows: exactly all of them, so nothing more.
    assert (paginator.count, paginator.more, paginator.num_pages) == (7, False, 4)
    assert page.number == 3 and page.has_next() and page.has_previous()
    assert [e.pk for e in page.object_list] == list(seven_entries.values_list("pk", flat=True)[4:6])


def test_the_last_page_and_a_short_list_are_exact(seven_entries):
    paginator = CappedCountPaginator(seven_entries, 2, counted_up_to=3)
    last = paginator.get_page(4)
    assert (paginator.count, paginator.more) == (7, False)
    assert not last.has_next() and len(last.object_list) == 1

    short = CappedCountPaginator(seven_entries, 2, counted_up_to=7)
    assert short.get_page(1) and (short.count, short.more, short.num_pages) == (7, False, 4)


@pytest.mark.parametrize("asked", [None, "", "abc", "1.5"])
def test_a_page_number_that_is_not_one_shows_the_first(seven_entries, asked):
    paginator = CappedCountPaginator(seven_entries, 2, counted_up_to=3)
    assert paginator.get_page(asked).number == 1


def test_a_page_far_past_the_end_shows_the_last_one(seven_entries):
    paginator = CappedCountPaginator(seven_entries, 2, counted_up_to=3)
    page = paginator.get_page(40)
    assert page.number == 4 and (paginator.count, paginator.more) == (7, False)


def test_the_audit_log_says_more_than_when_the_count_stops(client, seven_entries, monkeypatch):
    monkeypatch.setattr(pagination, "COUNTED_UP_TO", 3)
    monkeypatch.setattr("governance.audit_views.ENTRIES_PER_PAGE", 2)
    client.force_login(factories.UserFactory(is_staff=True))

    page = client.get(reverse("audit:log")).content.decode()

    assert "Page 1 of more than 2" in page
    assert 'rel="next"' in page


def test_the_review_inbox_says_how_many_it_counted_and_that_more_wait(client, monkeypatch):
    from courses.models import Lesson
    from progress import services as progress_services

    manager = factories.UserFactory()
    learners = factories.UserFactory.create_batch(3)
    factories.team_with(manager=manager, learners=learners)
    lesson = Lesson.objects.get(track=factories.make_track(modules=1, lessons_per_module=1))
    factories.add_rubric(factories.add_assignment(lesson))
    for learner in learners:
        progress_services.submit_assignment(
            learner=learner, assignment=lesson.assignment, text="My report."
        )
    client.force_login(manager)
    url = reverse("teams:team_reviews")

    assert 'Practice assignments <span class="muted">(3)</span>' in client.get(url).text
    monkeypatch.setattr(pagination, "COUNTED_UP_TO", 2)
    monkeypatch.setattr("teams.views.ROWS_PER_PAGE", 1)
    page = client.get(url).text
    assert 'Practice assignments <span class="muted">(2+)</span>' in page
    assert "Page 1 of more than 2" in page
