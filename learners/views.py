from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render

from courses.models import Role

from . import selectors, services
from .forms import (
    DeleteAccountForm,
    PreferencesForm,
    ProfileForm,
    RoleChoiceForm,
    SelfAssessmentForm,
)
from .models import Placement, Preferences


@login_required
def profile(request):
    """Name, time zone and what to receive; two forms saved together."""
    preferences, _ = Preferences.objects.get_or_create(user=request.user)
    profile_form = ProfileForm(request.POST or None, instance=request.user, prefix="profile")
    preferences_form = PreferencesForm(
        request.POST or None,
        instance=preferences,
        prefix="prefs",
        is_manager=selectors.is_a_manager(request.user),
    )
    if request.method == "POST" and profile_form.is_valid() and preferences_form.is_valid():
        with transaction.atomic():  # both forms or neither
            profile_form.save()
            services.save_preferences(user=request.user, form=preferences_form)
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(
        request,
        "learners/profile_form.html",
        {"form": profile_form, "preferences_form": preferences_form},
        status=400 if request.method == "POST" else 200,
    )


def _roles_with_tracks():
    return Role.objects.filter(
        tracks__is_published=True, tracks__archived_at__isnull=True
    ).distinct()


@login_required
def placement(request):
    """Step 1: pick a role. Step 2 (?role=slug): rate yourself on the role's modules."""
    roles = _roles_with_tracks()
    existing = Placement.objects.filter(user=request.user).select_related("role").first()
    role_form = RoleChoiceForm(
        request.GET if "role" in request.GET else None,
        roles=roles,
        initial={"role": existing.role.slug if existing else None},
    )
    if not role_form.is_bound or not role_form.is_valid():
        return render(
            request,
            "learners/placement_role.html",
            {"form": role_form, "existing": existing},
            status=400 if role_form.is_bound else 200,
        )
    role = role_form.cleaned_data["role"]
    track = selectors.placement_track(role)
    modules = selectors.placement_modules(track)
    form = SelfAssessmentForm(
        request.POST or None,
        modules=modules,
        initial_levels=existing.answers if existing and existing.role_id == role.pk else None,
    )
    if request.method == "POST" and form.is_valid():
        services.save_placement(user=request.user, role=role, ratings=form.ratings())
        return redirect("placement_result")
    return render(
        request,
        "learners/placement_assessment.html",
        {"form": form, "role": role, "track": track},
        status=400 if form.errors else 200,
    )


@login_required
def placement_result(request):
    existing = (
        Placement.objects.filter(user=request.user)
        .select_related("role", "recommended_track")
        .first()
    )
    if existing is None:
        return redirect("placement")
    skim = list(existing.skim_modules.order_by("position"))
    return render(
        request, "learners/placement_result.html", {"placement": existing, "skim_modules": skim}
    )


@login_required
def delete_account(request):
    """Confirm with the password, then anonymise the account and sign out (POST only acts)."""
    from allauth.core import ratelimit
    from django.contrib.auth import logout

    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        # The password check is a guessing oracle for a stolen session: rate-limit it.
        if not ratelimit.consume(request, action="reauthenticate", user=request.user):
            form.add_error(None, "Too many attempts. Please wait a minute and try again.")
        elif form.is_valid():
            services.delete_account(user=request.user)
            logout(request)
            messages.success(request, "Your account and your personal data have been deleted.")
            return redirect("courses:catalogue")
    return render(
        request,
        "learners/profile_delete.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
