"""The post studio: drafts and their checks, review before publishing, evidence of publishing.

Nothing here posts to a network or fetches a URL: learners publish on the real network
themselves and paste the public URL back as evidence.
"""

import itertools
from dataclasses import dataclass, replace
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from audit import services as audit
from core import localtime
from core.pagination import PreparedRows
from core.prepared import prepared
from courses.models import Lesson, PracticeAssignment
from governance.models import BannedTerm
from learners.models import Membership, User
from learners.selectors import review_route, reviewed_learners
from ledger import messaging, notices
from progress import data_export
from progress.models import Enrolment

from . import networks, post_checks, previews
from .models import Evidence, PostReview, PracticePost

MAX_POST_CHARS = 70_000  # above every network's limit, so the check (not the form) reports it


class StudioError(Exception):
    """A request the rules refuse; the message is shown as-is."""


def learner_today(user: User) -> date:
    """Today in the learner's own time zone (so "no future dates" means their future)."""
    return localtime.local(timezone.now(), user.timezone).date()


# -- who may see and review what ---------------------------------------------------------


def post_reviewers(learner: User) -> QuerySet[User]:
    """Who may review `learner`'s posts: their reviewers (learners.selectors.review_route: their
    managers, else the reviewers their organisation named, else staff) and, in an organisation
    that allows peer review, the other learners of their teams. Three queries at most."""
    reviewers = review_route(learner).reviewers.order_by().values("pk")
    # One list of ids (a UNION), which the database gathers first: a join to the memberships
    # needed DISTINCT over every user, and an OR of two lists made it test each of them (16-29
    # ms for a learner in an organisation of 50,000).
    candidates = reviewers.union(_peers_of(learner).order_by().values("user_id"))
    return _offered_to(learner, candidates)


def designated_reviewers(learner: User) -> QuerySet[User]:
    """`post_reviewers` without the peers: the reviewers `learner`'s route names (their
    managers, else their organisation's reviewers, else staff). What the review form lists
    when the peers are too many to list."""
    return _offered_to(learner, review_route(learner).reviewers.values("pk"))


def _offered_to(learner: User, ids: QuerySet) -> QuerySet[User]:
    """The active people among `ids` (a subquery) other than `learner`, by name."""
    return (
        User.objects.filter(is_active=True, pk__in=ids)
        .exclude(pk=learner.pk)
        .order_by("display_name", "email")
    )


def learners_reviewable_by(user: User) -> QuerySet[User]:
    """The mirror of post_reviewers: learners whose posts `user` may review."""
    return User.objects.filter(_reviewable_by(user, person="pk"))


def _reviewable_by(user: User, *, person: str) -> Q:
    """`learners_reviewable_by` as a filter on the column `person` names (a post's
    "learner_id"): filtering posts through a users subquery made PostgreSQL gather everyone a
    manager of 10,000 may review to find one post (20 ms)."""
    if not user.is_active:  # post_reviewers offers active people only
        return Q(pk__in=[])
    if user.is_staff:
        return ~Q(**{person: user.pk})
    return (
        reviewed_learners(user, person=person)
        | Q(**{f"{person}__in": _peers_of(user).values("user_id")})
    ) & ~Q(**{person: user.pk})


def _peers_of(user: User) -> QuerySet[Membership]:
    """The learner memberships of the teams `user` learns in, in organisations that allow peer
    review (`user`'s own among them): who may review each other's posts, both ways."""
    teams = Membership.objects.filter(
        user=user,
        role=Membership.Role.LEARNER,
        team__organisation__allow_peer_review=True,
    ).values("team_id")
    return Membership.objects.filter(team_id__in=teams, role=Membership.Role.LEARNER)


def posts_to_review(user: User) -> QuerySet[PracticePost]:
    """Posts `user` was asked to review and still may: a reviewer who left the team sees none."""
    return PracticePost.objects.filter(_reviewable_by(user, person="learner_id"), reviewer=user)


# A reviewer who lost the right to review a learner (no longer their team's manager, out of
# the team, no longer named by the organisation, peer review turned off, deactivated) stops
# being the reviewer of their posts, here, and stops finding them in their data download
# (progress.data_export, through the filters below): both follow posts_to_review.

REVIEW_RELEASED = "post_review_released"
RELEASE_BATCH = 500  # people per query (named twice): far below any database's parameter limit


@transaction.atomic
def release_lost_reviews(*, user_ids) -> int:
    """Clear the reviewer of every post whose reviewer may no longer review its learner; a post
    waiting for them returns to draft, and the learner is told to ask someone else. `user_ids`:
    the people whose rights may have changed, as reviewers or as learners. Returns how many
    posts were let go. Per batch of people: one query, and two to four per reviewer concerned."""
    return sum(
        _release_lost_reviews(list(batch))
        for batch in itertools.batched(sorted(user_ids), RELEASE_BATCH)
    )


def _release_lost_reviews(user_ids: list[int]) -> int:
    concerned = PracticePost.objects.filter(reviewer__isnull=False).filter(
        Q(reviewer_id__in=user_ids) | Q(learner_id__in=user_ids)
    )
    released = 0
    for reviewer in User.objects.filter(pk__in=concerned.values("reviewer_id")).order_by("pk"):
        lost = list(
            concerned.filter(reviewer=reviewer)
            .exclude(pk__in=posts_to_review(reviewer).values("pk"))
            .annotate(rounds=Count("reviews"))
            .only("pk", "learner_id", "status", "text")
        )
        if not lost:
            continue
        released += PracticePost.objects.filter(
            pk__in=[post.pk for post in lost], reviewer=reviewer
        ).update(
            reviewer=None,
            status=Case(
                When(status=PracticePost.Status.IN_REVIEW, then=Value(PracticePost.Status.DRAFT)),
                default=F("status"),
            ),
        )
        notices.record(
            [
                notices.Event(
                    recipient_id=post.learner_id,
                    key=f"{REVIEW_RELEASED}:{post.pk}:{post.rounds}:{reviewer.pk}",
                    kind=REVIEW_RELEASED,
                    title=(
                        f"{reviewer.name} can no longer review “{post.title}”. "
                        "It is back in your drafts: ask someone else to review it."
                    ),
                    url=post.get_absolute_url(),
                )
                for post in lost
                if post.status == PracticePost.Status.IN_REVIEW
            ]
        )
    return released


def review_rights_changed_receiver(sender, *, user_ids, **kwargs) -> None:
    """learners.signals.review_rights_changed: memberships or reviewer roles changed."""
    release_lost_reviews(user_ids=user_ids)


def exported_posts_to_review(user: User, rows: list[dict]) -> list[dict]:
    """The posts `user` was asked to review, in their data download: the learner's drafts, so
    only those they may still review (posts_to_review), as on the review page."""
    visible = set(
        posts_to_review(user)
        .filter(pk__in=[row["id"] for row in rows])
        .values_list("pk", flat=True)
    )
    return [row for row in rows if row["id"] in visible]


def exported_reviews_given(user: User, rows: list[dict]) -> list[dict]:
    """The reviews `user` gave, in their data download: their decision and comment are theirs;
    the copy of the learner's draft they reviewed only while they may still review the learner."""
    visible = set(
        PostReview.objects.filter(
            pk__in=[row["id"] for row in rows],
            post__learner__in=learners_reviewable_by(user).values("pk"),
        ).values_list("pk", flat=True)
    )
    for row in rows:
        if row["id"] not in visible:
            row["text_reviewed"] = data_export.WITHHELD
    return rows


def waiting_for_review(user: User) -> QuerySet[PracticePost]:
    return posts_to_review(user).filter(status=PracticePost.Status.IN_REVIEW)


def how_many_wait_for_review(user: User) -> int:
    """`waiting_for_review(user).count()`, compiled once (the studio shows it on every page;
    building the query cost more than running it)."""
    if not user.is_active:
        return 0
    read = _waiting_posts_of_staff if user.is_staff else _waiting_posts_of_reviewer
    return read.count(reviewer_id=user.pk)


def posts_waiting_for_review(user: User) -> PreparedRows | QuerySet[PracticePost]:
    """Posts waiting for `user`'s review, oldest first, with their learner, as a paginator
    reads them (core.pagination), through compiled reads: the review inbox reads them on every
    visit, and building the query cost 3 ms of the page."""
    if not user.is_active:
        return PracticePost.objects.none()
    if user.is_staff:
        return PreparedRows(_review_queue_of_staff, _waiting_posts_of_staff, reviewer_id=user.pk)
    return PreparedRows(_review_queue_of_reviewer, _waiting_posts_of_reviewer, reviewer_id=user.pk)


def _waiting_posts(reviewer_id: int, *, staff: bool) -> QuerySet[PracticePost]:
    """`waiting_for_review` of an active reviewer, built from their id (core.prepared)."""
    return waiting_for_review(User(pk=reviewer_id, is_staff=staff, is_active=True))


def _review_queue(reviewer_id: int, *, staff: bool) -> QuerySet[PracticePost]:
    return (
        _waiting_posts(reviewer_id, staff=staff)
        .select_related("learner")
        .only(*_QUEUE_COLUMNS)
        .order_by("updated_at", "pk")
    )


_QUEUE_COLUMNS = ("learner_id", "network", "text", "status", "updated_at",
                  "learner__display_name", "learner__email")  # fmt: skip
_waiting_posts_of_reviewer = prepared(
    lambda reviewer_id: _waiting_posts(reviewer_id, staff=False).order_by().values("pk")
)
_waiting_posts_of_staff = prepared(
    lambda reviewer_id: _waiting_posts(reviewer_id, staff=True).order_by().values("pk")
)
_review_queue_of_reviewer = prepared(lambda reviewer_id: _review_queue(reviewer_id, staff=False))
_review_queue_of_staff = prepared(lambda reviewer_id: _review_queue(reviewer_id, staff=True))


# -- the composer ------------------------------------------------------------------------


def assignments_for_posts(learner: User) -> QuerySet[PracticeAssignment]:
    """Practice assignments a post can be drafted for: those of the learner's tracks."""
    return (
        PracticeAssignment.objects.filter(
            archived_at__isnull=True,
            lesson__archived_at__isnull=True,
            lesson__track__is_published=True,
            lesson__track__enrolments__learner=learner,
        )
        .select_related("lesson__track")
        .order_by("lesson__track__title", "lesson__module__position", "lesson__position")
    )


def banned_words(learner: User) -> list[post_checks.BannedWord]:
    """The banned terms of every organisation the learner belongs to. One query."""
    return [
        post_checks.BannedWord(term=term, reason=reason, source=source)
        for term, reason, source in BannedTerm.objects.filter(
            organisation__teams__memberships__user=learner
        )
        .distinct()
        .values_list("term", "reason", "organisation__name")
    ]


def lesson_links(codes: set[str], learner: User) -> dict[str, tuple[str, str]]:
    """{check code: (lesson url, lesson title)} for the lessons that teach `codes`.

    Prefers a lesson in a track the learner is enrolled in (opening a lesson of another track
    would enrol them in it); a lesson that doesn't exist is left out. One query.
    """
    wanted = {ref for code in codes for ref in post_checks.LESSONS.get(code, ())}
    if not wanted:
        return {}
    match = Q()
    for track_slug, lesson_slug in wanted:
        match |= Q(track__slug=track_slug, slug=lesson_slug)
    rows = (
        Lesson.objects.published()
        .filter(match)
        .annotate(
            enrolled=Exists(
                Enrolment.objects.filter(learner=learner, track_id=OuterRef("track_id"))
            )
        )
        .values_list("track__slug", "slug", "title", "enrolled")
    )
    found = {(track, slug): (title, enrolled) for track, slug, title, enrolled in rows}
    links = {}
    for code in codes:
        refs = [ref for ref in post_checks.LESSONS.get(code, ()) if ref in found]
        if not refs:
            continue
        best = next((ref for ref in refs if found[ref][1]), refs[0])
        links[code] = (reverse("progress:lesson", args=list(best)), found[best][0])
    return links


@dataclass
class CheckedDraft:
    preview: previews.Preview
    findings: list[post_checks.Finding]

    @property
    def problems(self) -> int:
        return sum(1 for f in self.findings if f.level == post_checks.PROBLEM)

    @property
    def summary(self) -> str:
        count = f"{self.preview.count:,} of {self.preview.network.limit:,} characters"
        if not self.findings:
            return f"{count}; no checks raised."
        return (
            f"{count}; {len(self.findings)} check{'s' if len(self.findings) != 1 else ''} raised."
        )


def check_draft(
    *,
    author: User,
    network_slug: str,
    text: str,
    link_url: str = "",
    link_title: str = "",
    link_description: str = "",
    has_image: bool = False,
    image_alt: str = "",
) -> CheckedDraft:
    """The preview and the checks of a draft by `author` (banned terms are the author's
    organisations'). Two queries: banned terms, and lessons when a check needs a link."""
    network = networks.get(network_slug)
    preview = previews.build_preview(
        network=network,
        author_name=author.name,
        text=text,
        link_url=link_url,
        link_title=link_title,
        link_description=link_description,
        has_image=has_image,
        image_alt=image_alt,
    )
    draft = post_checks.Draft(
        network=network, text=text, link_url=link_url, has_image=has_image, image_alt=image_alt
    )
    findings = (
        post_checks.run_checks(draft, banned=banned_words(author))
        if previews.normalise(text)
        else []
    )
    if findings:
        links = lesson_links({f.code for f in findings}, author)
        findings = [
            replace(f, lesson_url=links[f.code][0], lesson_title=links[f.code][1])
            if f.code in links
            else f
            for f in findings
        ]
    return CheckedDraft(preview=preview, findings=findings)


def check_post(post: PracticePost) -> CheckedDraft:
    return check_draft(
        author=post.learner,
        network_slug=post.network,
        text=post.text,
        link_url=post.link_url,
        link_title=post.link_title,
        link_description=post.link_description,
        has_image=post.has_image,
        image_alt=post.image_alt,
    )


# -- writes ------------------------------------------------------------------------------

CONTENT_FIELDS = (
    "network",
    "text",
    "link_url",
    "link_title",
    "link_description",
    "has_image",
    "image_alt",
)


@transaction.atomic
def save_post(*, learner: User, post: PracticePost | None, data: dict) -> PracticePost:
    """Create a draft, or save changes to one. Changing a post that is in review or approved
    returns it to draft: an approval covers the words the reviewer saw, not later ones."""
    if post is None:
        return PracticePost.objects.create(
            learner=learner,
            assignment=data.get("assignment"),
            **{name: data[name] for name in CONTENT_FIELDS},
        )
    post = PracticePost.objects.select_for_update().get(pk=post.pk, learner=learner)
    if post.status == PracticePost.Status.PUBLISHED:
        raise StudioError("This post is published: start a new draft to change it.")
    changed = any(getattr(post, name) != data[name] for name in CONTENT_FIELDS)
    for name in CONTENT_FIELDS:
        setattr(post, name, data[name])
    post.assignment = data.get("assignment")
    if changed and post.status != PracticePost.Status.DRAFT:
        post.status = PracticePost.Status.DRAFT
    post.save()
    return post


def _notify(**message) -> None:
    """Queue a studio email with the change it reports: the worker sends it once that is
    committed (ledger.messaging.queue_message), never inside the learner's request."""
    messaging.queue_message(**message)


def request_review(*, post: PracticePost, reviewer: User) -> PracticePost:
    """Ask `reviewer` (the learner's manager, or a peer where allowed) to review the draft;
    they get an email (once per review round and reviewer)."""
    with transaction.atomic():
        post = PracticePost.objects.select_for_update().select_related("learner").get(pk=post.pk)
        if post.status not in (PracticePost.Status.DRAFT, PracticePost.Status.CHANGES_REQUESTED):
            raise StudioError(f"This post is {post.get_status_display().lower()} already.")
        if not post.text.strip():
            raise StudioError("Write the post before asking for a review.")
        if not post_reviewers(post.learner).filter(pk=reviewer.pk).exists():
            raise StudioError("Choose a reviewer from your team.")
        post.status, post.reviewer = PracticePost.Status.IN_REVIEW, reviewer
        post.save(update_fields=["status", "reviewer", "updated_at"])
        round_number = PostReview.objects.filter(post=post).count() + 1
    _notify(
        key=f"post-review-request:{post.pk}:{round_number}:{reviewer.pk}",
        kind="post_review_request",
        to_email=reviewer.email,
        recipient=reviewer,
        context={
            "learner": post.learner,
            "reviewer": reviewer,
            "network": networks.get(post.network).name,
            "excerpt": post.title,
            "url": messaging.absolute(reverse("practice:studio_review", args=[post.pk])),
        },
    )
    return post


def review_post(*, reviewer: User, post: PracticePost, outcome: str, comment: str) -> PostReview:
    """Approve the draft or ask for changes; the learner is told by email."""
    comment = comment.strip()
    with transaction.atomic():
        post = PracticePost.objects.select_for_update().select_related("learner").get(pk=post.pk)
        if post.status != PracticePost.Status.IN_REVIEW or post.reviewer_id != reviewer.pk:
            raise StudioError("This post is not waiting for your review.")
        if outcome not in PostReview.Outcome.values:
            raise StudioError("Choose: approve, or ask for changes.")
        if outcome == PostReview.Outcome.CHANGES_REQUESTED and not comment:
            raise StudioError("Say what to change: the learner needs your comment.")
        review = PostReview.objects.create(
            post=post,
            reviewer=reviewer,
            outcome=outcome,
            comment=comment,
            network_reviewed=post.network,
            text_reviewed=post.text,
        )
        post.status = outcome
        post.save(update_fields=["status", "updated_at"])
        audit.record(
            kind=audit.Kind.POST_REVIEWED,
            actor=reviewer,
            subject=post.learner,
            target=f"Practice post #{post.pk}",
            details={"outcome": outcome, "network": post.network},
        )
    _notify(
        key=f"post-reviewed:{review.pk}",
        kind="post_reviewed",
        to_email=post.learner.email,
        recipient=post.learner,
        context={
            "learner": post.learner,
            "reviewer": reviewer,
            "approved": outcome == PostReview.Outcome.APPROVED,
            "comment": comment,
            "excerpt": post.title,
            "network": networks.get(post.network).name,
            "url": messaging.absolute(post.get_absolute_url()),
        },
    )
    return review


def publishable_posts(learner: User) -> QuerySet[PracticePost]:
    """Posts the learner can log as published: approved ones (and published ones, again)."""
    return PracticePost.objects.filter(
        learner=learner,
        status__in=[PracticePost.Status.APPROVED, PracticePost.Status.PUBLISHED],
    )


@transaction.atomic
def log_evidence(
    *,
    learner: User,
    url: str,
    network: str,
    published_on: date,
    note: str = "",
    post: PracticePost | None = None,
    assignment: PracticeAssignment | None = None,
    on_portfolio: bool = False,
) -> Evidence:
    """Record the public URL of something the learner published; a linked post becomes
    "published". The URL is stored as given and never fetched."""
    if published_on > learner_today(learner):
        raise StudioError("The publication date is in the future.")
    if post is not None:
        if not publishable_posts(learner).filter(pk=post.pk).exists():
            raise StudioError("Only an approved post of yours can be logged as published.")
        network = post.network
        assignment = assignment or post.assignment
    if network not in networks.BY_SLUG:
        raise StudioError("Choose a network.")
    try:
        with transaction.atomic():
            evidence = Evidence.objects.create(
                learner=learner,
                url=url,
                network=network,
                published_on=published_on,
                note=note,
                post=post,
                assignment=assignment,
                on_portfolio=on_portfolio,
            )
    except IntegrityError:
        raise StudioError("You've already logged this URL.") from None
    if post is not None:
        PracticePost.objects.filter(pk=post.pk).update(
            status=PracticePost.Status.PUBLISHED, updated_at=timezone.now()
        )
    return evidence
