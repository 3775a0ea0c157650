"""Sending a webhook delivery: Standard Webhooks' signed POST (webhook-id, webhook-timestamp,
webhook-signature: v1,base64(HMAC-SHA256(secret, "id.timestamp.body"))). Delivered on a 2xx,
otherwise tried again on the outbox's schedule (integrations/outbox.py), then given up."""

import base64
import hashlib
import hmac
import json

import requests

from . import outbox
from .models import WebhookDelivery
from .outbox import RETRY_AFTER, TIMEOUT_SECONDS

__all__ = ["RETRY_AFTER", "attempt", "due", "request_for", "signature"]


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


def send(delivery: WebhookDelivery, now) -> outbox.Answer:
    body, headers = request_for(delivery, now)
    try:
        response = requests.post(
            delivery.endpoint.url, data=body, headers=headers, timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
        )  # fmt: skip
    except requests.RequestException as failure:
        return outbox.Answer(None, f"{type(failure).__name__}: {failure}")
    status = response.status_code
    if 200 <= status < 300:
        return outbox.Answer(status, delivered=True)
    return outbox.Answer(status, f"HTTP {status}")  # any other answer: tried again


def attempt(delivery_id: int, *, now=None) -> WebhookDelivery | None:
    """Send one pending delivery whose time has come; None when there is nothing to do."""
    rows = WebhookDelivery.objects.select_related("endpoint")
    return outbox.attempt(rows, delivery_id, send=send, now=now)


def due(now=None) -> list[int]:
    return outbox.due(WebhookDelivery.objects, now)
