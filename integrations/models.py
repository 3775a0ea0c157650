"""What Socialcraft tells an organisation's own systems, each through an outbox (one row per
message and destination, written with the change that caused it, sent by the worker after
commit, retried with backoff: integrations/outbox.py):

- webhooks: an organisation's endpoints, the events each wants, and the delivery log. Signed
  as Standard Webhooks say (https://www.standardwebhooks.com/): integrations/delivery.py.
- xAPI: an organisation's learning record stores and the statements sent to them
  (integrations/xapi.py, docs/xapi.md)."""

import base64
import secrets
import uuid

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


class Outbox(models.Model):
    """One message to one destination and how sending it went (integrations/outbox.py sends
    it). A concrete outbox names its `destination` (something with an `active` flag)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after every retry"

    occurred_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class WebhookDelivery(Outbox):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The same event always has the same id (webhook-id): a receiver that got it once can
    # drop a retry.
    message_id = models.CharField(max_length=40)
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhook_once"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.get_state_display()})"

    @property
    def destination(self) -> WebhookEndpoint:
        return self.endpoint


class LearningRecordStore(models.Model):
    """An organisation's xAPI learning record store: where its people's statements go
    (docs/xapi.md). The key and secret are the LRS's HTTP Basic credentials."""

    organisation = models.ForeignKey(
        "learners.Organisation", on_delete=models.CASCADE, related_name="learning_record_stores"
    )
    name = models.CharField(max_length=120, help_text="Which LRS this is, for the admin.")
    endpoint = models.URLField(
        max_length=500,
        help_text="The LRS's xAPI endpoint, e.g. https://lrs.example.com/xAPI/ (statements are "
        "sent to its statements resource).",
    )
    key = models.CharField(max_length=200, help_text="The HTTP Basic username the LRS gave you.")
    secret = models.CharField(max_length=200, help_text="The HTTP Basic password the LRS gave you.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = "learning record store (xAPI)"
        verbose_name_plural = "learning record stores (xAPI)"

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class StatementDelivery(Outbox):
    """One xAPI statement to one learning record store. The statement id is derived from the
    event (integrations/xapi.py), so a retry or a second emission sends the same statement."""

    store = models.ForeignKey(
        LearningRecordStore, on_delete=models.CASCADE, related_name="deliveries"
    )
    statement_id = models.UUIDField()
    verb = models.CharField(max_length=20)  # the verb's last word, for the log's filter
    statement = models.JSONField()

    class Meta:
        verbose_name = "xAPI statement delivery"
        verbose_name_plural = "xAPI statement deliveries"
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["store", "statement_id"], name="statement_once"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.verb} {self.statement_id} → {self.store.name} ({self.get_state_display()})"

    @property
    def destination(self) -> LearningRecordStore:
        return self.store


class XapiAccount(models.Model):
    """The opaque name a person has in xAPI statements (the actor's account name): random,
    stored, so it never changes and says nothing about who they are."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    def __str__(self) -> str:
        return str(self.name)


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
