"""The SCIM endpoint against an independent client: scim2-cli's compliance checker (`scim2
test`, scim2-tester), from its own virtual environment (scripts/scim-checker), against the
live server. It discovers the service, then creates, reads, lists, projects, replaces,
patches (add, remove and replace of each attribute) and deletes Users and Groups."""

import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from learners.models import Organisation, User
from provisioning import tokens
from provisioning.models import ProvisionedPerson

ROOT = Path(__file__).resolve().parents[2]
# The one kind of check we don't pass, and why: a search at the root across Users and Groups
# at once (RFC 7644 §3.4.3) isn't offered; an identity provider searches /Users or /Groups.
EXPECTED_SKIPS = {"search_with_attributes": "searching several resource types at once"}


@pytest.fixture(scope="session")
def scim2_command() -> str:
    built = subprocess.run(  # noqa: S603 (our own script)
        [str(ROOT / "scripts" / "scim-checker")],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return built.stdout.strip()


def run_checker(command: str, url: str, token: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {token}", "NO_COLOR": "1"}
    return subprocess.run(  # noqa: S603 (the checker the fixture built)
        [command, "--url", url, "test"], capture_output=True, text=True, env=env, timeout=300
    )


def results(output: str) -> list[tuple[str, str, str]]:
    """(status, check, reason) for each check the checker reported."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        match = re.match(r"^(SUCCESS|ERROR|CRITICAL|WARNING|SKIPPED|FAILURE)\s+(\w+)", line)
        if match:
            reason = lines[i + 1].strip() if i + 1 < len(lines) else ""
            found.append((match.group(1), match.group(2), reason))
    return found


@pytest.mark.django_db(transaction=True)
def test_the_scim_checker_passes_every_check(live_server, scim2_command):
    organisation = Organisation.objects.create(name="Acme", slug="acme")
    _, raw = tokens.create_token(organisation=organisation, name="checker", by=None)

    run = run_checker(scim2_command, f"{live_server.url}/scim/v2", raw)
    output = run.stdout  # it exits 1 when any check was skipped: the results say which
    assert run.stderr == "" and "Performing a SCIM compliance check" in output, run.stderr

    checks = results(output)
    totals = Counter(status for status, _, _ in checks)
    print(f"scim2 test: {dict(totals)}")  # noqa: T201 (the figures for the notes: pytest -s)
    failures = [c for c in checks if c[0] not in ("SUCCESS", "SKIPPED")]
    assert failures == [], output
    for status, check, reason in checks:
        if status == "SKIPPED":
            assert check in EXPECTED_SKIPS and EXPECTED_SKIPS[check] in reason, (check, reason)
    assert totals["SUCCESS"] >= 60, output  # discovery, then CRUD and PATCH on both types
    # The checker cleaned up after itself: what it created was removed (deactivated people).
    assert not User.objects.filter(is_active=True, provisioned__isnull=False).exists()
    assert ProvisionedPerson.objects.filter(removed_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_checker_is_refused_without_a_token(live_server, scim2_command):
    run = run_checker(scim2_command, f"{live_server.url}/scim/v2", "scim_wrong")
    assert run.returncode != 0
    assert "Could not discover the server" in run.stderr + run.stdout
    assert "Send a live SCIM token" in run.stderr + run.stdout
    assert not results(run.stdout)
