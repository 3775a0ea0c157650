"""The reporting API's tokens: one organisation each, kept as a SHA-256 digest, with an expiry.

The API's data is other apps' (people, teams, records): this app owns only who may read it."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A bearer token for one organisation's reporting client. Only its SHA-256 is kept: the
    token is shown once, when it is created. It stops working when it expires or is revoked."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=80, help_text="Who uses it, e.g. “Data warehouse”. Shown in the audit log."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=8, editable=False, help_text="The token's first characters, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"
        ordering = ["organisation__name", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} — {self.organisation} ({self.status})"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "live"
