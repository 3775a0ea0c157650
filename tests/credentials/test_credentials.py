"""Certificates as Open Badges 3.0 verifiable credentials (issue 25, item 5), checked by an
independent verifier: Digital Bazaar's @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite
and the Open Badges context, run by node (scripts/credential-verifier). It resolves the issuer's
did:key itself and fetches the status list from the live server, nothing else."""

import hashlib
import io
import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from credentials import issuing
from credentials.models import IssuedCredential, IssuerKey
from governance import clearance
from learners.models import Organisation, TrackAssignment
from progress import recertification, services
from progress.models import Certificate, Enrolment
from tests import factories
from tests.clock import suite_clock_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def verifier_script() -> str:
    built = subprocess.run(  # noqa: S603 (our own script)
        [str(ROOT / "scripts" / "credential-verifier")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return built.stdout.strip()


@pytest.fixture
def verify(verifier_script, live_server, settings, tmp_path):
    """verify(credential text) -> the verifier's verdict, with the live server as the site."""
    settings.SITE_URL = live_server.url

    def run(text: str) -> dict:
        path = tmp_path / "credential.json"
        path.write_text(text)
        command = ["node", verifier_script, str(path), "--allow-origin", live_server.url]
        # The verifier checks validFrom and validUntil against its own clock, so a suite run
        # with the clock moved ahead (tests/conftest.py) moves the verifier's too.
        done = subprocess.run(  # noqa: S603 (the verifier the fixture built)
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env=suite_clock_env(),
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


def certificate_for(email="sean@example.com", *, team=None, **extra) -> Certificate:
    learner = factories.UserFactory(email=email, display_name="Sean Newcomer")
    track = factories.make_track(slug=f"community-{Certificate.objects.count()}")
    if team is not None:
        from learners.models import Membership

        Membership.objects.create(user=learner, team=team, role="learner")
        assignment = TrackAssignment.objects.create(track=track, team=team)
        Enrolment.objects.create(learner=learner, track=track, assignment=assignment)
    return Certificate.objects.create(
        learner=learner,
        track=track,
        learner_name="Sean Newcomer",
        track_title="Community management",
        **extra,
    )


def download(client, certificate) -> str:
    response = client.get(reverse("credentials:credential", args=[certificate.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vc")
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_verifier_accepts_the_credential_and_rejects_an_edited_copy(client, verify):
    team = factories.team_with()
    certificate = certificate_for(team=team)
    text = download(client, certificate)
    verdict = verify(text)
    assert verdict == {"verified": True, "statusVerified": True, "revoked": False, "errors": []}

    credential = json.loads(text)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["name"] == "Acme"  # the organisation whose team assigned it
    assert credential["issuer"]["id"] == IssuerKey.objects.get(organisation=team.organisation).did
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"

    for field, value in [("name", "Expert in everything"), ("validFrom", "2020-01-01T00:00:00Z")]:
        edited = dict(credential, **{field: value})
        verdict = verify(json.dumps(edited))
        assert verdict["verified"] is False, field
        assert "Invalid signature." in verdict["errors"]
    achievement = credential["credentialSubject"]["achievement"]
    edited = json.loads(text)
    edited["credentialSubject"]["achievement"] = dict(achievement, name="Advanced strategy")
    assert verify(json.dumps(edited))["verified"] is False


@pytest.mark.django_db(transaction=True)
def test_a_revoked_certificate_shows_revoked_everywhere(client, verify, admin_client):
    certificate = certificate_for(team=factories.team_with())
    text = download(client, certificate)
    url = reverse("admin:progress_certificate_changelist")
    chosen = {"action": "revoke", "_selected_action": [certificate.pk]}

    asked = admin_client.post(url, chosen)  # the form asks why first
    assert b"Reason" in asked.content
    refused = admin_client.post(url, {**chosen, "apply": "Revoke", "reason": "  "})
    assert b"Give a reason" in refused.content
    certificate.refresh_from_db()
    assert certificate.revoked_at is None

    admin_client.post(url, {**chosen, "apply": "Revoke", "reason": "Quiz answers were shared"})
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Quiz answers were shared"
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.CERTIFICATE_REVOKED)
    assert entry.details == {"reason": "Quiz answers were shared"}

    # The credential downloaded before is unchanged; the status list now marks it.
    verdict = verify(text)
    assert verdict["statusVerified"] is True and verdict["revoked"] is True
    page = client.get(certificate.get_absolute_url())
    assert b"Revoked on" in page.content and b"Quiz answers were shared" in page.content
    pdf = client.get(reverse("progress:certificate_pdf", args=[certificate.code]))
    printed = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "REVOKED" in printed and "Quiz answers were shared" in printed

    admin_client.post(url, {"action": "reinstate", "_selected_action": [certificate.pk]})
    assert verify(text)["revoked"] is False
    assert AuditEntry.objects.filter(kind=AuditEntry.Kind.CERTIFICATE_REINSTATED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_expired_certificate_fails_verification(client, verify):
    certificate = certificate_for(expires_at=timezone.now() + timedelta(days=30))
    assert verify(download(client, certificate))["verified"] is True
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    certificate.refresh_from_db()
    verdict = verify(download(client, certificate))
    assert verdict["verified"] is False
    assert any('after "validUntil"' in error for error in verdict["errors"]), verdict


@pytest.mark.django_db(transaction=True)
def test_credentials_signed_before_a_rotation_still_verify(client, verify):
    team = factories.team_with()
    first = certificate_for(team=team)
    before = download(client, first)
    call_command("credential_keys", "rotate", "acme")
    second = certificate_for("eric@example.com", team=team)
    after = download(client, second)
    assert json.loads(before)["issuer"]["id"] != json.loads(after)["issuer"]["id"]
    assert verify(before)["verified"] is True
    assert verify(after)["verified"] is True
    assert download(client, first) == before  # its key stays the one that signed it


@pytest.mark.django_db
def test_the_credential_carries_no_address_only_its_salted_hash(client):
    certificate = certificate_for("Sean@Example.com")
    credential = json.loads(download(client, certificate))
    assert "example.com" not in json.dumps(credential).lower()
    email, name = credential["credentialSubject"]["identifier"]
    digest = hashlib.sha256(("sean@example.com" + email["salt"]).encode()).hexdigest()
    assert email["identityHash"] == f"sha256${digest}" and email["hashed"] is True
    assert name == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Sean Newcomer",
    }
    # Someone in no organisation gets the site's own key.
    assert IssuedCredential.objects.get().key.organisation is None


@pytest.mark.django_db
def test_the_same_certificate_gives_the_same_credential_until_it_changes(client):
    certificate = certificate_for(expires_at=timezone.now() + timedelta(days=300))
    first = download(client, certificate)
    assert download(client, certificate) == first
    Certificate.objects.filter(pk=certificate.pk).update(
        renewed_at=timezone.now(), expires_at=timezone.now() + timedelta(days=700)
    )
    renewed = json.loads(download(client, certificate))
    assert renewed["validUntil"] != json.loads(first)["validUntil"]
    assert client.get(reverse("credentials:credential", args=["NOPE"])).status_code == 404


@pytest.mark.django_db
def test_a_revoked_certificate_no_longer_clears_and_cannot_be_renewed():
    from tests.governance import helpers as gov

    team = factories.team_with()
    certificate = certificate_for(team=team, expires_at=timezone.now() + timedelta(days=5))
    organisation = team.organisation
    gov.level(organisation, tracks=[certificate.track])
    gov.acknowledge(certificate.learner, gov.publish(organisation))
    rules = clearance.Rules(organisation)
    assert rules.evaluate([certificate.learner_id])[certificate.learner_id][0].cleared

    staff = factories.UserFactory(is_staff=True)
    assert services.revoke_certificate(certificate=certificate, by=staff, reason="Shared answers")
    assert not services.revoke_certificate(certificate=certificate, by=staff, reason="Again")
    status = clearance.Rules(organisation).evaluate([certificate.learner_id])
    status = status[certificate.learner_id][0]
    assert status.status == clearance.LOST
    assert status.lapse_reasons == [clearance.CERTIFICATE_REVOKED]
    assert "certificate revoked" in status.explanation
    assert not recertification.expiring_certificates(certificate.learner, now=timezone.now())
    with pytest.raises(ValueError, match="Say why"):
        services.revoke_certificate(certificate=certificate, by=staff, reason=" ")


@pytest.mark.django_db
def test_the_key_command_names_what_it_needs():
    with pytest.raises(CommandError, match="Name one organisation"):
        call_command("credential_keys", "rotate")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("credential_keys", "rotate", "nobody")
    Organisation.objects.create(name="Initech", slug="initech")
    call_command("credential_keys", "rotate", "initech")
    call_command("credential_keys", "rotate", "--site")
    assert IssuerKey.objects.filter(retired_at__isnull=True).count() == 2
    assert issuing.active_key(None).organisation is None


@pytest.mark.django_db
def test_the_admin_filters_certificates_by_standing_as_their_pages_say_it(admin_client):
    now = timezone.now()
    made = {
        "valid": certificate_for("valid@example.com", expires_at=now + timedelta(days=30)),
        "for ever": certificate_for("forever@example.com"),
        "expired": certificate_for("expired@example.com", expires_at=now - timedelta(days=1)),
        "revoked": certificate_for(
            "revoked@example.com", expires_at=now - timedelta(days=1), revoked_at=now
        ),
    }
    made["revoked"].revoked_reason = "Issued in error"
    made["revoked"].save()
    assert {name: c.standing() for name, c in made.items()} == {
        "valid": "valid", "for ever": "valid", "expired": "expired", "revoked": "revoked",
    }  # fmt: skip
    url = reverse("admin:progress_certificate_changelist")
    for standing, _ in Certificate.STANDINGS:
        listed = set(Certificate.objects.in_standing(standing).values_list("pk", flat=True))
        assert listed == {c.pk for c in made.values() if c.standing() == standing}
        page = admin_client.get(url, {"standing": standing}).content.decode()
        shown = {name for name, c in made.items() if f"/{c.pk}/change/" in page}
        assert shown == {name for name, c in made.items() if c.standing() == standing}
    everything = admin_client.get(url).content.decode()
    assert "Revoked on" in everything and "Issued in error" in everything
