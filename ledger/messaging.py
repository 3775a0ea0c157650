"""The message service: every email the system sends goes here (allauth's too, by the adapter).

send_message() renders a template pair, claims the message's idempotency key in the ledger
(ledger.Message, unique key), sends it, and marks it sent: two writes per message. A key that
was already sent, or that another worker claimed moments ago, sends nothing. A failed send is
recorded as failed (never as sent) and re-raised so the caller's retry takes it up again.

The window no design closes: the mail server accepts a message and the process dies before the
ledger marks it sent. The claim then goes stale and a later run sends again; every message
carries a Message-ID derived from its key, so that resend is recognisably the same message.
"""

import hashlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import (
    AbstractBaseUser as User,  # the ledger sits below the user model's app
)
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.tasks import enqueue_after_commit

from .models import Message
from .preferences import ACCOUNT, ALL_KINDS, is_suppressed

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a dead worker and may be taken up again. It is
# far longer than one send (SMTP timeout 10 s) so a slow but live worker is never doubled.
CLAIM_TIMEOUT = timedelta(minutes=15)
UNSUBSCRIBE_SALT = "progress.unsubscribe"


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
    return absolute(reverse("ledger:unsubscribe", args=[unsubscribe_token(email=email, kind=kind)]))


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
    fields = _row(kind=kind, to_email=to_email, recipient=recipient, rendered=rendered)
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


def _row(*, kind: str, to_email: str, recipient: User | None, rendered: Rendered) -> dict:
    """A ledger row's fields for one rendered email."""
    return {
        "kind": kind,
        "to_email": to_email,
        "recipient": recipient,
        "subject": rendered.subject,
        "body_text": rendered.text,
        "body_html": rendered.html,
    }


def _rendered_unless_suppressed(
    *, kind: str, to_email: str, recipient: User | None, context: dict
) -> Rendered | None:
    """The email rendered, or None when the address unsubscribed from this kind."""
    if is_suppressed(email=to_email, kind=kind):
        return None
    full_context = build_context(kind=kind, to_email=to_email, recipient=recipient, context=context)
    return render(kind, full_context)


@dataclass(frozen=True)
class Outgoing:
    key: str
    kind: str
    to_email: str
    recipient_id: int | None
    rendered: Rendered
    topic: str = ""


# SQLite's driver keeps each statement it has prepared (up to 128) together with the values
# last bound to it, for the life of the connection: a claim of 467 rows and one of 471 are two
# statements, each holding a batch's rendered bodies (~4 MB for 500 digests), so a worker's
# memory grew with every batch of a new size. On SQLite a claim is therefore padded to a
# multiple of CLAIM_ROWS rows with copies of its first row (a repeated key inserts nothing):
# every claim has the same shape and one statement is kept. Other databases bind client-side.
CLAIM_ROWS = 500  # the dispatcher's batch size (notifications.dispatch.BATCH_SIZE)
# Elsewhere (PostgreSQL) the driver builds each INSERT's text with the bodies in it: in chunks of
# this many rows, a batch's claim peaks at a fifth of the memory, for one more INSERT per 100.
CLAIM_CHUNK_ROWS = 100


def _claim_row(item: Outgoing, *, now, token: str) -> Message:
    return Message(
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


def claim_many(outgoing: list[Outgoing], *, now=None) -> list[Message]:
    """Claim a batch of keys in one INSERT; returns only the rows this call claimed.

    Keys that exist already (sent, or claimed by another run) are left alone; a unique token
    finds our rows afterwards. Two statements for the whole batch (of up to CLAIM_ROWS). The
    second reads only ids and keys: the rows it finds are the ones just inserted, so the
    instances given to the INSERT become the claimed messages (the bodies are not read back,
    nor held twice).
    """
    if not outgoing:
        return []
    now = now or timezone.now()
    token = uuid.uuid4().hex
    rows = [_claim_row(item, now=now, token=token) for item in outgoing]
    using = router.db_for_write(Message)
    padding, chunk = [], CLAIM_CHUNK_ROWS
    if connections[using].vendor == "sqlite":
        chunk = CLAIM_ROWS
        # Exact copies of the first row: should one ever be inserted (its key deleted while
        # the statement ran), it is the very claim the first row would have made.
        padding = [
            _claim_row(outgoing[0], now=now, token=token) for _ in range(-len(rows) % CLAIM_ROWS)
        ]
    Message.objects.using(using).bulk_create(
        rows + padding, ignore_conflicts=True, batch_size=chunk
    )
    ours = dict(Message.objects.using(using).filter(claim_token=token).values_list("key", "pk"))
    claimed = []
    for row in rows:
        # pop: of two items with the same key, the first was inserted, the second ignored
        pk = ours.pop(row.key, None)
        if pk is not None:
            row.pk = pk
            row._state.adding, row._state.db = False, using  # as if read from the database
            claimed.append(row)
    claimed.sort(key=lambda row: row.pk)
    return claimed


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


def deliver_all(messages: Iterable[Message]) -> tuple[int, int]:
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


def one_by_one(messages: list[Message]) -> Iterator[Message]:
    """Hand out a batch's messages in order, each let go of as the next is taken (the list is
    emptied): a batch's rendered bodies are released as it is sent, not all at its end."""
    messages.reverse()
    while messages:
        yield messages.pop()


def build_email(
    *, key: str, kind: str, to_email: str, subject: str, text: str, html: str
) -> EmailMultiAlternatives:
    """The email for one ledger row: text and HTML bodies, a Message-ID derived from the key,
    one-click unsubscribe headers. No database access (the digest benchmark's floor uses it)."""
    headers = {"Message-ID": message_id(key)}
    if kind != ACCOUNT:
        headers |= {
            "List-Unsubscribe": (
                f"<{unsubscribe_url(email=to_email, kind=kind)}>, "
                f"<mailto:{unsubscribe_mailbox()}?subject=unsubscribe>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to_email],
        headers=headers,
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def deliver(message: Message) -> None:
    """Send a claimed message and mark it sent; on failure mark it failed and re-raise."""
    email = build_email(
        key=message.key,
        kind=message.kind,
        to_email=message.to_email,
        subject=message.subject,
        text=message.body_text,
        html=message.body_html,
    )
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
    if message.kind == ACCOUNT:
        # A sign-up code or a reset link works for whoever reads it: once sent, not kept.
        message.body_text = message.body_html = ACCOUNT_BODY_NOT_KEPT
        _update_row(
            message.pk,
            status=message.status,
            sent_at=message.sent_at,
            error="",
            body_text=ACCOUNT_BODY_NOT_KEPT,
            body_html=ACCOUNT_BODY_NOT_KEPT,
        )
        return
    _update_row(message.pk, status=message.status, sent_at=message.sent_at, error="")


def _update_row(pk: int, **values) -> None:
    """Message.objects.filter(pk=pk).update(**values) as one prepared statement: a batch marks
    each message sent as it goes out, and compiling that UPDATE anew every time cost more
    than running it."""
    connection = connections[router.db_for_write(Message)]
    fields = [Message._meta.get_field(name) for name in values]
    quote = connection.ops.quote_name
    # Only the model's own table and column names go into the text; values are parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  # nosec B608
        quote(Message._meta.db_table),
        ", ".join(f"{quote(field.column)} = %s" for field in fields),
        quote(Message._meta.pk.column),
    )
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    with (
        transaction.mark_for_rollback_on_error(using=connection.alias),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [*params, pk])


def unsubscribe_mailbox() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "socialcraft.localhost"
    return f"unsubscribe@{domain}"


RESEND_TASK = "progress.tasks.resend_messages"  # notifications.tasks, by its first name


ACCOUNT_BODY_NOT_KEPT = "(Not kept once sent: it carried a sign-in code or link.)"


def queue_account_email(*, to_email: str, subject: str, text: str, html: str) -> Message:
    """An email allauth rendered (a sign-up code, a password reset), recorded and sent by the
    worker after the request's transaction commits, like queue_message: signing up or asking
    for a reset never fails because the mail server or the broker is down. Never suppressed,
    and its body is dropped once it is sent."""
    message = Message.objects.create(
        key=f"{ACCOUNT}:{uuid.uuid4().hex}",
        status=Message.Status.PENDING,
        claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1),
        attempts=0,
        kind=ACCOUNT,
        to_email=to_email,
        subject=subject[:200],
        body_text=text,
        body_html=html,
    )
    enqueue_after_commit(RESEND_TASK, message_ids=[message.pk], now=timezone.now().isoformat())
    return message


def queue_message(
    *, key: str, kind: str, to_email: str, context: dict, recipient: User | None = None
) -> Message | None:
    """Render and record one email in the current transaction, for the worker to send once it
    commits: a request never waits for, or fails on, the mail server, and nothing is sent for
    a change that is rolled back. None when the key needs no sending (as `send_message`).

    The row is written as a claim already abandoned, which any sender may take: the worker
    takes it at once; if the broker is down, the hourly dispatcher's retries find it."""
    rendered = _rendered_unless_suppressed(
        kind=kind, to_email=to_email, recipient=recipient, context=context
    )
    if rendered is None:
        return None
    try:
        with transaction.atomic():
            message = Message.objects.create(
                key=key,
                status=Message.Status.PENDING,
                claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1),
                attempts=0,
                **_row(kind=kind, to_email=to_email, recipient=recipient, rendered=rendered),
            )
    except IntegrityError:
        return None  # queued or sent already
    enqueue_after_commit(RESEND_TASK, message_ids=[message.pk], now=timezone.now().isoformat())
    return message


def send_message(
    *,
    key: str,
    kind: str,
    to_email: str,
    context: dict,
    recipient: User | None = None,
) -> Message | None:
    """Render, claim, send and record one email, in this process (the worker's tasks: a web
    request records its email with queue_message instead). Returns None when the key needs no
    sending (already sent, being sent, or the address unsubscribed from this kind).

    A failed send is recorded as failed and re-raised, for the task's retry; the hourly
    dispatcher retries it with backoff too.
    """
    rendered = _rendered_unless_suppressed(
        kind=kind, to_email=to_email, recipient=recipient, context=context
    )
    if rendered is None:
        return None
    message = claim(key=key, kind=kind, to_email=to_email, recipient=recipient, rendered=rendered)
    if message is None:
        return None
    deliver(message)
    return message
