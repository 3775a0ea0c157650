"""No account enumeration: signup, sign-in and password reset answer a known and an unknown
address with the same status and the same page (CSRF tokens aside)."""

import statistics
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests import factories
from tests.security.helpers import without_csrf

pytestmark = pytest.mark.django_db

KNOWN, UNKNOWN = "known.person@example.com", "nobody.here@example.com"


@pytest.fixture(autouse=True)
def known_account():
    cache.clear()  # rate limits
    factories.UserFactory(email=KNOWN, display_name="Known Person")
    yield
    cache.clear()


def answer(url: str, data: dict, email: str) -> tuple[int, str, str]:
    """Status, where it leads and the page shown (following redirects), for a fresh visitor.

    The page echoes the address typed, which is no news to the person typing: it is replaced
    by a placeholder, as are the CSRF tokens."""
    client = Client()
    response = client.post(url, data)
    location = response.get("Location", "")
    page = client.get(location) if location else response
    body = without_csrf(page.content.decode()).replace(email, "ADDRESS")
    return response.status_code, location, body


def signup(email: str) -> dict:
    return {
        "email": email,
        "display_name": "Somebody",
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }


@pytest.mark.parametrize(
    ("name", "url", "make_data"),
    [
        ("signup", "account_signup", signup),
        ("wrong password", "account_login", lambda e: {"login": e, "password": "not-it"}),
        ("password reset", "account_reset_password", lambda e: {"email": e}),
    ],
)
def test_known_and_unknown_addresses_get_the_same_answer(name, url, make_data):
    other = UNKNOWN.replace("nobody", f"nobody.{name[:4]}")
    known = answer(reverse(url), make_data(KNOWN), KNOWN)
    unknown = answer(reverse(url), make_data(other), other)
    assert known[0] == unknown[0], name
    assert known[1] == unknown[1], name
    assert known[2] == unknown[2], name


def test_the_case_of_a_known_address_changes_nothing():
    lower = answer(reverse("account_reset_password"), {"email": KNOWN}, KNOWN)
    upper = answer(reverse("account_reset_password"), {"email": KNOWN.upper()}, KNOWN.upper())
    assert lower == upper


def test_both_addresses_get_an_email_so_the_inbox_is_the_only_place_that_tells(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the worker sends after commit
        answer(reverse("account_reset_password"), {"email": KNOWN}, KNOWN)
        answer(reverse("account_reset_password"), {"email": UNKNOWN}, UNKNOWN)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([KNOWN, UNKNOWN])


def test_signing_up_with_a_taken_address_takes_as_long_as_with_a_new_one(settings):
    """Identical pages tell nothing if the time does: a new account costs a password hash, so
    a taken address must cost one too. The suite's MD5 hasher takes microseconds, which would
    hide the difference; PBKDF2 (the production default) makes it the bulk of the request."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.ACCOUNT_RATE_LIMITS = False  # 15 sign-ups from one address in a few seconds
    taken_addresses = [f"taken.{n}@example.com" for n in range(7)]
    for email in taken_addresses:  # one each: a code is sent to an address once per 10 s
        factories.UserFactory(email=email)

    def seconds_to_sign_up(email: str) -> float:
        client = Client()
        start = time.perf_counter()
        response = client.post(reverse("account_signup"), signup(email))
        elapsed = time.perf_counter() - start
        assert response.status_code == 302
        return elapsed

    seconds_to_sign_up("warm.up@example.com")  # imports, templates, the hasher's first run
    taken, new = [], []
    for n, email in enumerate(taken_addresses):  # interleaved: a slow moment hits both alike
        taken.append(seconds_to_sign_up(email))
        new.append(seconds_to_sign_up(f"new.person.{n}@example.com"))
    ratio = statistics.median(taken) / statistics.median(new)
    assert 0.5 < ratio < 2.0, (
        f"median with a taken address {statistics.median(taken) * 1000:.0f} ms, "
        f"with a new one {statistics.median(new) * 1000:.0f} ms"
    )
