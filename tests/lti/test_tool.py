"""The tool's own rules without a browser: refusals are clear 4xx pages, keys rotate through the
JWKS, nonces are single-use, and who a launch may sign in."""

from datetime import timedelta
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from learners.models import Membership, Organisation, Team
from lti import keys, services
from lti.models import LtiIdentity, ToolKey, UsedNonce
from lti.services import LaunchRefusedError
from tests import factories
from tests.lti.conftest import register

pytestmark = pytest.mark.django_db

ISSUER = "https://moodle.acme.example"


@pytest.fixture
def registration():
    acme = Organisation.objects.create(name="Acme", slug="acme")
    return register(ISSUER, organisation=acme)


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        (
            {"iss": "https://unknown.example", "login_hint": "1", "client_id": "x"},
            403,
            "doesn't know the LMS",
        ),
        (
            {"iss": ISSUER, "login_hint": "1", "client_id": "someone-else"},
            403,
            "doesn't know the LMS",
        ),
        ({"login_hint": "1"}, 400, "missing what an LMS sends"),
        ({"iss": ISSUER, "client_id": "socialcraft-tool"}, 400, "missing what an LMS sends"),
    ],
)
def test_login_initiation_from_an_unknown_platform_or_without_its_parameters_is_refused(
    client, registration, params, status, text
):
    response = client.get(reverse("lti:login"), params)
    assert response.status_code == status
    assert text in unescape(response.content.decode())


def test_login_initiation_sends_the_browser_to_the_platform_with_a_state_and_nonce(
    client, registration
):
    response = client.post(
        reverse("lti:login"),
        {
            "iss": ISSUER,
            "login_hint": "7",
            "client_id": "socialcraft-tool",
            "lti_message_hint": "m",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ISSUER}/authorize?")
    for part in ("state=state-", "nonce=", "response_mode=form_post", "redirect_uri=http"):
        assert part in response["Location"]
    assert any(name.startswith("lti1p3-state-") for name in response.cookies)


@pytest.mark.parametrize(
    ("data", "status", "text"),
    [
        ({}, 400, "doesn't match a sign-in started in this browser"),
        ({"state": "state-x", "id_token": "a.b.c"}, 400, "doesn't match a sign-in"),
        ({"state": "state-x", "id_token": "not a token"}, 400, "doesn't match a sign-in"),
    ],
)
def test_a_launch_that_is_not_one_gets_a_clear_page_never_a_500(client, data, status, text):
    response = client.post(reverse("lti:launch"), data)
    assert response.status_code == status
    assert text in unescape(response.content.decode())


def test_a_deep_link_choice_for_a_launch_that_expired_is_refused(client):
    response = client.post(reverse("lti:deep_link_choose"), {"launch_id": "lti1p3-launch-x"})
    assert response.status_code == 400
    assert "took too long" in unescape(response.content.decode())


# -- keys --------------------------------------------------------------------------------------


def test_keys_rotate_and_the_jwks_shows_both_until_the_old_one_is_retired(client):
    first = client.get(reverse("lti:jwks")).json()["keys"]
    assert len(first) == 1 and first[0]["kty"] == "RSA" and "d" not in first[0]
    old_kid = first[0]["kid"]

    new = keys.rotate()
    published = [key["kid"] for key in client.get(reverse("lti:jwks")).json()["keys"]]
    assert set(published) == {old_kid, new.kid}
    assert keys.signing_key() == new  # the new key signs; the old still verifies

    assert keys.retire_previous() == 1
    assert [key["kid"] for key in client.get(reverse("lti:jwks")).json()["keys"]] == [new.kid]
    assert ToolKey.objects.get(kid=old_kid).retired_at is not None


def test_the_command_rotates_and_retires():
    keys.signing_key()
    out = StringIO()
    call_command("lti_keys", "rotate", stdout=out)
    assert "New signing key" in out.getvalue()
    assert ToolKey.objects.filter(retired_at__isnull=True).count() == 2
    call_command("lti_keys", "retire", stdout=StringIO())
    assert ToolKey.objects.filter(retired_at__isnull=True).count() == 1


# -- nonces ------------------------------------------------------------------------------------


def test_a_nonce_is_used_once_and_forgotten_after_it_expires():
    expires = int((timezone.now() + timedelta(minutes=5)).timestamp())
    services.use_nonce(issuer=ISSUER, nonce="n-1", expires=expires)
    with pytest.raises(LaunchRefusedError) as refused:
        services.use_nonce(issuer=ISSUER, nonce="n-1", expires=expires)
    assert refused.value.reason == "replayed"
    services.use_nonce(issuer="https://other.example", nonce="n-1", expires=expires)  # theirs
    UsedNonce.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    services.use_nonce(issuer=ISSUER, nonce="n-2", expires=expires)  # purges the expired
    assert list(UsedNonce.objects.values_list("nonce", flat=True)) == ["n-2"]


# -- who a launch signs in ---------------------------------------------------------------------


def claims(sub: str, email: str = "", **extra) -> dict:
    return {"sub": sub, "email": email, "name": "Someone", **extra}


def test_a_first_launch_links_the_organisations_person_with_that_address(registration):
    sean = factories.UserFactory(email="sean@acme.example")
    Membership.objects.create(
        user=sean, team=Team.objects.create(organisation=registration.organisation, name="Social")
    )
    user, created = services.person_for(
        registration=registration, claims=claims("u1", "Sean@Acme.example")
    )
    assert (user, created) == (sean, False)
    assert LtiIdentity.objects.get(subject="u1").user == sean


@pytest.mark.parametrize("who", ["staff", "other_organisation", "no_organisation"])
def test_a_first_launch_never_links_staff_or_someone_elses_person(registration, who):
    person = factories.UserFactory(email="them@example.com", is_staff=who == "staff")
    if who == "other_organisation":
        globex = Organisation.objects.create(name="Globex", slug="globex")
        Membership.objects.create(
            user=person, team=Team.objects.create(organisation=globex, name="A")
        )
    with pytest.raises(LaunchRefusedError) as refused:
        services.person_for(registration=registration, claims=claims("u2", "them@example.com"))
    assert refused.value.reason == ("staff" if who == "staff" else "other_organisation")
    assert not LtiIdentity.objects.exists()


def test_someone_the_platform_gives_no_address_gets_an_account_of_their_own(registration):
    user, created = services.person_for(registration=registration, claims=claims("u3"))
    assert created and user.email.endswith("@lti.invalid")
    # No default team: a team named after the registration, in its organisation.
    assert Membership.objects.get(user=user).team.name == registration.name
    again, created = services.person_for(registration=registration, claims=claims("u3"))
    assert (again, created) == (user, False)


def test_a_launch_without_a_track_or_with_an_unpublished_one_is_refused():
    factories.make_track(slug="draft", published=False)
    custom = "https://purl.imsglobal.org/spec/lti/claim/custom"
    for given, reason in [({}, "no_track"), ({custom: {"track": "draft"}}, "unknown_track")]:
        with pytest.raises(LaunchRefusedError) as refused:
            services.track_named(given)
        assert refused.value.reason == reason
