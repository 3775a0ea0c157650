"""Two-step sign-in in Chromium (issue 24, item 2): staff sent to set up an authenticator app,
and a passkey made and used with Chromium's virtual authenticator (DevTools' WebAuthn domain:
a real WebAuthn ceremony, the browser's and the server's halves, with no hardware). Every page
on the way goes through the page sweep's checks (axe-core, both widths, no console errors)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import sign_in
from tests.e2e.test_pages import check_page
from tests.totp import code_now

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_out(page, base: str) -> None:
    page.goto(f"{base}/profile/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def confirm_password(page) -> None:
    """allauth asks for the password again before a factor is added."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label(re.compile(r"^Password")).fill(factories.PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()


def test_staff_set_up_an_authenticator_app_and_sign_in_with_its_code(page, site, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    factories.UserFactory(email="ada@example.com", is_staff=True, is_superuser=True)
    base = site.url
    found = []

    sign_in(page, base, "ada@example.com", factories.PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    expect(page.get_by_text("Your account needs two-step sign-in")).to_be_visible()
    found += check_page(page, f"{base}/accounts/2fa/", "mfa-index", axe=True)

    page.get_by_role("link", name="Set up an authenticator app").click()
    found += check_page(page, page.url, "mfa-reauthenticate", axe=True)
    confirm_password(page)
    found += check_page(page, f"{base}/accounts/2fa/totp/activate/", "mfa-activate", axe=True)
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    secret = page.get_by_label("Key for typing into the app").input_value()
    page.get_by_label("Authenticator code").fill(code_now(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/recovery-codes/")
    assert page.locator(".recovery-codes code").count() == 10
    found += check_page(page, page.url, "mfa-recovery-codes", axe=True)

    page.goto(f"{base}/admin/")
    expect(page.get_by_role("heading", name="Content, people and messages")).to_be_visible()

    sign_out(page, base)
    sign_in(page, base, "ada@example.com", factories.PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    found += check_page(page, page.url, "mfa-authenticate", axe=True)
    page.get_by_label(re.compile("^Code from your app")).fill(code_now(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    page.goto(f"{base}/admin/")
    expect(page.get_by_role("heading", name="Content, people and messages")).to_be_visible()
    assert found == []


@pytest.fixture
def virtual_authenticator(page):
    """A platform authenticator (like a phone's or laptop's) that holds passkeys and verifies
    its user, in this page's Chromium."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield devtools, added["authenticatorId"]
    devtools.send("WebAuthn.disable")


def test_a_passkey_is_added_then_used_as_second_step_and_to_sign_in(
    page, site, virtual_authenticator
):
    devtools, authenticator_id = virtual_authenticator
    learner = factories.UserFactory(email="lena@example.com", display_name="Lena Learner")
    base = site.url
    found = []

    sign_in(page, base, "lena@example.com", factories.PASSWORD)
    page.goto(f"{base}/profile/")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    page.get_by_role("link", name="Add a passkey or security key").click()
    confirm_password(page)
    found += check_page(page, f"{base}/accounts/2fa/webauthn/add/", "mfa-passkey-add", axe=True)
    page.get_by_label(re.compile("^Make it a passkey")).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add the key").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/recovery-codes/")
    key = Authenticator.objects.get(user=learner, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless
    credentials = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1  # the browser's half holds the private key
    found += check_page(page, f"{base}/accounts/2fa/webauthn/", "mfa-passkeys", axe=True)
    expect(page.get_by_role("cell", name=re.compile("^Passkey"))).to_be_visible()

    # The second step after the password: the passkey instead of a code.
    sign_out(page, base)
    sign_in(page, base, "lena@example.com", factories.PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    with page.expect_navigation():
        page.get_by_role("button", name="Use a passkey or security key").click()
    page.goto(f"{base}/profile/")
    expect(page.get_by_text("On: signing in asks for a code")).to_be_visible()

    # Signing in with the passkey alone, from the sign-in page.
    sign_out(page, base)
    page.goto(f"{base}/accounts/login/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in with a passkey").click()
    page.goto(f"{base}/profile/")
    expect(page.get_by_text("Signed in as")).to_contain_text("lena@example.com")
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert found == []
