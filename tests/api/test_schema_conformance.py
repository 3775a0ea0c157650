"""The live API against its own OpenAPI document: schemathesis generates requests from
/api/v1/schema/ (valid and invalid filters, cursors, ids, methods the API doesn't allow, no
token) and checks every answer: no 500, a documented status, content type and headers, and a
body that matches the schema. One organisation's token, with another organisation beside it."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api import world as worlds

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = 20  # per operation and phase: every filter reached; about 40 s on a 2-core machine
SEED = 20261206  # the same requests every run, so a failure reproduces


def run_schemathesis(base_url: str, token: str, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own arguments)
        [
            str(SCHEMATHESIS), "run", f"{base_url}/api/v1/schema/",
            "--checks", "all",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", str(SEED),
            "--workers", "1",
            "--header", f"Authorization: Bearer {token}",
            "--report", "junit", "--report-junit-path", str(report),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        cwd=report.parent,  # its example database (.schemathesis/) stays out of the repository
        check=False,
    )  # fmt: skip


def test_the_api_conforms_to_its_schema(live_server, settings, tmp_path):
    settings.API_RATE_LIMIT = "100000/minute"  # the run makes thousands of requests
    world = worlds.build(people=4)
    result = run_schemathesis(live_server.url, world.acme_token, tmp_path / "junit.xml")
    summary = result.stdout[-3000:]
    Path(os.environ.get("SCHEMATHESIS_OUTPUT", os.devnull)).write_text(result.stdout)
    print(summary)  # noqa: T201 (the totals, in the test's output (pytest -s, or on failure))
    assert result.returncode == 0, summary + result.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", summary)
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    # Every operation of the document ran (12: seven lists, five details), and many cases did:
    # a run that tested nothing would pass too.
    assert tested and int(tested.group(1)) == 12, summary
    assert cases and int(cases.group(2)) > 500 and cases.group(1) == cases.group(2), summary
