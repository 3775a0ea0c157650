"""How to report a vulnerability (SECURITY.md, /.well-known/security.txt) and `make audit`."""

import datetime
import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def load_audit():
    loader = importlib.machinery.SourceFileLoader("audit_script", str(ROOT / "scripts" / "audit"))
    spec = importlib.util.spec_from_loader("audit_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.django_db
def test_security_txt_follows_rfc_9116(client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(
        line.split(": ", 1) for line in response.content.decode().splitlines() if line.strip()
    )
    assert fields["Contact"].startswith(("mailto:", "https://"))
    expires = datetime.datetime.fromisoformat(fields["Expires"])
    now = datetime.datetime.now(tz=datetime.UTC)
    assert now < expires <= now + datetime.timedelta(days=366), "renew SECURITY_TXT_EXPIRES"
    assert fields["Preferred-Languages"] == "en"
    assert fields["Policy"].endswith(reverse("security_policy"))
    assert fields["Canonical"].endswith("/.well-known/security.txt")
    policy = client.get(reverse("security_policy"))
    assert policy.status_code == 200
    assert "## Reporting a vulnerability" in policy.content.decode()
    assert policy.content.decode() == (ROOT / "SECURITY.md").read_text(encoding="utf-8")


def test_security_txt_serves_the_operators_expiry_when_set(client, settings):
    settings.SECURITY_TXT_EXPIRES = "2031-01-31T00:00:00Z"
    body = client.get("/.well-known/security.txt").content.decode()
    assert "Expires: 2031-01-31T00:00:00Z\n" in body


def test_audit_exceptions_need_a_reason_and_a_date_and_expire(tmp_path):
    audit = load_audit()
    today = datetime.date(2026, 11, 26)
    assert audit.read_exceptions(ROOT / ".audit-ignore", today)[2] == []  # the real file is valid
    sample = tmp_path / ".audit-ignore"
    sample.write_text(
        "# comment\n"
        "PYSEC-2026-1  2027-01-31  not reachable: we never call it\n"
        "bandit:B608   2027-01-31  queries from constants only\n"
        "GHSA-xxxx-yyyy-zzzz  2026-01-01  expired long ago\n"
        "CVE-2026-0001 because I said so\n",
        encoding="utf-8",
    )
    vulns, bandit_tests, problems = audit.read_exceptions(sample, today)
    assert vulns == ["PYSEC-2026-1", "GHSA-xxxx-yyyy-zzzz"]
    assert bandit_tests == ["B608"]
    assert len(problems) == 2
    assert "expired on 2026-01-01" in problems[0]
    assert "expected 'ID YYYY-MM-DD reason'" in problems[1]


def test_make_audit_runs_in_ci_after_the_tests():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\naudit: setup\n\t$(PY) scripts/audit --python $(PY)\n" in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index("make test\n") < ci.index("AUDIT_UNREACHABLE=warn make audit")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"pip-audit>=' in pyproject and '"bandit>=' in pyproject
