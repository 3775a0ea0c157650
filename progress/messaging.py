"""The message service: every email the system sends (allauth's account emails aside) goes here.

send_message() renders a template pair, claims the message's idempotency key in the ledger
(progress.Message, unique key), sends it, and marks it sent: two writes per message. A key that
was already sent, or that another worker claimed moments ago, sends nothing. A failed send is
recorded as failed (never as sent) and re-raised so the caller's retry takes it up again.

The window no design closes: the mail server accepts a message and the process dies before the
ledger marks it sent. The claim then goes stale and a later run sends again; every message
carries a Message-ID derived from its key, so that resend is recognisably the same message.
"""

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from learners.models import User

from .models import Message

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a dead worker and may be taken up again. It is
# far longer than one send (SMTP timeout 10 s) so a slow but live worker is never doubled.
CLAIM_TIMEOUT = timedelta(minutes=15)
UNSUBSCRIBE_SALT = "progress.unsubscribe"
ALL_KINDS = "all"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token(*, email: str, kind: str) -> str:
    return signing.dumps({"email": email.lower(), "kind": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> dict:
    """Raises signing.BadSignature for a tampered or foreign token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not {"email", "kind"} <= set(data):
        raise signing.BadSignature("incomplete unsubscribe token")
    return data


def unsubscribe_url(*, email: str, kind: str) -> str:
    return absolute(
        reverse("progress:unsubscribe", args=[unsubscribe_token(email=email, kind=kind)])
    )


def message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    domain = urlsplit(settings.SITE_URL).hostname or "socialcraft.localhost"
    return f"<{digest}@{domain}>"


def render(kind: str, context: dict) -> Rendered:
    base = f"emails/{kind}"
    subject = render_to_string(f"{base}/subject.txt", context).strip().splitlines()[0]
    return Rendered(
        subject=subject[:200],
        text=render_to_string(f"{base}/body.txt", context),
        html=render_to_string(f"{base}/body.html", context),
    )


def build_context(*, kind: str, to_email: str, recipient: User | None, context: dict) -> dict:
    return {
        **context,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL.rstrip("/"),
        "recipient": recipient,
        "unsubscribe_url": unsubscribe_url(email=to_email, kind=kind),
        "unsubscribe_all_url": unsubscribe_url(email=to_email, kind=ALL_KINDS),
    }


def claim(
    *, key: str, kind: str, to_email: str, recipient: User | None, rendered: Rendered, now=None
) -> Message | None:
    """Insert the ledger row for `key`, or retake a failed or stale one. None: nothing to do."""
    now = now or timezone.now()
    fields = {
        "kind": kind,
        "to_email": to_email,
        "recipient": recipient,
        "subject": rendered.subject,
        "body_text": rendered.text,
        "body_html": rendered.html,
    }
    try:
        with transaction.atomic():
            return Message.objects.create(
                key=key, status=Message.Status.PENDING, claimed_at=now, attempts=1, **fields
            )
    except IntegrityError:
        pass
    retaken = (
        Message.objects.filter(key=key)
        .filter(
            Q(status=Message.Status.FAILED)
            | Q(status=Message.Status.PENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
        )
        .update(status=Message.Status.PENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return Message.objects.get(key=key) if retaken else None


@dataclass(frozen=True)
class Outgoing:
    key: str
    kind: str
    to_email: str
    recipient_id: int | None
    rendered: Rendered
    topic: str = ""


def claim_many(outgoing: list[Outgoing], *, now=None) -> list[Message]:
    """Claim a batch of keys in one INSERT; returns only the rows this call claimed.

    Keys that exist already (sent, or claimed by another run) are left alone; a unique token
    finds our rows afterwards. Two statements for the whole batch.
    """
    if not outgoing:
        return []
    now = now or timezone.now()
    token = uuid.uuid4().hex
    Message.objects.bulk_create(
        [
            Message(
                key=item.key,
                kind=item.kind,
                topic=item.topic,
                to_email=item.to_email,
                recipient_id=item.recipient_id,
                subject=item.rendered.subject,
                body_text=item.rendered.text,
                body_html=item.rendered.html,
                status=Message.Status.PENDING,
                claimed_at=now,
                claim_token=token,
                attempts=1,
            )
            for item in outgoing
        ],
        ignore_conflicts=True,
    )
    return list(Message.objects.filter(claim_token=token).order_by("pk"))


def retake(message_ids: list[int], *, now=None) -> list[Message]:
    """Re-claim failed or stale messages (their stored bodies are sent as they were)."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    Message.objects.filter(pk__in=message_ids).filter(
        Q(status=Message.Status.FAILED)
        | Q(status=Message.Status.PENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    ).update(
        claimed_at=now, claim_token=token, status=Message.Status.PENDING, attempts=F("attempts") + 1
    )
    return list(Message.objects.filter(claim_token=token).order_by("pk"))


def deliver_all(messages: list[Message]) -> tuple[int, int]:
    """Send claimed messages one by one, each marked sent right after it goes out.

    A failure is recorded and the batch goes on; returns (sent, failed).
    """
    sent = failed = 0
    for message in messages:
        try:
            deliver(message)
        except Exception:
            failed += 1
        else:
            sent += 1
    return sent, failed


def deliver(message: Message) -> None:
    """Send a claimed message and mark it sent; on failure mark it failed and re-raise."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={
            "Message-ID": message_id(message.key),
            "List-Unsubscribe": (
                f"<{unsubscribe_url(email=message.to_email, kind=message.kind)}>, "
                f"<mailto:{unsubscribe_mailbox()}?subject=unsubscribe>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(message.body_html, "text/html")
    try:
        email.send()
    except Exception as error:
        message.status, message.error = (
            Message.Status.FAILED,
            f"{type(error).__name__}: {error}"[:2000],
        )
        Message.objects.filter(pk=message.pk).update(status=message.status, error=message.error)
        logger.warning("Sending %s failed: %s", message.key, error)
        raise
    message.status, message.sent_at, message.error = Message.Status.SENT, timezone.now(), ""
    Message.objects.filter(pk=message.pk).update(
        status=message.status, sent_at=message.sent_at, error=""
    )


def unsubscribe_mailbox() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "socialcraft.localhost"
    return f"unsubscribe@{domain}"


def send_message(
    *,
    key: str,
    kind: str,
    to_email: str,
    context: dict,
    recipient: User | None = None,
    retry_later: bool = False,
) -> Message | None:
    """Render, claim, send and record one email. Returns None when the key needs no sending
    (already sent, being sent, or the address unsubscribed from this kind).

    A failed send is recorded as failed and re-raised, unless `retry_later` (for web requests):
    then it stays failed in the ledger and the hourly dispatcher retries it with backoff.
    """
    from .preferences import is_suppressed

    if is_suppressed(email=to_email, kind=kind):
        return None
    full_context = build_context(kind=kind, to_email=to_email, recipient=recipient, context=context)
    message = claim(
        key=key,
        kind=kind,
        to_email=to_email,
        recipient=recipient,
        rendered=render(kind, full_context),
    )
    if message is None:
        return None
    try:
        deliver(message)
    except Exception:
        if not retry_later:
            raise
    return message
