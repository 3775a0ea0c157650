"""Authenticator-app codes worked out by the tests themselves (RFC 6238 with HMAC-SHA1, six
digits, 30-second steps: what allauth.mfa and the apps use), never by the code under test."""

import base64
import hashlib
import hmac
import struct
import time


def totp(secret_base32: str, at: float, *, digits: int = 6, period: int = 30) -> str:
    """The code for the moment `at` (RFC 4226's dynamic truncation of the step's HMAC)."""
    key = base64.b32decode(secret_base32, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_now(secret_base32: str) -> str:
    """The current code, never one in its step's last two seconds (it could expire in flight)."""
    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.1)
    return totp(secret_base32, time.time())
