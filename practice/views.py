"""The post studio's pages: the composer with its live preview, review requests and reviews.

Permissions are enforced through querysets: another learner's draft, or a post you weren't
asked to review (or may no longer review), is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.pagination import CappedCountPaginator

from . import networks, studio
from .forms import (
    HTTP_URL,
    PostReviewForm,
    PracticePostForm,
    PublishedForm,
    ReviewRequestForm,
)
from .models import PracticePost

COMPOSER = "practice/studio_post.html"
RECENT_POSTS = 50
POSTS_PER_PAGE = 50  # posts waiting for review, a page at a time


def _own_post(request, post_id: int) -> PracticePost:
    return get_object_or_404(
        PracticePost.objects.select_related("assignment__lesson__track", "reviewer"),
        pk=post_id,
        learner=request.user,
    )


def _checked_from_form(form: PracticePostForm, learner) -> studio.CheckedDraft:
    """Check what the learner typed, even when part of it doesn't validate yet."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    raw = form.data
    link = data.get("link_url") if "link_url" in data else ""
    return studio.check_draft(
        author=learner,
        network_slug=data.get("network") or raw.get("network") or networks.DEFAULT,
        text=data.get("text", raw.get("text", ""))[: studio.MAX_POST_CHARS],
        link_url=link or "",
        link_title=data.get("link_title", ""),
        link_description=data.get("link_description", ""),
        has_image=bool(data.get("has_image")),
        image_alt=data.get("image_alt", ""),
    )


def _composer(request, *, form, post=None, checked=None, published_form=None, status=200):
    learner = request.user
    if checked is None:
        if post is not None:
            checked = studio.check_post(post)
        else:
            checked = studio.check_draft(author=learner, network_slug=networks.DEFAULT, text="")
    posts = list(
        PracticePost.objects.filter(learner=learner).only(
            "network", "text", "status", "updated_at"
        )[:RECENT_POSTS]
    )
    context = {
        "form": form,
        "post": post,
        "checked": checked,
        "preview": checked.preview,
        "findings": checked.findings,
        "posts": posts,
        "to_review": studio.how_many_wait_for_review(learner),
        "networks": networks.NETWORKS,
        "last_reviewed": networks.LAST_REVIEWED,
    }
    if post is not None:
        context["reviews"] = list(post.reviews.select_related("reviewer"))
        context["evidence"] = list(post.evidence.all())
        if post.status in (PracticePost.Status.DRAFT, PracticePost.Status.CHANGES_REQUESTED):
            context["review_form"] = form = ReviewRequestForm(learner=learner)
            context["has_reviewers"] = form.has_reviewers
        if post.status in (PracticePost.Status.APPROVED, PracticePost.Status.PUBLISHED):
            context["published_form"] = published_form or PublishedForm(
                learner=learner, initial={"published_on": studio.learner_today(learner)}
            )
    return render(request, COMPOSER, context, status=status)


@login_required
def composer(request):
    """/studio/: a new draft. "Check draft" shows the preview and checks without saving (the
    no-JavaScript path); "Save draft" saves it."""
    initial = {"network": request.GET.get("network", networks.DEFAULT)}
    if request.GET.get("assignment", "").isdigit():
        initial["assignment"] = int(request.GET["assignment"])
    form = PracticePostForm(request.POST or None, learner=request.user, initial=initial)
    if request.method == "POST":
        valid = form.is_valid()
        if valid and request.POST.get("action") != "check":
            post = studio.save_post(learner=request.user, post=None, data=form.cleaned_data)
            messages.success(request, "Draft saved.")
            return redirect(post)
        return _composer(
            request,
            form=form,
            checked=_checked_from_form(form, request.user),
            status=200 if valid else 400,
        )
    return _composer(request, form=form)


@login_required
def post_detail(request, post_id: int):
    post = _own_post(request, post_id)
    form = PracticePostForm(request.POST or None, learner=request.user, instance=post)
    if request.method == "POST":
        valid = form.is_valid()
        if valid and request.POST.get("action") != "check":
            was = post.status
            try:
                post = studio.save_post(learner=request.user, post=post, data=form.cleaned_data)
            except studio.StudioError as error:
                messages.error(request, str(error))
                return redirect(post)
            if was != post.status:
                messages.warning(
                    request, "Saved. The post changed, so it's a draft again: ask for a review."
                )
            else:
                messages.success(request, "Draft saved.")
            return redirect(post)
        post.refresh_from_db()
        return _composer(
            request,
            form=form,
            post=post,
            checked=_checked_from_form(form, request.user),
            status=200 if valid else 400,
        )
    return _composer(request, form=form, post=post)


@login_required
@require_POST
def preview(request):
    """The preview and checks as an HTML fragment, for studio.js to swap in as the learner types."""
    data = request.POST
    link = data.get("link_url", "").strip()[:500]
    try:
        HTTP_URL(link)
    except ValidationError:
        link = ""  # not a link yet: no card until it is one (the form says why on save)
    checked = studio.check_draft(
        author=request.user,
        network_slug=data.get("network", networks.DEFAULT),
        text=data.get("text", "")[: studio.MAX_POST_CHARS],
        link_url=link,
        link_title=data.get("link_title", "")[:200],
        link_description=data.get("link_description", "")[:300],
        has_image=bool(data.get("has_image")),
        image_alt=data.get("image_alt", "")[:1000],
    )
    return render(
        request,
        f"{COMPOSER}#preview",
        {"checked": checked, "preview": checked.preview, "findings": checked.findings},
    )


@login_required
@require_POST
def request_review(request, post_id: int):
    post = _own_post(request, post_id)
    form = ReviewRequestForm(request.POST, learner=request.user)
    if not form.is_valid():
        # The form's own words (none chosen, both, an address nobody in reach has).
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(post)
    try:
        studio.request_review(post=post, reviewer=form.cleaned_data["reviewer"])
    except studio.StudioError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Sent to {form.cleaned_data['reviewer'].name} for review.")
    return redirect(post)


@login_required
@require_POST
def log_published(request, post_id: int):
    """The learner published the approved post on the network: record its public URL."""
    post = _own_post(request, post_id)
    form = PublishedForm(request.POST, learner=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            studio.log_evidence(
                learner=request.user,
                url=data["url"],
                network=post.network,
                published_on=data["published_on"],
                note=data["note"],
                post=post,
                on_portfolio=data["on_portfolio"],
            )
        except studio.StudioError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Logged as published. It counts toward your goals.")
            return redirect(post)
    return _composer(
        request,
        form=PracticePostForm(learner=request.user, instance=post),
        post=post,
        published_form=form,
        status=400,
    )


@login_required
def review_queue(request):
    waiting = studio.posts_waiting_for_review(request.user)
    page = CappedCountPaginator(waiting, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "practice/studio_reviews.html", {"page": page})


@login_required
def review_post(request, post_id: int):
    post = get_object_or_404(
        studio.posts_to_review(request.user).select_related("learner"), pk=post_id
    )
    form = None
    if post.status == PracticePost.Status.IN_REVIEW:
        form = PostReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                studio.review_post(
                    reviewer=request.user,
                    post=post,
                    outcome=form.cleaned_data["outcome"],
                    comment=form.cleaned_data["comment"],
                )
            except studio.StudioError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Review sent to {post.learner.name}.")
                return redirect("practice:studio_reviews")
    elif request.method == "POST":
        messages.error(request, "This post is not waiting for your review.")
        return redirect("practice:studio_review", post.pk)
    checked = studio.check_post(post)
    return render(
        request,
        "practice/studio_review.html",
        {
            "post": post,
            "form": form,
            "checked": checked,
            "preview": checked.preview,
            "findings": checked.findings,
            "reviews": list(post.reviews.select_related("reviewer")),
        },
        status=400 if form is not None and form.errors else 200,
    )
