"""Company sign-in in Chromium, against a real OpenID Connect provider (allauth.idp.oidc in its own
process: tests/provisioning/oidc_idp), issue 24 item 1: a first sign-in creates the person in the
organisation and in the team their department names; someone of another domain, a staff account
and a replayed callback are refused. The provider's own pages are allauth's plain ones."""

import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from playwright.sync_api import expect

from audit.models import AuditEntry
from learners.models import Organisation, User
from provisioning.models import CompanySignIn
from tests import factories
from tests.e2e.test_pages import check_page
from tests.provisioning.oidc_idp.server import PASSWORD, identity_provider

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    {
        "email": "sean@acme.example",
        "first_name": "Sean",
        "last_name": "Doyle",
        "department": "Social",
    },
    {"email": "mallory@globex.example", "first_name": "Mallory"},
    {"email": "ops@acme.example", "first_name": "Ops"},
    {"email": "carrie@acme.example", "first_name": "Carrie", "department": "Marketing"},
]


@pytest.fixture(scope="module")
def idp(live_server, tmp_path_factory):
    assert "127.0.0.1" not in live_server.url, "the provider's cookies need a host of their own"
    client = {
        "id": "socialcraft",
        "secret": "our-secret",
        "redirect_uri": f"{live_server.url}/accounts/oidc/acme/login/callback/",
    }
    with identity_provider(tmp_path_factory.mktemp("idp"), people=PEOPLE, clients=[client]) as url:
        yield url


@pytest.fixture
def acme(idp, site):
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="acme",
        name="Acme sign-in",
        client_id="socialcraft",
        secret="our-secret",
        settings={"server_url": idp},
    )
    app.sites.add(Site.objects.get_current())
    CompanySignIn.objects.create(
        organisation=organisation, app=app, email_domains="acme.example", team_claim="department"
    )
    return organisation


def continue_with_company(page, base: str, email: str, *, at_provider: str) -> list[str]:
    """From our sign-in page to the provider's, signing in there as `at_provider`; returns the
    callback URLs the browser was sent to."""
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/login/callback/" in r.url else None)
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Continue with your company account").click()
    page.get_by_label("Your work email address").fill(email)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.get_by_label(re.compile("Email", re.I)).fill(at_provider)
    page.get_by_label(re.compile("Password", re.I)).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_load_state()
    return callbacks


def test_a_first_company_sign_in_creates_the_person_in_their_team(page, site, acme):
    base = site.url
    found = check_page(page, f"{base}/accounts/company/", "company-sign-in", axe=True)
    continue_with_company(page, base, "sean@acme.example", at_provider="sean@acme.example")

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/"))
    sean = User.objects.get(email="sean@acme.example")
    assert sean.display_name == "Sean Doyle" and not sean.has_usable_password()
    assert list(sean.memberships.values_list("team__organisation__slug", "team__name", "role")) == [
        ("acme", "Social", "learner")
    ]
    assert sean.emailaddress_set.get().verified
    kinds = set(AuditEntry.objects.filter(subject=sean).values_list("kind", flat=True))
    assert {AuditEntry.Kind.SIGN_IN_SSO, AuditEntry.Kind.ACCOUNT_PROVISIONED} <= kinds
    page.goto(f"{base}/profile/")
    expect(page.get_by_text("sean@acme.example")).to_be_visible()
    assert found == []


def test_an_existing_member_signs_in_to_the_account_they_have(page, site, acme):
    from learners.models import Membership, Team

    CompanySignIn.objects.filter(organisation=acme).update(required=True)  # passwords off
    team = Team.objects.create(organisation=acme, name="Strategy")
    carrie = factories.UserFactory(email="carrie@acme.example", display_name="Carrie K")
    Membership.objects.create(user=carrie, team=team, role="learner")
    continue_with_company(page, site.url, "carrie@acme.example", at_provider="carrie@acme.example")
    page.goto(f"{site.url}/profile/")
    expect(page.get_by_text("carrie@acme.example")).to_be_visible()
    assert User.objects.filter(email="carrie@acme.example").count() == 1
    assert carrie.socialaccount_set.get().provider == "acme"
    # Already in the organisation: no second team from the provider's department claim.
    assert list(carrie.memberships.values_list("team__name", flat=True)) == ["Strategy"]


def test_someone_of_another_domain_is_refused(page, site, acme):
    continue_with_company(page, site.url, "sean@acme.example", at_provider="mallory@globex.example")
    expect(page.get_by_role("heading", name="Company sign-in refused")).to_be_visible()
    expect(page.get_by_text("only sign in addresses of its own domains")).to_be_visible()
    assert not User.objects.filter(email="mallory@globex.example").exists()
    assert AuditEntry.objects.filter(
        kind=AuditEntry.Kind.SIGN_IN_FAILED, organisation=acme, details__reason="other_domain"
    ).exists()


def test_a_staff_account_never_signs_in_through_an_organisations_provider(page, site, acme):
    factories.UserFactory(email="ops@acme.example", is_staff=True)
    continue_with_company(page, site.url, "ops@acme.example", at_provider="ops@acme.example")
    expect(page.get_by_text("This is a Socialcraft staff account")).to_be_visible()
    page.goto(f"{site.url}/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_replayed_callback_is_refused(page, browser, site, acme):
    callbacks = continue_with_company(
        page, site.url, "sean@acme.example", at_provider="sean@acme.example"
    )
    assert len(callbacks) == 1
    people = User.objects.count()

    other = browser.new_context()
    replay = other.new_page()
    replay.goto(callbacks[0])
    expect(
        replay.get_by_role("heading", name=re.compile("sign-in failed|Login Failure", re.I))
    ).to_be_visible()
    replay.goto(f"{site.url}/profile/")
    expect(replay).to_have_url(re.compile(r"/accounts/login/"))
    assert User.objects.count() == people
    other.close()
