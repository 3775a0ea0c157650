"""The audit log: who did what and when, for the events an organisation must be able to account
for (sign-ins, roles, assignments, reviews, grants, publications, exports, deletions).

An entry is written once and never changed by the application: `save` refuses an existing row
and the admin only views. Two writers may touch rows afterwards: the retention purge
(services.purge_expired) and account deletion (services.forget_person), which replaces a
deleted person's address and name as everywhere else.

People and organisations are foreign keys (SET_NULL) *and* text copied at the time, so an
entry still says who and where after either is deleted. `target` and `details` name things
(a track, a team, an outcome), never people: people are only in the actor and subject fields,
which is what lets account deletion find them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    class Kind(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SIGN_IN_SSO = "sign_in_sso", "Signed in with single sign-on"
        SECOND_FACTOR_ADDED = "second_factor_added", "Two-step sign-in: method added"
        SECOND_FACTOR_REMOVED = "second_factor_removed", "Two-step sign-in: method removed"
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "Two-step sign-in: new recovery codes"
        SECOND_FACTOR_FAILED = "second_factor_failed", "Two-step sign-in: code refused"
        MEMBERSHIP_ADDED = "membership_added", "Joined a team"
        MEMBERSHIP_CHANGED = "membership_changed", "Role in a team changed"
        MEMBERSHIP_REMOVED = "membership_removed", "Left a team"
        ACCOUNT_ROLE_CHANGED = "account_role_changed", "Staff or active status changed"
        REVIEWER_ADDED = "reviewer_added", "Named a reviewer for the organisation"
        REVIEWER_REMOVED = "reviewer_removed", "No longer a reviewer for the organisation"
        POLICY_OWNER_ADDED = "policy_owner_added", "Made a policy owner"
        POLICY_OWNER_REMOVED = "policy_owner_removed", "No longer a policy owner"
        SSO_CONFIGURED = "sso_configured", "Single sign-on configuration changed"
        SCIM_TOKEN_CREATED = "scim_token_created", "SCIM token created"
        SCIM_TOKEN_REVOKED = "scim_token_revoked", "SCIM token revoked"
        API_TOKEN_CREATED = "api_token_created", "Reporting API token created"
        API_TOKEN_REVOKED = "api_token_revoked", "Reporting API token revoked"
        ACCOUNT_PROVISIONED = "account_provisioned", "Account created by the identity provider"
        ACCOUNT_PROVISIONING_UPDATED = (
            "account_provisioning_updated",
            "Account updated by the identity provider",
        )
        ACCOUNT_DEACTIVATED = "account_deactivated", "Account deactivated by the identity provider"
        ACCOUNT_REACTIVATED = "account_reactivated", "Account reactivated by the identity provider"
        TEAM_PROVISIONED = "team_provisioned", "Team created by the identity provider"
        TEAM_PROVISIONING_UPDATED = (
            "team_provisioning_updated",
            "Team renamed by the identity provider",
        )
        TEAM_DEPROVISIONED = "team_deprovisioned", "Team deleted by the identity provider"
        TRACK_ASSIGNED = "track_assigned", "Track assigned"
        ASSIGNMENT_CHANGED = "assignment_changed", "Assignment's due date changed"
        ASSIGNMENT_CANCELLED = "assignment_cancelled", "Assignment cancelled"
        SUBMISSION_REVIEWED = "submission_reviewed", "Practice work reviewed"
        POST_REVIEWED = "post_reviewed", "Practice post reviewed"
        EXTRA_ATTEMPT_GRANTED = "extra_attempt_granted", "Extra quiz attempt granted"
        POLICY_PUBLISHED = "policy_published", "Policy version published"
        CONTENT_PUBLISHED = "content_published", "Content published"
        CONTENT_UNPUBLISHED = "content_unpublished", "Content unpublished"
        CONTENT_ARCHIVED = "content_archived", "Content archived"
        CONTENT_RESTORED = "content_restored", "Content restored from the archive"
        CONTENT_IMPORTED = "content_imported", "Content imported"
        CERTIFICATE_REVOKED = "certificate_revoked", "Certificate revoked"
        CERTIFICATE_REINSTATED = "certificate_reinstated", "Certificate reinstated"
        DATA_EXPORTED = "data_exported", "Data exported"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"

    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries_made",
    )
    actor_email = models.EmailField(max_length=254, blank=True)
    actor_name = models.CharField(max_length=80, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries_about",
    )
    subject_email = models.EmailField(max_length=254, blank=True)
    subject_name = models.CharField(max_length=80, blank=True)
    organisation = models.ForeignKey(
        "learners.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    organisation_name = models.CharField(max_length=120, blank=True)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-occurred_at", "-pk"]
        # Each in the log's full order, the id breaking ties: entries written together share a
        # moment (50,000 sign-ins of one batch), and an index on the moment alone had the
        # database sort every entry of the newest moment for a page of 50 (19 ms at 200,000).
        indexes = [
            # Staff's page, and the purge of old entries.
            models.Index(fields=["-occurred_at", "-id"], name="audit_entry_newest_idx"),
            # A policy owner's page: their organisations' entries, newest first.
            models.Index(
                fields=["organisation", "-occurred_at", "-id"], name="audit_entry_org_idx"
            ),
            models.Index(fields=["kind", "-occurred_at", "-id"], name="audit_entry_kind_idx"),
        ]

    def __str__(self) -> str:
        who = self.actor_email or "someone"
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {who}: {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit entries are append-only: an entry can't be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only: only the retention purge removes them.")
