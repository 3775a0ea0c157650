import pytest

pytestmark = pytest.mark.django_db


def test_html_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts(client):
    for url in ("/", "/accounts/login/", "/accounts/signup/"):
        body = client.get(url).content.decode()
        assert "<script>" not in body
        assert "<script " not in body or 'src="' in body
