"""Webhooks: an organisation's endpoints, the events each wants, and the delivery log (an
outbox: one row per event and endpoint, written with the change that caused it, sent by the
worker after commit, retried with backoff). Signed as Standard Webhooks say
(https://www.standardwebhooks.com/): integrations/delivery.py."""

import base64
import secrets

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    CERTIFICATE_ISSUED = "certificate.issued", "A certificate was issued"
    TRACK_COMPLETED = "track.completed", "A track was completed"
    SUBMISSION_REVIEWED = "submission.reviewed", "Practice work was reviewed"
    ASSIGNMENT_OVERDUE = "assignment.overdue", "An assigned track is past its due date"
    CLEARANCE_CHANGED = "clearance.changed", "Someone gained or lost a clearance level"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(
        "URL", max_length=500, help_text="Where the events are POSTed (https in production)."
    )
    description = models.CharField(max_length=120, blank=True)
    events = models.JSONField(
        default=list, help_text="The events this endpoint receives (Event's values)."
    )
    secret = models.CharField(
        max_length=80,
        default=new_secret,
        editable=False,
        help_text="The signing secret the receiver verifies with (Standard Webhooks, whsec_…).",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name", "url"]

    def __str__(self) -> str:
        return f"{self.url} ({self.organisation})"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after every retry"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The same event always has the same id (webhook-id): a receiver that got it once can
    # drop a retry.
    message_id = models.CharField(max_length=40)
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()
    occurred_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhook_once"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.get_state_display()})"


class ClearanceWatch(models.Model):
    """The clearance levels each person was last announced to hold, per organisation that
    listens for `clearance.changed` (events.announce_clearance_changes compares with it).
    `ClearanceWatch` rows with `level` null mark the organisation's first, silent reading."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    level = models.ForeignKey(
        "governance.ClearanceLevel", on_delete=models.CASCADE, null=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "level", "user"], name="clearance_watch_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} holds {self.level_id} ({self.organisation_id})"
