"""The post studio: drafts, the live preview fragment, checks linked to lessons, review before
publishing (reviewers only in the learner's team), and evidence of publishing."""

from datetime import timedelta
from html import unescape

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from courses.models import Lesson, Module, Track
from governance.models import BannedTerm
from learners.models import Organisation
from practice import studio
from practice.models import Evidence, PostReview, PracticePost
from tests import factories

pytestmark = pytest.mark.django_db

STUDIO = "/studio/"
PREVIEW = "/studio/preview/"
LONG = " ".join(f"word{n}" for n in range(80))


def draft_data(**overrides) -> dict:
    data = {
        "network": "linkedin",
        "text": "Our repair days are back. Bring any jacket to any store this weekend.",
        "link_url": "",
        "link_title": "",
        "link_description": "",
        "image_alt": "",
        "action": "save",
    }
    return {**data, **overrides}


def make_post(learner, **fields) -> PracticePost:
    defaults = {"network": "linkedin", "text": "Repair days are back: bring any jacket."}
    return PracticePost.objects.create(learner=learner, **{**defaults, **fields})


@pytest.fixture
def team(learner):
    manager = factories.UserFactory(display_name="Max Manager", email="max@example.com")
    peer = factories.UserFactory(display_name="Pat Peer", email="pat@example.com")
    team = factories.team_with(manager=manager, learners=[learner, peer])
    return {"manager": manager, "peer": peer, "team": team}


@pytest.fixture
def accessibility_lesson():
    """The newcomer lesson that teaches alt text and CamelCase hashtags."""
    track = Track.objects.create(
        slug="newcomer", title="Newcomer track", role=factories.role(), is_published=True
    )
    module = Module.objects.create(track=track, slug="platform-mechanics", title="M", position=1)
    return Lesson.objects.create(
        track=track,
        module=module,
        slug="formats-specs-accessibility",
        title="Formats, specs and accessibility",
        position=1,
    )


# -- the composer and the preview --------------------------------------------------------


def test_the_studio_needs_a_signed_in_learner(client):
    response = client.get(STUDIO)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert client.post(PREVIEW, draft_data()).status_code == 302


def test_saving_a_draft_stores_it_and_shows_its_preview(client, learner):
    client.force_login(learner)
    assert client.get(STUDIO).status_code == 200
    response = client.post(STUDIO, draft_data(text="Hello #RepairDays from @kestrel"))
    post = PracticePost.objects.get(learner=learner)
    assert response.status_code == 302
    assert response["Location"] == post.get_absolute_url()
    assert post.status == PracticePost.Status.DRAFT
    page = client.get(post.get_absolute_url()).content.decode()
    assert '<span class="pv pv--hashtag">#RepairDays</span>' in page
    assert '<span class="pv pv--mention">@kestrel</span>' in page
    assert 'class="post-card__avatar" aria-hidden="true">L<' in page  # Lena's initial
    assert "js/studio.js" in page
    assert "<script>" not in page  # no inline script (the CSP forbids it)


def test_check_draft_without_javascript_shows_preview_and_checks_without_saving(client, learner):
    client.force_login(learner)
    response = client.post(STUDIO, draft_data(network="x", text="x" * 300, action="check"))
    assert response.status_code == 200
    assert not PracticePost.objects.exists()
    html = response.content.decode()
    assert 'data-check="over_limit"' in html
    assert "300</strong> of 280 characters on X" in html


def test_preview_endpoint_returns_the_fragment_with_fold_and_checks(client, learner):
    client.force_login(learner)
    response = client.post(PREVIEW, draft_data(text=LONG + " #repairdays"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html  # a fragment, not a page
    assert 'class="post-card__more">…see more<' in html
    assert 'data-check="hashtag_not_camelcase"' in html
    assert "data-summary=" in html
    assert client.get(PREVIEW).status_code == 405


def test_preview_escapes_what_the_learner_types(client, learner):
    client.force_login(learner)
    html = client.post(
        PREVIEW,
        draft_data(
            text="<script>alert(1)</script> <img src=x onerror=alert(1)>",
            link_url="https://example.com",
            link_title="<b>bold</b>",
        ),
    ).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_preview_builds_a_link_card_from_typed_fields_and_ignores_bad_links(client, learner):
    client.force_login(learner)
    html = client.post(
        PREVIEW,
        draft_data(
            link_url="https://www.kestrel.example/repair",
            link_title="Repair Days",
            link_description="Bring any jacket.",
        ),
    ).content.decode()
    assert 'class="link-card__domain">kestrel.example<' in html
    assert "Repair Days" in html
    bad = client.post(
        PREVIEW, draft_data(link_url="javascript:alert(1)", link_title="Nope")
    ).content.decode()
    assert "link-card" not in bad
    assert "javascript:" not in bad


def test_a_check_links_to_the_lesson_that_teaches_it(client, learner, accessibility_lesson):
    client.force_login(learner)
    html = client.post(
        PREVIEW, draft_data(text="New store", has_image="on", image_alt="")
    ).content.decode()
    assert 'data-check="image_without_alt"' in html
    assert f'href="{accessibility_lesson.get_absolute_url()}"' in html
    assert "Lesson: Formats, specs and accessibility" in html


def test_a_missing_lesson_means_no_link(client, learner):
    client.force_login(learner)
    html = client.post(
        PREVIEW, draft_data(text="New store", has_image="on", image_alt="")
    ).content.decode()
    assert 'data-check="image_without_alt"' in html
    assert "Lesson:" not in html


def test_the_organisations_banned_terms_are_flagged(client, learner, team):
    BannedTerm.objects.create(
        organisation=team["team"].organisation, term="Project Falcon", reason="Not announced"
    )
    other = Organisation.objects.create(name="Other", slug="other")
    BannedTerm.objects.create(organisation=other, term="Repair")
    client.force_login(learner)
    html = unescape(
        client.post(
            PREVIEW, draft_data(text="Big things coming from project falcon. Repair days!")
        ).content.decode()
    )
    assert "“Project Falcon” can't be posted" in html
    assert "Not announced" in html
    assert "“Repair” can't be posted" not in html  # another organisation's list


def test_banned_terms_are_unique_per_organisation_in_any_case(team):
    organisation = team["team"].organisation
    BannedTerm.objects.create(organisation=organisation, term="Falcon")
    with pytest.raises(IntegrityError):
        BannedTerm.objects.create(organisation=organisation, term="FALCON")


def test_editing_an_approved_post_returns_it_to_draft(client, learner):
    post = make_post(learner, status=PracticePost.Status.APPROVED)
    client.force_login(learner)
    client.post(post.get_absolute_url(), draft_data(text="A different text now."))
    post.refresh_from_db()
    assert post.status == PracticePost.Status.DRAFT
    assert post.text == "A different text now."


def test_a_published_post_cannot_be_changed(client, learner):
    post = make_post(learner, status=PracticePost.Status.PUBLISHED)
    client.force_login(learner)
    client.post(post.get_absolute_url(), draft_data(text="Sneaky edit"))
    post.refresh_from_db()
    assert post.text != "Sneaky edit"


# -- permissions -------------------------------------------------------------------------


def test_another_learners_draft_is_not_found(client, learner, team):
    post = make_post(team["peer"])
    client.force_login(learner)
    assert client.get(post.get_absolute_url()).status_code == 404
    assert client.post(post.get_absolute_url(), draft_data()).status_code == 404
    assert (
        client.post(reverse("practice:studio_request_review", args=[post.pk]), {}).status_code
        == 404
    )
    assert (
        client.post(reverse("practice:studio_log_published", args=[post.pk]), {}).status_code == 404
    )
    assert client.get(reverse("practice:studio_review", args=[post.pk])).status_code == 404


def test_another_learners_evidence_is_not_found(client, learner, team):
    item = Evidence.objects.create(
        learner=team["peer"],
        url="https://example.com/p/1",
        network="linkedin",
        published_on=timezone.localdate(),
    )
    client.force_login(learner)
    url = reverse("practice:journal_evidence_item", args=[item.pk])
    assert client.post(url, {"action": "delete"}).status_code == 404
    assert Evidence.objects.filter(pk=item.pk).exists()
    assert item.url not in client.get("/journal/evidence/").content.decode()


def test_reviewers_are_the_managers_of_the_learners_team(learner, team):
    outsider = factories.UserFactory()
    factories.team_with(manager=outsider, learners=[factories.UserFactory()])
    reviewers = set(studio.post_reviewers(learner))
    assert reviewers == {team["manager"]}  # no peers unless the organisation allows it
    post = make_post(learner)
    with pytest.raises(studio.StudioError):
        studio.request_review(post=post, reviewer=outsider)
    with pytest.raises(studio.StudioError):
        studio.request_review(post=post, reviewer=team["peer"])


def test_where_peers_are_too_many_to_list_a_colleague_is_named_by_address(
    client, learner, team, monkeypatch
):
    """Peer review in a large team: the form lists the learner's designated reviewers and asks
    for a colleague's address instead of listing every colleague (thousands of options)."""
    from practice import forms as practice_forms

    Organisation.objects.filter(pk=team["team"].organisation_id).update(allow_peer_review=True)
    outsider = factories.UserFactory(email="otto@example.com")
    factories.team_with(learners=[outsider])
    post = make_post(learner)
    client.force_login(learner)
    url = reverse("practice:studio_request_review", args=[post.pk])
    page = client.get(post.get_absolute_url()).content.decode()
    assert ">Pat Peer</option>" in page  # two people within reach: a list

    monkeypatch.setattr(practice_forms, "PEOPLE_LISTED", 1)
    page = client.get(post.get_absolute_url()).content.decode()
    assert ">Max Manager</option>" in page and "Pat Peer" not in page
    assert 'type="email" name="colleague"' in page

    def asked(data) -> str:
        response = client.post(url, data, follow=True)
        return unescape(response.content.decode())

    assert "Nobody with that email address may review your posts" in asked(
        {"colleague": "otto@example.com"}
    )
    assert "not both" in asked({"reviewer": team["manager"].pk, "colleague": "pat@example.com"})
    assert "Choose who should review it." in asked({})
    post.refresh_from_db()
    assert post.status == PracticePost.Status.DRAFT and post.reviewer is None

    assert "Sent to Pat Peer for review." in asked({"colleague": " Pat@Example.com"})
    post.refresh_from_db()
    assert (post.status, post.reviewer) == (PracticePost.Status.IN_REVIEW, team["peer"])


def test_a_learner_without_a_manager_asks_their_organisations_reviewer(client):
    loner = factories.UserFactory(display_name="Lou Loner")
    team = factories.team_with(learners=[loner])  # no manager
    rita = factories.UserFactory(display_name="Rita Reviewer")
    team.organisation.reviewers.add(rita)
    assert set(studio.post_reviewers(loner)) == {rita}

    post = make_post(loner)
    studio.request_review(post=post, reviewer=rita)
    client.force_login(rita)
    assert "Lou Loner" in client.get(reverse("teams:team_reviews")).content.decode()
    studio.review_post(reviewer=rita, post=post, outcome="approved", comment="")


def test_peers_may_review_where_the_organisation_allows_it(client, learner, team, mailoutbox):
    Organisation.objects.filter(pk=team["team"].organisation_id).update(allow_peer_review=True)
    assert set(studio.post_reviewers(learner)) == {team["manager"], team["peer"]}
    post = make_post(learner)
    studio.request_review(post=post, reviewer=team["peer"])
    client.force_login(team["peer"])
    response = client.post(
        reverse("practice:studio_review", args=[post.pk]), {"outcome": "approved"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PracticePost.Status.APPROVED


def test_a_manager_of_another_team_cannot_open_the_review(client, learner, team):
    post = make_post(learner)
    studio.request_review(post=post, reviewer=team["manager"])
    outsider = factories.UserFactory()
    factories.team_with(manager=outsider)
    client.force_login(outsider)
    assert client.get(reverse("practice:studio_review", args=[post.pk])).status_code == 404
    assert (
        client.post(
            reverse("practice:studio_review", args=[post.pk]), {"outcome": "approved"}
        ).status_code
        == 404
    )
    post.refresh_from_db()
    assert post.status == PracticePost.Status.IN_REVIEW


def test_a_reviewer_who_left_the_team_no_longer_sees_the_post(client, learner, team):
    post = make_post(learner)
    studio.request_review(post=post, reviewer=team["manager"])
    team["team"].memberships.filter(user=team["manager"]).delete()
    client.force_login(team["manager"])
    assert client.get(reverse("practice:studio_review", args=[post.pk])).status_code == 404
    assert post.title not in client.get("/studio/reviews/").content.decode()


# -- review, publish, evidence -----------------------------------------------------------


def test_review_then_publish_then_evidence(
    client, learner, team, mailoutbox, django_capture_on_commit_callbacks
):
    def send(*args, **kwargs):  # the studio's emails go to the worker after each commit
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(*args, **kwargs)

    manager = team["manager"]
    client.force_login(learner)
    send(STUDIO, draft_data())
    post = PracticePost.objects.get(learner=learner)

    response = send(
        reverse("practice:studio_request_review", args=[post.pk]), {"reviewer": manager.pk}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.status, post.reviewer) == (PracticePost.Status.IN_REVIEW, manager)
    [request_email] = [m for m in mailoutbox if m.to == [manager.email]]
    assert "Lena Learner asked you to review a LinkedIn post" in request_email.subject
    assert f"/studio/reviews/{post.pk}/" in request_email.body

    client.force_login(manager)
    queue = client.get("/studio/reviews/").content.decode()
    assert "Lena Learner" in queue
    review_page = client.get(reverse("practice:studio_review", args=[post.pk]))
    assert 'class="post-card' in review_page.content.decode()
    refused = send(
        reverse("practice:studio_review", args=[post.pk]), {"outcome": "changes_requested"}
    )
    assert refused.status_code == 400  # asking for changes needs a comment
    send(
        reverse("practice:studio_review", args=[post.pk]),
        {"outcome": "changes_requested", "comment": "Lead with the date."},
    )
    post.refresh_from_db()
    assert post.status == PracticePost.Status.CHANGES_REQUESTED
    review = PostReview.objects.get(post=post)
    assert review.text_reviewed == post.text
    [changes_email] = [m for m in mailoutbox if m.to == [learner.email]]
    assert "Lead with the date." in changes_email.body

    client.force_login(learner)
    send(post.get_absolute_url(), draft_data(text="Saturday 11 April: repair days."))
    send(reverse("practice:studio_request_review", args=[post.pk]), {"reviewer": manager.pk})
    studio.review_post(reviewer=manager, post=post, outcome="approved", comment="")
    post.refresh_from_db()
    assert post.status == PracticePost.Status.APPROVED
    assert len([m for m in mailoutbox if m.to == [manager.email]]) == 2  # one per round

    page = client.get(post.get_absolute_url()).content.decode()
    assert "Log as published" in page
    response = send(
        reverse("practice:studio_log_published", args=[post.pk]),
        {
            "url": "https://www.linkedin.com/posts/lena-repair-days",
            "published_on": timezone.localdate().isoformat(),
            "note": "Two comments from store staff.",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PracticePost.Status.PUBLISHED
    evidence = Evidence.objects.get(learner=learner)
    assert (evidence.post, evidence.network) == (post, "linkedin")


def test_a_reviewer_cannot_review_twice_or_someone_elses_request(learner, team):
    post = make_post(learner)
    studio.request_review(post=post, reviewer=team["manager"])
    with pytest.raises(studio.StudioError):
        studio.review_post(reviewer=team["peer"], post=post, outcome="approved", comment="")
    studio.review_post(reviewer=team["manager"], post=post, outcome="approved", comment="")
    with pytest.raises(studio.StudioError):
        studio.review_post(reviewer=team["manager"], post=post, outcome="approved", comment="")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.linkedin.com/posts/lena_activity-1", True),
        ("http://example.com/post", True),
        ("linkedin.com/posts/lena", True),  # no scheme: https is assumed
        ("https://example.com/" + "a" * (500 - len("https://example.com/")), True),
        ("https://example.com/" + "a" * (501 - len("https://example.com/")), False),
        ("javascript:alert(1)", False),
        ("ftp://example.com/post", False),
        ("data:text/html,hi", False),
        ("not a url", False),
        ("", False),
    ],
)
def test_evidence_urls_are_http_or_https_and_at_most_500_characters(client, learner, url, ok):
    client.force_login(learner)
    response = client.post(
        "/journal/evidence/",
        {
            "url": url,
            "network": "linkedin",
            "published_on": timezone.localdate().isoformat(),
        },
    )
    assert Evidence.objects.filter(learner=learner).exists() is ok
    assert response.status_code == (302 if ok else 400)


def test_the_database_refuses_a_non_http_evidence_url(learner):
    with pytest.raises(IntegrityError):
        Evidence.objects.create(
            learner=learner,
            url="javascript:alert(1)",
            network="linkedin",
            published_on=timezone.localdate(),
        )


def test_evidence_cannot_be_published_in_the_future_or_logged_twice(client, learner):
    client.force_login(learner)
    tomorrow = (studio.learner_today(learner) + timedelta(days=1)).isoformat()
    data = {"url": "https://example.com/1", "network": "x", "published_on": tomorrow}
    assert client.post("/journal/evidence/", data).status_code == 400
    data["published_on"] = studio.learner_today(learner).isoformat()
    assert client.post("/journal/evidence/", data).status_code == 302
    assert client.post("/journal/evidence/", data).status_code == 400
    assert Evidence.objects.filter(learner=learner).count() == 1


def test_only_an_approved_post_can_be_logged_as_published(learner):
    post = make_post(learner)
    with pytest.raises(studio.StudioError):
        studio.log_evidence(
            learner=learner,
            url="https://example.com/x",
            network="linkedin",
            published_on=timezone.localdate(),
            post=post,
        )


def test_a_draft_can_be_for_an_assignment_of_the_learners_tracks(client, learner):
    track = factories.make_track(slug="craft", modules=1, lessons_per_module=1)
    assignment = factories.add_assignment(track.lessons.get())
    other = factories.make_track(slug="other", modules=1, lessons_per_module=1)
    not_mine = factories.add_assignment(other.lessons.get())
    from progress import services

    services.enrol(learner=learner, track=track)
    client.force_login(learner)
    page = client.get(f"{STUDIO}?assignment={assignment.pk}").content.decode()
    assert f'<option value="{assignment.pk}" selected>' in page
    assert f'value="{not_mine.pk}"' not in page
    client.post(STUDIO, draft_data(assignment=assignment.pk))
    assert PracticePost.objects.get(learner=learner).assignment == assignment


def test_a_failed_email_leaves_the_request_standing_for_the_dispatcher(
    learner, team, monkeypatch, django_capture_on_commit_callbacks
):
    from smtplib import SMTPException

    from ledger import messaging
    from ledger.models import Message

    def refuse(self, *args, **kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr(messaging.EmailMultiAlternatives, "send", refuse)
    post = make_post(learner)
    with django_capture_on_commit_callbacks(execute=True):  # the worker's turn, after commit
        studio.request_review(post=post, reviewer=team["manager"])
    post.refresh_from_db()
    assert post.status == PracticePost.Status.IN_REVIEW
    message = Message.objects.get(kind="post_review_request")
    assert message.status == Message.Status.FAILED  # the hourly dispatcher retries it


def test_the_studio_counts_the_posts_waiting_for_its_reader(client):
    manager = factories.UserFactory()
    learners = factories.UserFactory.create_batch(2)
    factories.team_with(manager=manager, learners=learners)
    for learner in learners:
        post = PracticePost.objects.create(learner=learner, network="linkedin", text="Hello")
        studio.request_review(post=post, reviewer=manager)
    client.force_login(manager)

    page = client.get(reverse("practice:studio")).content.decode()
    assert "2 posts waiting for your review" in page

    manager.is_active = False  # an inactive reviewer reviews nothing
    assert studio.how_many_wait_for_review(manager) == 0
