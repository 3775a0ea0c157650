"""Company sign-in against a real OpenID Connect provider (allauth.idp.oidc in its own process,
tests/provisioning/oidc_idp): tokens it issues for another application, or edited, are refused;
routing by address, the admin's checks, and passwords switched off when an organisation
requires its sign-in. The browser journeys are tests/e2e/test_company_sign_in.py."""

import base64
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory

from learners.models import Membership, Organisation, Team
from provisioning import sso
from provisioning.models import CompanySignIn
from tests import factories
from tests.provisioning.oidc_idp.server import PASSWORD, identity_provider

OUR_CLIENT = {
    "id": "socialcraft",
    "secret": "our-secret",
    "redirect_uri": "http://127.0.0.1:9/ours",
}
OTHER_CLIENT = {"id": "other-app", "secret": "other-secret", "redirect_uri": "http://127.0.0.1:9/x"}
PEOPLE = [{"email": "sean@acme.example", "first_name": "Sean", "last_name": "Doyle"}]


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    with identity_provider(
        tmp_path_factory.mktemp("idp"), people=PEOPLE, clients=[OUR_CLIENT, OTHER_CLIENT]
    ) as url:
        yield url


def id_token_from(idp: str, client: dict, email: str) -> str:
    """An ID token the provider issues to `client` for `email`: its code flow, as that
    application would run it (sign in, authorize, exchange the code)."""
    browser = requests.Session()
    params = {
        "client_id": client["id"],
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": client["redirect_uri"],
        "state": "s",
        "nonce": "n",
    }
    login_page = browser.get(f"{idp}/identity/o/authorize", params=params, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
    signed_in = browser.post(
        login_page.url,
        data={"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD},
        headers={"Referer": login_page.url},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    back = browser.get(
        f"{idp}/identity/o/authorize", params=params, allow_redirects=False, timeout=10
    )
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{idp}/identity/o/api/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client["redirect_uri"],
            "client_id": client["id"],
            "client_secret": client["secret"],
        },
        timeout=10,
    )
    assert tokens.ok, tokens.text
    return tokens.json()["id_token"]


def company_app(idp: str, organisation: Organisation, **options) -> CompanySignIn:
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=organisation.slug,
        name=f"{organisation.name} sign-in",
        client_id=OUR_CLIENT["id"],
        secret=OUR_CLIENT["secret"],
        settings={"server_url": idp},
    )
    app.sites.add(Site.objects.get_current())
    return CompanySignIn.objects.create(
        organisation=organisation, app=app, email_domains=f"{organisation.slug}.example", **options
    )


def verify(app: SocialApp, id_token: str):
    request = RequestFactory().get("/")
    request.session = {}
    return app.get_provider(request).verify_token(request, {"id_token": id_token})


@pytest.mark.django_db
def test_a_token_for_another_application_or_edited_is_refused(idp):
    acme = Organisation.objects.create(name="Acme", slug="acme")
    app = company_app(idp, acme).app

    ours = id_token_from(idp, OUR_CLIENT, "sean@acme.example")
    login = verify(app, ours)  # the control: a token issued to us is accepted
    assert login.user.email == "sean@acme.example"

    with pytest.raises(ValidationError):  # audience: issued to another application
        verify(app, id_token_from(idp, OTHER_CLIENT, "sean@acme.example"))

    header, payload, signature = id_token_from(idp, OUR_CLIENT, "sean@acme.example").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "ceo@acme.example"
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(ValidationError):  # signature: the claims were changed
        verify(app, f"{header}.{edited}.{signature}")


@pytest.mark.django_db
def test_an_address_goes_to_its_organisations_provider(idp):
    acme = Organisation.objects.create(name="Acme", slug="acme")
    company_app(idp, acme)
    client = Client()
    response = client.post("/accounts/company/", {"email": "Sean@ACME.example"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == idp
    query = parse_qs(location.query)
    assert query["client_id"] == ["socialcraft"] and query["login_hint"] == ["Sean@ACME.example"]
    assert query["redirect_uri"][0].endswith("/accounts/oidc/acme/login/callback/")

    page = client.post("/accounts/company/", {"email": "someone@elsewhere.example"})
    assert page.status_code == 200
    assert "No company sign-in is set up for addresses at elsewhere.example" in page.text


@pytest.mark.django_db
def test_the_sign_in_page_offers_company_sign_in_without_naming_customers(idp):
    assert "Continue with your company account" not in Client().get("/accounts/login/").text
    company_app(idp, Organisation.objects.create(name="Acme", slug="acme"))
    page = Client().get("/accounts/login/").text
    assert "Continue with your company account" in page
    assert "Acme sign-in" not in page


@pytest.mark.django_db
def test_a_domain_belongs_to_one_organisation_and_the_app_must_be_openid_connect(idp):
    company_app(idp, Organisation.objects.create(name="Acme", slug="acme"))
    globex = Organisation.objects.create(name="Globex", slug="globex")
    other_app = SocialApp.objects.create(provider="openid_connect", provider_id="g", name="G")
    clash = CompanySignIn(
        organisation=globex, app=other_app, email_domains="globex.example, ACME.example"
    )
    with pytest.raises(ValidationError, match=r"acme\.example already belongs to Acme"):
        clash.full_clean()
    google = SocialApp.objects.create(provider="google", name="Google")
    wrong = CompanySignIn(organisation=globex, app=google, email_domains="globex.example")
    with pytest.raises(ValidationError, match=r"OpenID Connect. or .SAML"):
        wrong.full_clean()


@pytest.mark.django_db
def test_required_company_sign_in_stops_passwords_but_not_staffs(idp):
    acme = Organisation.objects.create(name="Acme", slug="acme")
    sign_in = company_app(idp, acme)
    team = Team.objects.create(organisation=acme, name="Social")
    carrie = factories.UserFactory(email="carrie@acme.example", password="a long password 12")
    Membership.objects.create(user=carrie, team=team, role="learner")
    admin = factories.UserFactory(
        email="admin@acme.example", is_staff=True, password="a long password 12"
    )
    Membership.objects.create(user=admin, team=team, role="manager")
    form = {"login": "carrie@acme.example", "password": "a long password 12"}
    assert Client().post("/accounts/login/", form).status_code == 302  # not required yet

    sign_in.required = True
    sign_in.save()
    refused = Client().post("/accounts/login/", form)
    assert refused.status_code == 200
    assert "Continue with your company account" in refused.text
    assert "signs you in with its own account" in refused.text
    # A wrong password is answered as any wrong password: nothing about the company is told.
    wrong = Client().post("/accounts/login/", {**form, "password": "not the password 1"})
    assert "signs you in with its own account" not in wrong.text
    staff = Client().post("/accounts/login/", {**form, "login": "admin@acme.example"})
    assert staff.status_code == 302
    assert sso.password_refused(carrie) and not sso.password_refused(admin)


@pytest.mark.django_db
def test_required_company_sign_in_holds_for_every_way_in_but_the_companys_own(idp):
    """allauth's pre_login sees every sign-in (passkey, code, a site-wide provider): only the
    organisation's own company sign-in gets its people in."""
    from allauth.account.adapter import get_adapter
    from allauth.socialaccount.models import SocialLogin
    from django.contrib.messages.storage.fallback import FallbackStorage

    acme = Organisation.objects.create(name="Acme", slug="acme")
    sign_in = company_app(idp, acme, required=True)
    carrie = factories.UserFactory(email="carrie@acme.example")
    Membership.objects.create(
        user=carrie, team=Team.objects.create(organisation=acme, name="Social"), role="learner"
    )

    def pre_login(sociallogin=None):
        request = RequestFactory().get("/")
        request.session = {}
        request._messages = FallbackStorage(request)
        kwargs = {"sociallogin": sociallogin} if sociallogin else None
        return get_adapter(request).pre_login(
            request, carrie, email_verification="none", signal_kwargs=kwargs, email=None,
            signup=False, redirect_url=None,
        )  # fmt: skip

    refused = pre_login()  # e.g. a passkey
    assert refused.status_code == 302 and refused["Location"] == "/accounts/company/"
    other_app = SocialApp.objects.create(provider="openid_connect", provider_id="x", name="X")
    request = RequestFactory().get("/")
    elsewhere = SocialLogin(user=carrie, provider=other_app.get_provider(request))
    assert pre_login(elsewhere).status_code == 302  # a provider, but not the organisation's
    own = SocialLogin(user=carrie, provider=sign_in.app.get_provider(request))
    assert pre_login(own) is None
