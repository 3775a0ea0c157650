"""A reviewer who loses the right to review a learner stops being the reviewer of their drafts
and stops finding them in their data download (issue 24, item 6); one who keeps the right keeps
both. The right is learners.selectors.review_route's: the learner's managers, else the reviewers
their organisation named, else staff."""

import json

import pytest
from django.urls import reverse

from learners import services as learner_services
from learners.models import Invitation, Membership, Organisation
from ledger.models import Notice
from practice import studio
from practice.models import PracticePost
from progress import data_export
from teams import services as team_services
from tests import factories
from tests.security.helpers import form_data

pytestmark = pytest.mark.django_db

TEXT = "Repair days are back: bring any jacket."
LATER = "Repair days are back, and now on Sundays too: bring any jacket."
POSTS = "progress.practicepost (reviewer)"
REVIEWS = "progress.postreview (reviewer)"


@pytest.fixture
def team(learner):
    manager = factories.UserFactory(display_name="Max Manager")
    peer = factories.UserFactory(display_name="Pat Peer")
    team = factories.team_with(manager=manager, learners=[learner, peer])
    return {"manager": manager, "peer": peer, "team": team}


@pytest.fixture
def unmanaged(learner):
    """The learner in a team with no manager; Rita, the reviewer their organisation named."""
    team = factories.team_with(learners=[learner])
    rita = factories.UserFactory(display_name="Rita Reviewer")
    team.organisation.reviewers.add(rita)
    return {"team": team, "rita": rita, "organisation": team.organisation}


def sent_for_review(learner, reviewer) -> PracticePost:
    post = PracticePost.objects.create(learner=learner, network="linkedin", text=TEXT)
    return studio.request_review(post=post, reviewer=reviewer)


def edit(post: PracticePost, text: str) -> None:
    data = {name: getattr(post, name) for name in studio.CONTENT_FIELDS}
    studio.save_post(learner=post.learner, post=post, data={**data, "text": text})


def download(client, user) -> tuple[dict, str]:
    client.force_login(user)
    response = client.get(reverse("progress:my_data"))
    assert response.status_code == 200
    return json.loads(response.content), response.content.decode()


def in_admin(client, staff_user, url: str, data: dict) -> None:
    client.force_login(staff_user)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def released_notice(learner) -> Notice:
    return Notice.objects.get(recipient=learner, kind=studio.REVIEW_RELEASED)


def test_a_manager_removed_from_the_team_loses_the_draft_and_its_later_edits(
    client, learner, team, staff_user
):
    manager = team["manager"]
    post = sent_for_review(learner, manager)
    data, _ = download(client, manager)
    assert [row["id"] for row in data[POSTS]] == [post.pk]  # before: his to review

    membership = Membership.objects.get(user=manager, team=team["team"], role="manager")
    in_admin(
        client,
        staff_user,
        reverse("admin:learners_membership_delete", args=[membership.pk]),
        {"post": "yes"},
    )
    post.refresh_from_db()
    assert (post.reviewer, post.status) == (None, PracticePost.Status.DRAFT)
    edit(post, LATER)

    data, body = download(client, manager)
    assert data[POSTS] == []
    assert "Sundays" not in body  # (the email asking him to review, his, quotes the first line)
    notice = released_notice(learner)
    assert notice.title.startswith("Max Manager can no longer review")
    assert "ask someone else" in notice.title
    assert notice.url == post.get_absolute_url()


def test_the_download_follows_the_rule_even_when_a_change_skipped_the_services(
    client, learner, team
):
    """A membership deleted straight in the database tells no one: the post keeps its
    reviewer, but his download, like his review pages, checks the right when it is read."""
    post = sent_for_review(learner, team["manager"])
    Membership.objects.filter(user=team["manager"]).delete()
    post.refresh_from_db()
    assert post.reviewer == team["manager"]
    assert download(client, team["manager"])[0][POSTS] == []


def test_a_reviewer_who_still_manages_the_learner_keeps_the_draft(
    client, learner, team, staff_user
):
    manager = team["manager"]
    post = sent_for_review(learner, manager)
    # A change to the team that takes nothing from him: someone else joins it.
    in_admin(
        client,
        staff_user,
        reverse("admin:learners_membership_add"),
        {"user": factories.UserFactory().pk, "team": team["team"].pk, "role": "learner"},
    )
    post.refresh_from_db()
    assert (post.reviewer, post.status) == (manager, PracticePost.Status.IN_REVIEW)

    data, _ = download(client, manager)
    assert [(row["id"], row["text"]) for row in data[POSTS]] == [(post.pk, TEXT)]
    studio.review_post(reviewer=manager, post=post, outcome="approved", comment="Good to go.")
    data, _ = download(client, manager)
    assert [row["text_reviewed"] for row in data[REVIEWS]] == [TEXT]
    assert not Notice.objects.filter(kind=studio.REVIEW_RELEASED).exists()


def test_the_learner_leaving_the_team_lets_the_manager_go(client, learner, team, staff_user):
    post = sent_for_review(learner, team["manager"])
    membership = Membership.objects.get(user=learner, team=team["team"])
    in_admin(
        client,
        staff_user,
        reverse("admin:learners_membership_delete", args=[membership.pk]),
        {"post": "yes"},
    )
    post.refresh_from_db()
    assert post.reviewer is None
    assert download(client, team["manager"])[0][POSTS] == []


def test_a_named_reviewer_removed_by_the_organisation_lets_the_draft_go(
    client, learner, unmanaged, staff_user
):
    rita, organisation = unmanaged["rita"], unmanaged["organisation"]
    post = sent_for_review(learner, rita)
    studio.review_post(reviewer=rita, post=post, outcome="changes_requested", comment="Shorter.")
    edit(post, LATER)
    post = studio.request_review(post=post, reviewer=rita)
    data, _ = download(client, rita)
    assert [row["text_reviewed"] for row in data[REVIEWS]] == [TEXT]

    client.force_login(staff_user)
    url = reverse("admin:learners_organisation_change", args=[organisation.pk])
    form = form_data(client.get(url).content.decode(), containing="slug")
    form.pop("reviewers", None)  # Rita is no longer the organisation's reviewer
    in_admin(client, staff_user, url, form)
    assert not organisation.reviewers.exists()

    post.refresh_from_db()
    assert (post.reviewer, post.status) == (None, PracticePost.Status.DRAFT)
    data, _ = download(client, rita)
    assert data[POSTS] == []
    # Her review is hers (the decision, her comment); the learner's words she saw are not.
    assert [(row["comment"], row["text_reviewed"]) for row in data[REVIEWS]] == [
        ("Shorter.", data_export.WITHHELD)
    ]
    assert released_notice(learner).title.startswith("Rita Reviewer can no longer review")


def test_a_manager_joining_the_team_takes_over_from_the_named_reviewer(
    client, learner, unmanaged, staff_user
):
    post = sent_for_review(learner, unmanaged["rita"])
    in_admin(
        client,
        staff_user,
        reverse("admin:learners_membership_add"),
        {"user": factories.UserFactory().pk, "team": unmanaged["team"].pk, "role": "manager"},
    )
    post.refresh_from_db()
    assert (post.reviewer, post.status) == (None, PracticePost.Status.DRAFT)


def test_joining_a_managed_team_by_invitation_takes_over_from_the_named_reviewer(
    learner, unmanaged
):
    post = sent_for_review(learner, unmanaged["rita"])
    managed = factories.team_with(manager=factories.UserFactory())
    invitation = Invitation.objects.create(team=managed, email=learner.email)
    team_services.accept_invitation(invitation=invitation, user=learner)
    post.refresh_from_db()
    assert post.reviewer is None


def test_peer_review_turned_off_lets_the_peer_go(learner, team):
    organisation = team["team"].organisation
    Organisation.objects.filter(pk=organisation.pk).update(allow_peer_review=True)
    post = sent_for_review(learner, team["peer"])
    Organisation.objects.filter(pk=organisation.pk).update(allow_peer_review=False)
    learner_services.review_rights_changed(team_ids=[team["team"].pk])
    post.refresh_from_db()
    assert post.reviewer is None


def test_a_deactivated_or_deleted_manager_lets_the_draft_go(client, learner, team, staff_user):
    manager = team["manager"]
    post = sent_for_review(learner, manager)
    client.force_login(staff_user)
    url = reverse("admin:learners_user_change", args=[manager.pk])
    form = form_data(client.get(url).content.decode(), containing="display_name")
    form.pop("is_active")
    in_admin(client, staff_user, url, form)
    post.refresh_from_db()
    assert (post.reviewer, post.status) == (None, PracticePost.Status.DRAFT)

    other = factories.UserFactory()
    factories.team_with(manager=other, learners=[learner])
    post = studio.request_review(post=post, reviewer=other)
    learner_services.delete_account(user=other)
    post.refresh_from_db()
    assert post.reviewer is None


def test_releasing_runs_a_few_queries_per_reviewer_concerned(
    learner, team, django_assert_num_queries
):
    sent_for_review(learner, team["manager"])
    Membership.objects.filter(user=team["manager"]).delete()
    # savepoint + the reviewers concerned + his posts he may no longer review + the update
    # + the learner's notice (insert, unread count) + release = 7
    with django_assert_num_queries(7):
        assert studio.release_lost_reviews(user_ids={team["manager"].pk}) == 1
