"""Company sign-in over SAML 2.0 in Chromium, against a real identity provider: Debian's
SimpleSAMLphp under `php -S` (tests/provisioning/saml_idp.py), issue 24 item 1. A first sign-in
creates the person in the organisation and their department's team; a response edited on its
way (signature), replayed, or meant for another service provider (audience), and a person of
another domain, are refused."""

import base64
import logging
import re

import pytest
import requests
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from playwright.sync_api import expect

from audit.models import AuditEntry
from learners.models import Organisation, User
from provisioning.models import CompanySignIn
from tests.provisioning import saml_idp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLE = {
    "sean": {
        "uid": "sean-0001",
        "email": "sean@acme.example",
        "givenName": "Sean",
        "sn": "Doyle",
        "department": "Social",
    },
    "mallory": {"uid": "mallory-0002", "email": "mallory@globex.example", "givenName": "Mallory"},
}
OTHER_SP = "http://other-service.example/metadata"


@pytest.fixture(scope="module")
def idp(live_server, tmp_path_factory):
    if reason := saml_idp.available():
        pytest.fail(reason)
    assert "127.0.0.1" not in live_server.url, "the provider's cookies need a host of their own"
    acs = f"{live_server.url}/accounts/saml/acme/acs/"
    service_providers = {f"{live_server.url}/accounts/saml/acme/metadata/": acs, OTHER_SP: acs}
    with saml_idp.identity_provider(
        tmp_path_factory.mktemp("saml"), people=PEOPLE, service_providers=service_providers
    ) as running:
        yield running


@pytest.fixture
def acme(idp, site):
    url, entity_id, certificate = idp
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    app = SocialApp.objects.create(
        provider="saml",
        provider_id="acme-saml",  # each organisation's people apart, whatever their NameID
        client_id="acme",
        name="Acme SAML",
        settings={
            "idp": {
                "entity_id": entity_id,
                "sso_url": f"{url}/saml2/idp/SSOService.php",
                "x509cert": certificate,
            },
            "attribute_mapping": {
                "uid": "uid",
                "email": "email",
                "first_name": "givenName",
                "last_name": "sn",
            },
            "advanced": {"want_assertion_signed": True, "want_message_signed": True},
        },
    )
    app.sites.add(Site.objects.get_current())
    CompanySignIn.objects.create(
        organisation=organisation, app=app, email_domains="acme.example", team_claim="department"
    )
    return organisation


def sign_in_at_the_provider(page, base: str, email: str, user_name: str, on_response=None):
    """From "Continue with your company account" to SimpleSAMLphp's login page and back;
    `on_response(route)` may look at, or change, the SAML response posted back to us."""
    if on_response is not None:
        page.route("**/accounts/saml/acme/acs/", on_response)
    page.goto(f"{base}/accounts/company/")
    page.get_by_label("Your work email address").fill(email)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.locator("#username").fill(user_name)
    page.locator("#password").fill(saml_idp.PASSWORD)
    page.get_by_role("button", name=re.compile("Login", re.I)).click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/(?!accounts/saml/acme/acs/$)"))
    page.wait_for_load_state()


def test_a_first_saml_sign_in_creates_the_person_in_their_team(page, site, acme):
    sign_in_at_the_provider(page, site.url, "sean@acme.example", "sean")
    sean = User.objects.get(email="sean@acme.example")
    assert sean.display_name == "Sean Doyle"
    assert list(sean.memberships.values_list("team__name", "role")) == [("Social", "learner")]
    assert sean.socialaccount_set.get().provider == "acme-saml"
    assert AuditEntry.objects.filter(subject=sean, kind=AuditEntry.Kind.SIGN_IN_SSO).exists()
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_text("sean@acme.example")).to_be_visible()


def test_someone_of_another_domain_is_refused(page, site, acme):
    sign_in_at_the_provider(page, site.url, "sean@acme.example", "mallory")
    expect(page.get_by_role("heading", name="Company sign-in refused")).to_be_visible()
    assert not User.objects.filter(email="mallory@globex.example").exists()


def test_an_edited_response_is_refused(page, site, acme):
    def edit(route):
        form = dict(re.findall(r"([^&=]+)=([^&]*)", route.request.post_data))
        from urllib.parse import quote, unquote

        xml = base64.b64decode(unquote(form["SAMLResponse"]))
        assert b"sean@acme.example" in xml
        forged = base64.b64encode(xml.replace(b"sean@acme.example", b"ceo@acme.example"))
        form["SAMLResponse"] = quote(forged.decode(), safe="")
        route.continue_(post_data="&".join(f"{k}={v}" for k, v in form.items()))

    sign_in_at_the_provider(page, site.url, "sean@acme.example", "sean", on_response=edit)
    expect(
        page.get_by_role("heading", name=re.compile("sign-in failed|Login Failure", re.I))
    ).to_be_visible()
    assert not User.objects.filter(email__in=["ceo@acme.example", "sean@acme.example"]).exists()


def test_a_replayed_response_is_refused(page, site, acme):
    posted = []

    def keep(route):
        posted.append(route.request.post_data)
        route.continue_()

    sign_in_at_the_provider(page, site.url, "sean@acme.example", "sean", on_response=keep)
    assert User.objects.filter(email="sean@acme.example").exists() and len(posted) == 1

    replay = requests.Session()  # another browser, sending the captured response again
    answer = replay.post(
        f"{site.url}/accounts/saml/acme/acs/",
        data=posted[0],
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    # Refused: the sign-in it answered was finished and its state is gone (403 Not allowed).
    assert answer.status_code == 403 and "Not allowed" in answer.text
    profile = replay.get(f"{site.url}/profile/", timeout=10)
    assert "/accounts/login/" in profile.url
    assert User.objects.count() == 1


def test_a_response_for_another_service_provider_is_refused(page, site, acme, idp, caplog):
    url, _, _ = idp
    caplog.set_level(logging.ERROR)
    page.goto(f"{url}/saml2/idp/SSOService.php?spentityid={OTHER_SP}")
    page.locator("#username").fill("sean")
    page.locator("#password").fill(saml_idp.PASSWORD)
    page.get_by_role("button", name=re.compile("Login", re.I)).click()
    page.wait_for_url(re.compile(rf"^{re.escape(site.url)}/accounts/saml/acme/acs/finish/"))
    expect(
        page.get_by_role("heading", name=re.compile("sign-in failed|Login Failure", re.I))
    ).to_be_visible()
    assert not User.objects.filter(email="sean@acme.example").exists()
    assert "audience" in caplog.text.lower()
