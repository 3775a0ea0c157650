from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import Invitation, Membership, Organisation, Preferences, Team, TrackAssignment, User


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


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "organisation__name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "joined_at"]
    list_filter = ["role", "team__organisation"]
    search_fields = ["user__email", "user__display_name", "team__name"]
    autocomplete_fields = ["user", "team"]
    list_select_related = ["user", "team__organisation"]


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
