"""The growth journal, evidence, portfolio settings, the public portfolio and the team's growth."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from learners.decorators import manager_required

from . import journal, studio
from .forms import EvidenceForm, GoalForm, GrowthProfileForm, PortfolioForm, SnapshotForm
from .models import Evidence, GrowthProfile

EVIDENCE_PAGE = 200  # the evidence list shows this many, newest first


def _journal(request, *, profile_form=None, snapshot_form=None, status=200):
    learner = request.user
    page = journal.journal_page(learner)
    return render(
        request,
        "practice/journal.html",
        {
            "page": page,
            "chart": page.chart,
            "profile_form": profile_form or GrowthProfileForm(),
            "snapshot_form": snapshot_form
            or SnapshotForm(
                learner=learner, profiles=page.profiles, initial={"taken_on": page.today}
            ),
            "portfolio": journal.portfolio_for(learner),
        },
        status=status,
    )


@login_required
def journal_home(request):
    return _journal(request)


@login_required
@require_POST
def add_profile(request):
    form = GrowthProfileForm(request.POST)
    if not form.is_valid():
        return _journal(request, profile_form=form, status=400)
    data = form.cleaned_data
    try:
        journal.add_profile(
            learner=request.user,
            network=data["network"],
            handle=data["handle"],
            weekly_post_goal=data["weekly_post_goal"],
        )
    except journal.JournalError as error:
        form.add_error(None, str(error))
        return _journal(request, profile_form=form, status=400)
    messages.success(request, f"Now tracking {data['handle']}.")
    return redirect("practice:journal")


@login_required
@require_POST
def change_profile(request, profile_id: int):
    profile = get_object_or_404(GrowthProfile, pk=profile_id, learner=request.user)
    if request.POST.get("action") == "delete":
        profile.delete()
        messages.success(request, f"Stopped tracking {profile.handle}; its snapshots are gone.")
        return redirect("practice:journal")
    form = GoalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A goal is a whole number of posts a week, from 1 to 21.")
        return redirect("practice:journal")
    journal.set_goal(profile=profile, weekly_post_goal=form.cleaned_data["weekly_post_goal"])
    messages.success(request, "Goal saved.")
    return redirect("practice:journal")


@login_required
@require_POST
def add_snapshot(request):
    form = SnapshotForm(request.POST, learner=request.user)
    if not form.is_valid():
        return _journal(request, snapshot_form=form, status=400)
    data = form.cleaned_data
    try:
        journal.record_snapshot(
            learner=request.user,
            profile=data["profile"],
            taken_on=data["taken_on"],
            followers=data["followers"],
            posts_published=data["posts_published"],
            engagement=data["engagement"],
            note=data["note"],
        )
    except journal.JournalError as error:
        form.add_error(None, str(error))
        return _journal(request, snapshot_form=form, status=400)
    messages.success(request, "Numbers recorded.")
    return redirect("practice:journal")


@login_required
def evidence(request):
    learner = request.user
    form = EvidenceForm(
        request.POST or None,
        learner=learner,
        initial={"published_on": studio.learner_today(learner)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            studio.log_evidence(
                learner=learner,
                url=data["url"],
                network=data["network"],
                published_on=data["published_on"],
                note=data["note"],
                post=data["post"],
                assignment=data["assignment"],
                on_portfolio=data["on_portfolio"],
            )
        except studio.StudioError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Evidence logged.")
            return redirect("practice:journal_evidence")
    items = list(
        Evidence.objects.filter(learner=learner).select_related("post", "assignment")[
            :EVIDENCE_PAGE
        ]
    )
    return render(
        request,
        "practice/journal_evidence.html",
        {"form": form, "items": items},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def change_evidence(request, evidence_id: int):
    item = get_object_or_404(Evidence, pk=evidence_id, learner=request.user)
    action = request.POST.get("action")
    if action == "delete":
        item.delete()
        messages.success(request, "Evidence removed.")
    elif action in {"show", "hide"}:
        Evidence.objects.filter(pk=item.pk).update(on_portfolio=action == "show")
        messages.success(
            request,
            "Shown on your portfolio." if action == "show" else "Hidden from your portfolio.",
        )
    return redirect("practice:journal_evidence")


@login_required
def portfolio_settings(request):
    portfolio = journal.portfolio_for(request.user)
    form = PortfolioForm(request.POST or None, instance=portfolio)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            "Your portfolio is public."
            if form.instance.is_public
            else "Your portfolio is private.",
        )
        return redirect("practice:journal_portfolio")
    return render(
        request,
        "practice/journal_portfolio.html",
        {"form": form, "portfolio": portfolio},
        status=400 if form.errors else 200,
    )


@never_cache  # switching the portfolio off must hide it at once, caches included
def portfolio(request, handle: str):
    found = journal.public_portfolio(handle)
    if found is None:
        raise Http404("No public portfolio here")
    return render(request, "practice/portfolio.html", {"page": journal.portfolio_page(found)})


@manager_required
def team_growth(request):
    growth = journal.team_growth(request.user, page=request.GET.get("page"))
    return render(request, "practice/team_growth.html", {"growth": growth, "page": growth.page})
