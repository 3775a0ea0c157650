"""The message ledger: every email the system sends (allauth's account emails too), and the
addresses that unsubscribed from a kind of email or from all of them.

The models moved here from `progress` and keep its table names (`progress_*`): the move changed
where the code lives, not a row of data.
"""

from django.conf import settings
from django.db import models


class Message(models.Model):
    """The ledger of every email the system sends (allauth's too, under the kind "account").

    The unique `key` is the idempotency key: a message is claimed by inserting its row, so a
    retried or duplicated task finds the row and sends nothing twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, db_index=True)
    # What a nudge is about ("due-soon:<assignment>"): each topic is sent once, while the key
    # ("nudge:<user>:<local date>") keeps nudges to one a day.
    topic = models.CharField(max_length=120, blank=True, db_index=True)
    # Set when a batch claims rows in one statement, to find the rows that batch owns.
    claim_token = models.CharField(max_length=32, blank=True, db_index=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "progress_message"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"


class EmailOptOut(models.Model):
    """An address that unsubscribed from one kind of email, or from all of them ("all")."""

    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "progress_emailoptout"
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="opt_out_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} unsubscribed from {self.kind}"


class Notice(models.Model):
    """One line of a person's in-app notifications: the same events the transactional emails
    report (a track assigned, work waiting for review, work reviewed, a certificate, a new
    policy version), whether or not the email was wanted. The unique `key` keeps an event to
    one notice, however often it is recorded."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} (to {self.recipient_id})"


class Announcement(models.Model):
    """A fan-out still to make (a track assigned to a team, a policy version to everyone in an
    organisation), recorded in the transaction of the change it announces: the outbox. The
    worker runs it once the change commits and marks it done; one the broker never took, or
    a worker dropped, is run again by the hourly dispatcher. Whoever it tells is told once,
    under each message's ledger key."""

    kind = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["done_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({'done' if self.done_at else 'to do'})"
