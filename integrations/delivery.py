"""Sending a delivery: Standard Webhooks' signed POST (webhook-id, webhook-timestamp,
webhook-signature: v1,base64(HMAC-SHA256(secret, "id.timestamp.body"))), and what happens
after it: delivered on a 2xx, otherwise tried again later on a schedule, then given up."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import requests
from django.db import transaction
from django.utils import timezone

from .models import WebhookDelivery

# After the first attempt: the waits before each retry (Standard Webhooks' suggested
# schedule, shortened at the end); after the last, the delivery has failed.
RETRY_AFTER = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
]
TIMEOUT_SECONDS = 10


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def request_for(delivery: WebhookDelivery, now) -> tuple[bytes, dict]:
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "Socialcraft-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            delivery.endpoint.secret, delivery.message_id, timestamp, body
        ),
    }
    return body, headers


def attempt(delivery_id: int, *, now=None) -> WebhookDelivery | None:
    """Send one pending delivery whose time has come; None when there is nothing to do (sent
    already, failed, not due, or another worker has it)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(pk=delivery_id, state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        if not delivery.endpoint.active:
            return None
        body, headers = request_for(delivery, now)
        status, error = None, ""
        try:
            response = requests.post(
                delivery.endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )  # fmt: skip
            status = response.status_code
        except requests.RequestException as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
        delivery.attempts += 1
        delivery.last_attempt_at, delivery.last_status, delivery.last_error = now, status, error
        if status is not None and 200 <= status < 300:
            delivery.state, delivery.delivered_at = WebhookDelivery.State.DELIVERED, now
        elif delivery.attempts > len(RETRY_AFTER):
            delivery.state = WebhookDelivery.State.FAILED
        else:
            delivery.next_attempt_at = now + RETRY_AFTER[delivery.attempts - 1]
            if status is not None:
                delivery.last_error = f"HTTP {status}"
        delivery.save()
        return delivery


def due(now=None) -> list[int]:
    """Pending deliveries whose time has come (the retries, and any the broker never took)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
