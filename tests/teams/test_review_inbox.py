"""One review inbox (issue 22, item 3): a manager's practice assignments and the practice posts
routed to them wait on one page, counted on the dashboard and in the team menu."""

import pytest
from django.urls import reverse

from courses.models import Lesson
from practice import studio
from practice.models import PracticePost
from progress import services as progress_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting():
    """Max manages Lena, who sent an assignment and asked Max to review a post."""
    manager = factories.UserFactory(display_name="Max Manager")
    learner = factories.UserFactory(display_name="Lena Learner")
    factories.team_with(manager=manager, learners=[learner])
    track = factories.make_track(modules=1, lessons_per_module=1)
    lesson = Lesson.objects.get(track=track)
    factories.add_rubric(factories.add_assignment(lesson))
    progress_services.submit_assignment(
        learner=learner, assignment=lesson.assignment, text="My client report."
    )
    post = PracticePost.objects.create(
        learner=learner, network="linkedin", text="Repair days are back: bring any jacket."
    )
    studio.request_review(post=post, reviewer=manager)
    return manager


def test_assignments_and_posts_wait_in_one_inbox(client, waiting):
    client.force_login(waiting)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    assert 'Practice assignments <span class="muted">(1)</span>' in page
    assert 'Practice posts <span class="muted">(1)</span>' in page
    assert page.count("Lena Learner") >= 2
    assert reverse("practice:studio_review", args=[PracticePost.objects.get().pk]) in page


def test_the_dashboard_and_the_menu_count_both(client, waiting):
    client.force_login(waiting)

    page = client.get(reverse("teams:team")).content.decode()

    assert '<span class="stats__value">2</span> awaiting review' in page
    assert '<span class="badge">2<span class="sr-only"> waiting</span></span>' in page


def test_nothing_waiting_shows_no_badge(client):
    manager = factories.UserFactory()
    factories.team_with(manager=manager, learners=[factories.UserFactory()])
    client.force_login(manager)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    assert "No practice assignments are waiting for your review." in page
    assert "No practice posts are waiting for your review." in page
    assert 'class="badge"' not in page


def test_a_reviewed_post_leaves_the_inbox(client, waiting):
    post = PracticePost.objects.get()
    studio.review_post(reviewer=waiting, post=post, outcome="approved", comment="")
    client.force_login(waiting)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    assert 'Practice posts <span class="muted">(0)</span>' in page


def test_the_menu_counts_up_to_99_then_says_99_plus(client, waiting):
    from teams import dashboards

    assert dashboards.reviews_waiting(waiting) == 2
    dashboards.remember_reviews_waiting(waiting, 150)
    client.force_login(waiting)

    page = client.get(reverse("teams:team")).content.decode()

    assert '<span class="badge">99+<span class="sr-only"> waiting</span></span>' in page


def test_opening_the_inbox_refreshes_the_menus_count(client, waiting):
    from teams import dashboards

    dashboards.remember_reviews_waiting(waiting, 7)  # stale
    client.force_login(waiting)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    assert '<span class="badge">2<span class="sr-only"> waiting</span></span>' in page
    assert dashboards.reviews_waiting_for_menu(waiting) == 2


def test_each_waiting_assignment_links_to_its_review_and_says_how_long_it_waited(client, waiting):
    from datetime import timedelta

    from django.utils import timezone

    from progress.models import Submission

    submission = Submission.objects.get()
    Submission.objects.filter(pk=submission.pk).update(
        submitted_at=timezone.now() - timedelta(days=3, hours=5)
    )
    client.force_login(waiting)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "<td>Lena Learner</td>" in row
    assert f'href="{submission.get_absolute_url()}"' in row
    assert f"<td>{submission.version}</td><td>3\xa0days</td>" in row
    assert f"Lena Learner's {submission.assignment.title}" in row
    assert submission.assignment.lesson.track.title in row


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "under a minute"), (90, "1 minute"), (7_200, "2 hours"), (15 * 86_400, "2 weeks")],
)
def test_how_long_something_waited_reads_in_one_unit(seconds, text):
    from datetime import timedelta

    from django.utils import timezone

    from teams.table import short_span

    now = timezone.now()
    assert short_span(now - timedelta(seconds=seconds), now) == text


def posts_waiting_for(manager, how_many: int, *, first: int = 0) -> None:
    learner = factories.UserFactory(display_name=f"Writer {first}")
    factories.team_with(manager=manager, learners=[learner])
    for n in range(first, first + how_many):
        post = PracticePost.objects.create(learner=learner, network="linkedin", text=f"Post {n}.")
        studio.request_review(post=post, reviewer=manager)


def test_the_inbox_shows_the_posts_waiting_longest_and_counts_them_all(client):
    manager = factories.UserFactory()
    posts_waiting_for(manager, 53)
    client.force_login(manager)

    page = client.get(reverse("teams:team_reviews")).content.decode()

    assert 'Practice posts <span class="muted">(53)</span>' in page
    assert page.count(">Review<span") == 50
    assert "These are the 50 posts waiting longest." in page
    assert f'href="{reverse("practice:studio_reviews")}"' in page
    assert '<span class="badge">53<span class="sr-only"> waiting</span></span>' in page


def test_the_inbox_reads_one_query_for_posts_until_more_wait_than_it_shows(
    client, django_assert_num_queries
):
    from teams import dashboards

    manager = factories.UserFactory()
    posts_waiting_for(manager, 50)
    with django_assert_num_queries(1):
        [section] = dashboards.review_sections(manager, shown=50)
    assert (len(section.items), section.count, section.more) == (50, 50, False)

    posts_waiting_for(manager, 2, first=50)
    with django_assert_num_queries(2):
        [section] = dashboards.review_sections(manager, shown=50)
    assert (len(section.items), section.count, section.more) == (50, 52, False)
    assert [post.text for post in section.items[:2]] == ["Post 0.", "Post 1."]  # oldest first


def test_posts_to_review_come_fifty_a_page(client):
    manager = factories.UserFactory()
    posts_waiting_for(manager, 53)
    client.force_login(manager)
    address = reverse("practice:studio_reviews")

    first = client.get(address).content.decode()
    second = client.get(address, {"page": 2}).content.decode()

    assert first.count(">Review<span") == 50 and second.count(">Review<span") == 3
    assert "53 waiting" in first and "Page 1 of 2" in first and "Page 2 of 2" in second
