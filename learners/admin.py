from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from audit import services as audit

from . import services
from .models import (
    Invitation,
    Membership,
    Organisation,
    Preferences,
    Team,
    TrackAssignment,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "timezone"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "display_name", "password1", "password2"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if changed := {"is_active", "is_staff", "is_superuser"} & set(form.changed_data):
            audit.record(
                kind=audit.Kind.ACCOUNT_ROLE_CHANGED,
                actor=request.user,
                subject=obj,
                details={name: getattr(obj, name) for name in sorted(changed)},
            )
        if change and {"is_active", "is_staff"} & set(form.changed_data):
            # Deactivated, or no longer staff (who review anyone): they may review fewer people.
            services.review_rights_changed(user_ids={obj.pk})


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0


def _organisation_people(organisation_ids) -> set[int]:
    """Its named reviewers and the people of its teams: whose reviewers it decides."""
    reviewers = Organisation.reviewers.through.objects.filter(organisation_id__in=organisation_ids)
    members = Membership.objects.filter(team__organisation_id__in=organisation_ids)
    return set(reviewers.values_list("user_id", flat=True)) | set(
        members.values_list("user_id", flat=True)
    )


def _record_reviewers(request, organisation: Organisation, before: set[int]) -> None:
    """An audit entry for each person named a reviewer, or no longer one."""
    after = set(organisation.reviewers.values_list("pk", flat=True))
    for person in User.objects.filter(pk__in=before ^ after).order_by("pk"):
        audit.record(
            kind=audit.Kind.REVIEWER_ADDED if person.pk in after else audit.Kind.REVIEWER_REMOVED,
            actor=request.user,
            subject=person,
            organisation=organisation,
        )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Its named reviewers, whether it allows peer review and its teams decide who reviews its
    learners (selectors.review_route): every change names the people concerned, before and
    after it (services.review_rights_changed), so a reviewer who lost the right is let go."""

    list_display = [
        "name",
        "slug",
        "allow_peer_review",
        "password_accounts_need_second_factor",
        "created_at",
    ]
    list_filter = ["password_accounts_need_second_factor"]
    search_fields = ["name", "slug"]
    fieldsets = [
        (None, {"fields": ["name", "slug"]}),
        ("Reviews", {"fields": ["allow_peer_review", "reviewers"]}),
        ("Signing in", {"fields": ["password_accounts_need_second_factor"]}),
    ]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["reviewers"]
    inlines = [TeamInline]

    def save_related(self, request, form, formsets, change):
        before = _organisation_people([form.instance.pk]) if change else set()
        reviewers_before = set(form.instance.reviewers.values_list("pk", flat=True))
        super().save_related(request, form, formsets, change)
        services.review_rights_changed(user_ids=before | _organisation_people([form.instance.pk]))
        _record_reviewers(request, form.instance, reviewers_before)

    def delete_model(self, request, obj):
        people = _organisation_people([obj.pk])
        super().delete_model(request, obj)
        services.review_rights_changed(user_ids=people)

    def delete_queryset(self, request, queryset):
        people = _organisation_people(queryset.values("pk"))
        super().delete_queryset(request, queryset)
        services.review_rights_changed(user_ids=people)


# Memberships and assignments decide which of a learner's enrolments are assigned and when they
# are due, which the progress app stores per enrolment for its team pages: every change made here
# names the learners it touched, before and after the change (services.teams_changed).


def _team_learner_ids(team_ids) -> set[int]:
    return set(
        Membership.objects.filter(team_id__in=team_ids, role=Membership.Role.LEARNER).values_list(
            "user_id", flat=True
        )
    )


def _assignment_learner_ids(assignments) -> set[int]:
    ids = {a.learner_id for a in assignments if a.learner_id}
    return ids | _team_learner_ids({a.team_id for a in assignments if a.team_id})


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


def _record_memberships(request, formset) -> None:
    for kind, memberships in (
        (audit.Kind.MEMBERSHIP_ADDED, formset.new_objects),
        (audit.Kind.MEMBERSHIP_CHANGED, [obj for obj, _ in formset.changed_objects]),
        (audit.Kind.MEMBERSHIP_REMOVED, formset.deleted_objects),
    ):
        for membership in memberships:
            services.record_membership(kind=kind, membership=membership, by=request.user)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "organisation__name"]
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        before = _team_learner_ids([form.instance.pk]) if form.instance.pk else set()
        super().save_formset(request, form, formset, change)
        if formset.model is Membership:
            _record_memberships(request, formset)
            services.teams_changed(
                learner_ids=before | _team_learner_ids([form.instance.pk]),
                joined=formset.new_objects + [obj for obj, _ in formset.changed_objects],
            )

    def delete_model(self, request, obj):
        learners = _team_learner_ids([obj.pk])
        super().delete_model(request, obj)
        services.teams_changed(learner_ids=learners)

    def delete_queryset(self, request, queryset):
        learners = _team_learner_ids(queryset.values("pk"))
        super().delete_queryset(request, queryset)
        services.teams_changed(learner_ids=learners)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team__organisation"]
    search_fields = ["user__email", "user__display_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team__organisation"]

    def save_model(self, request, obj, form, change):
        before = list(Membership.objects.filter(pk=obj.pk).values_list("user_id", "team_id"))
        super().save_model(request, obj, form, change)
        kind = audit.Kind.MEMBERSHIP_CHANGED if change else audit.Kind.MEMBERSHIP_ADDED
        services.record_membership(kind=kind, membership=obj, by=request.user)
        services.teams_changed(
            learner_ids={user_id for user_id, _ in before} | {obj.user_id},
            joined=[obj],
            # A new manager takes over reviewing from the organisation's named reviewers.
            team_ids={team_id for _, team_id in before} | {obj.team_id},
        )

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.record_membership(
            kind=audit.Kind.MEMBERSHIP_REMOVED, membership=obj, by=request.user
        )
        services.teams_changed(learner_ids={obj.user_id})

    def delete_queryset(self, request, queryset):
        learners = set(queryset.values_list("user_id", flat=True))
        removed = list(queryset.select_related("user", "team__organisation"))
        super().delete_queryset(request, queryset)
        for membership in removed:
            services.record_membership(
                kind=audit.Kind.MEMBERSHIP_REMOVED, membership=membership, by=request.user
            )
        services.teams_changed(learner_ids=learners)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "team", "invited_by", "created_at", "send_count", "status"]
    list_filter = ["team__organisation", "team"]
    search_fields = ["email", "name", "team__name"]
    list_select_related = ["team__organisation", "invited_by"]
    readonly_fields = ["created_at", "sent_at", "send_count", "accepted_at", "accepted_by"]
    autocomplete_fields = ["team", "invited_by"]


@admin.register(TrackAssignment)
class TrackAssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "track",
        "team",
        "learner",
        "due_date",
        "assigned_by",
        "created_at",
        "cancelled_at",
    ]
    list_filter = ["track", "team__organisation"]
    search_fields = ["track__title", "team__name", "learner__email", "learner__display_name"]
    list_select_related = ["track", "team", "learner", "assigned_by"]
    autocomplete_fields = ["team", "learner", "assigned_by"]
    date_hierarchy = "created_at"

    def save_model(self, request, obj, form, change):
        before = _assignment_learner_ids(TrackAssignment.objects.filter(pk=obj.pk))
        super().save_model(request, obj, form, change)
        kind = audit.Kind.ASSIGNMENT_CHANGED if change else audit.Kind.TRACK_ASSIGNED
        services.record_assignment(kind=kind, assignment=obj, by=request.user)
        services.teams_changed(learner_ids=before | _assignment_learner_ids([obj]))

    def delete_model(self, request, obj):
        learners = _assignment_learner_ids([obj])
        super().delete_model(request, obj)
        services.record_assignment(
            kind=audit.Kind.ASSIGNMENT_CANCELLED, assignment=obj, by=request.user
        )
        services.teams_changed(learner_ids=learners)

    def delete_queryset(self, request, queryset):
        removed = list(queryset.select_related("track", "team__organisation", "learner"))
        learners = _assignment_learner_ids(removed)
        super().delete_queryset(request, queryset)
        for assignment in removed:
            services.record_assignment(
                kind=audit.Kind.ASSIGNMENT_CANCELLED, assignment=assignment, by=request.user
            )
        services.teams_changed(learner_ids=learners)


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "digest_enabled",
        "digest_weekday",
        "digest_hour",
        "manager_digest_enabled",
    ]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


# allauth.mfa's own admin edits an authenticator's data, which holds its secret. Here staff see
# who has which second factor and can remove one (a lost phone, no recovery codes left), so
# the person sets up a new one; they never read or write a secret.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user"]
    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        self._record_removal(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        self._record_removal(request, queryset.select_related("user"))
        super().delete_queryset(request, queryset)

    def _record_removal(self, request, authenticators) -> None:
        for authenticator in authenticators:
            audit.record(
                kind=audit.Kind.SECOND_FACTOR_REMOVED,
                actor=request.user,
                subject=authenticator.user,
                target=authenticator.type,
                request=request,
            )
