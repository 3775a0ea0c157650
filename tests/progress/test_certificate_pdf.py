"""The certificate as a PDF (issue 25, item 5): public like its page, the same facts, any
European script in the name, expiry shown, read back with pypdf."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from progress.models import Certificate
from tests import factories

pytestmark = pytest.mark.django_db


def certificate_for(name: str, **extra) -> Certificate:
    learner = factories.UserFactory(display_name=name)
    track = factories.make_track(slug="community-management")
    return Certificate.objects.create(
        learner=learner, track=track, learner_name=name, track_title="Community management", **extra
    )


def read(client, certificate) -> tuple[object, str]:
    response = client.get(reverse("progress:certificate_pdf", args=[certificate.code]))
    text = ""
    if response.status_code == 200:
        reader = PdfReader(io.BytesIO(response.content))
        assert len(reader.pages) == 1
        text = " ".join(reader.pages[0].extract_text().split())
    return response, text


def test_anyone_downloads_the_certificate_as_a_one_page_pdf(client):
    certificate = certificate_for("Zoë Ελένη Дмитриева")
    response, text = read(client, certificate)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="certificate-{certificate.code}.pdf"' in response["Content-Disposition"]
    assert "Zoë Ελένη Дмитриева" in text
    assert "Community management" in text and certificate.code in text
    assert f"/certificates/{certificate.code}/" in text  # where to check it
    assert "Expired" not in text


def test_an_expired_certificate_says_so(client):
    certificate = certificate_for("Sean Doyle", expires_at=timezone.now() - timedelta(days=1))
    _, text = read(client, certificate)
    assert "Expired" in text and "has expired" in text


def test_the_page_links_to_it_and_an_unknown_code_is_404(client):
    certificate = certificate_for("Carrie")
    page = client.get(certificate.get_absolute_url()).content.decode()
    assert reverse("progress:certificate_pdf", args=[certificate.code]) in page
    assert client.get("/certificates/NOPE.pdf").status_code == 404
