"""LTI 1.3 launches in Chromium from a real platform (lti1p3platform in its own process,
tests/lti/platform): the LMS starts the OIDC login, Socialcraft sends the browser back for the
signed id_token, the platform posts it to the launch URL. A first launch makes the person in the
registration's organisation and team and lands on the track; the same sub later is the same
account; deep linking returns a signed response the platform verifies; a replayed, tampered,
wrongly deployed or unregistered launch gets a clear page, never a 500."""

import re
from urllib.parse import urlencode

import pytest
import requests
from playwright.sync_api import expect

from audit.models import AuditEntry
from learners.models import Membership, User
from lti.models import GradeTarget, LtiIdentity, UsedNonce
from progress.models import Enrolment
from tests.lti.conftest import TRACK

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def launch(page, platform: str, **spec) -> None:
    """A click on the link in the LMS, followed until the browser settles."""
    spec.setdefault("track", TRACK)
    page.goto(f"{platform}/launch?{urlencode(spec)}")
    page.wait_for_load_state()


def last_launch(platform: str) -> dict:
    return requests.get(f"{platform}/test/state", timeout=10).json()["launches"][-1]


def test_a_first_launch_makes_the_person_in_the_organisation_and_lands_on_the_track(
    page, platform, registration, track, problems
):
    launch(page, platform, user="moodle-42", email="sean@acme.example", name="Sean Doyle")
    expect(page).to_have_url(re.compile(rf"/tracks/{TRACK}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(track.title)
    sean = User.objects.get(email="sean@acme.example")
    assert sean.display_name == "Sean Doyle" and not sean.has_usable_password()
    assert Membership.objects.filter(user=sean, team=registration.default_team).exists()
    assert Enrolment.objects.filter(learner=sean, track=track).exists()
    identity = LtiIdentity.objects.get(subject="moodle-42")
    assert (identity.user, identity.issuer) == (sean, platform)
    target = GradeTarget.objects.get(user=sean)
    assert target.track == track and target.lineitems_url.startswith(platform)
    kinds = set(AuditEntry.objects.filter(subject=sean).values_list("kind", flat=True))
    assert {"account_provisioned", "sign_in_sso"} <= kinds

    # A second launch of the same sub, from a fresh browser session, is the same account.
    page.context.clear_cookies()
    launch(page, platform, user="moodle-42", email="sean@acme.example", name="Sean Doyle")
    expect(page).to_have_url(re.compile(rf"/tracks/{TRACK}/"))
    assert User.objects.filter(email="sean@acme.example").count() == 1
    assert LtiIdentity.objects.count() == 1 and UsedNonce.objects.count() == 2
    assert problems.errors == []


def test_a_replayed_launch_is_refused_with_a_clear_page(page, platform, registration, track):
    launch(page, platform, user="moodle-7", email="rita@acme.example")
    expect(page).to_have_url(re.compile(rf"/tracks/{TRACK}/"))
    sent = last_launch(platform)
    # The same id_token and state again, from the same browser (its state cookie and all).
    replay = page.request.post(
        sent["launch_url"], form={"id_token": sent["id_token"], "state": sent["state"]}
    )
    assert replay.status == 403
    assert "This launch has already been used" in replay.text()
    refusals = AuditEntry.objects.filter(
        kind="sign_in_failed", organisation=registration.organisation
    )
    assert refusals.get().details == {"reason": "replayed"}


def test_a_tampered_id_token_is_refused(page, platform, registration, track):
    launch(page, platform, user="moodle-8", email="mallory@acme.example", hold=1)
    field = page.get_by_label("id_token")
    header, payload, signature = field.input_value().split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "boss@acme.example"  # someone else's address, with the signature kept
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    field.fill(f"{header}.{edited}.{signature}")
    with page.expect_navigation():
        page.get_by_role("button", name="Launch").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Launch from your LMS refused")
    expect(page.get_by_text("signature doesn't verify")).to_be_visible()
    assert not User.objects.filter(email__in=["boss@acme.example", "mallory@acme.example"]).exists()
    assert UsedNonce.objects.count() == 0


def test_an_unknown_deployment_or_a_retired_registration_is_refused(
    page, platform, registration, track
):
    response = page.goto(
        f"{platform}/launch?{urlencode({'track': TRACK, 'deployment': 'deployment-9'})}"
    )
    page.wait_for_load_state()
    expect(page.get_by_text("deployment Socialcraft doesn't know")).to_be_visible()
    registration.active = False
    registration.save()
    response = page.goto(f"{platform}/launch?{urlencode({'track': TRACK})}")
    assert response.status == 403
    expect(page.get_by_text("doesn't know the LMS")).to_be_visible()
    assert not User.objects.exists()


def test_deep_linking_returns_a_signed_link_the_platform_accepts(
    page, platform, registration, track, problems
):
    launch(page, platform, user="teacher-1", deep=1, track="")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a track for your course")
    page.get_by_label(track.title).check()
    with page.expect_navigation(url=re.compile(r"/deep-link-return")):
        page.get_by_role("button", name="Add to my course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity added")
    received = requests.get(f"{platform}/test/state", timeout=10).json()["deep_links"]
    (item,) = received[-1]["items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"track": TRACK}
    assert item["lineItem"] == {"label": track.title, "scoreMaximum": 100, "resourceId": TRACK}
    assert not User.objects.exists()  # choosing signs no one in
    assert problems.errors == []  # the page's CSP let the form go back to the platform

    # The link the teacher added launches a learner into the track, grades to its line item.
    launch(
        page, platform, user="learner-5", email="ann@acme.example", link=item["link_id"], track=""
    )
    expect(page).to_have_url(re.compile(rf"/tracks/{TRACK}/"))
    target = GradeTarget.objects.get(user__email="ann@acme.example")
    assert re.search(r"/lineitems/\w+$", target.lineitem_url)
