"""Driving load with wrk, and the one-request check that each case answers as expected."""

import http.client
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .server import Gunicorn

WRK_SCRIPT = Path(__file__).with_name("wrk.lua")
WRK_MISSING = """\
wrk is not installed. The benchmark drives the site with wrk and installs nothing itself.
Install it with:
    sudo apt-get install -y wrk        (Debian, Ubuntu)
    brew install wrk                   (macOS)
then run `python -m bench` again."""


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class Case:
    """One page under load, as the probe prepared it (see bench.probe)."""

    name: str
    method: str
    path: str
    cookie: str
    expect: int
    bodies: list[str]  # POST: "check", "warmup", one body file per round, then "tails"
    authorization: str = ""  # the reporting API's cases: its bearer token

    def body_file(self, label: str) -> str | None:
        if self.method != "POST":
            return None
        index = {"check": 0, "warmup": 1, "tails": len(self.bodies) - 1}.get(label)
        return self.bodies[index if index is not None else 2 + int(label)]


@dataclass
class Measurement:
    case: str
    round: int
    requests: int  # completed within wrk's window
    served: int  # started by the workers during the window, in-flight ones included
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # worker CPU per served request
    db_cpu_ms: float | None  # PostgreSQL backends' CPU per served request (local server only)
    errors: int
    workers_changed: bool
    bodies_available: int | None

    @property
    def total_cpu_ms(self) -> float:
        """Workers and (local PostgreSQL) database together."""
        return self.cpu_ms + (self.db_cpu_ms or 0.0)


def check(server: Gunicorn, case: Case) -> dict:
    """One request, not following redirects: the status must be the expected one (a login
    redirect instead of the page would otherwise pass for a fast page)."""
    body = None
    headers = {"Cookie": case.cookie, "Host": "127.0.0.1"}
    if case.authorization:
        headers["Authorization"] = case.authorization
    if case.method == "POST":
        body = Path(case.body_file("check")).read_text().splitlines()[0].encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request(case.method, case.path, body=body, headers=headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    if response.status != case.expect:
        location = response.getheader("Location") or ""
        raise RuntimeError(
            f"{case.name}: {case.method} {case.path} answered {response.status} "
            f"(expected {case.expect}) {location}\n{content[:500]!r}"
        )
    return {"status": response.status, "bytes": len(content)}


def run_wrk(
    server: Gunicorn, case: Case, *, seconds: float, connections: int, label: str
) -> tuple[dict, float, float | None, int, bool]:
    """Run wrk against one case; returns wrk's summary, worker and database CPU seconds,
    requests served and whether the set of workers changed (a restarted worker would spoil
    the CPU figure)."""
    env = dict(
        os.environ,
        BENCH_COOKIE=case.cookie,
        BENCH_AUTHORIZATION=case.authorization,
        BENCH_THREADS="1",
    )
    bodies = case.body_file(label)
    if bodies:
        env["BENCH_BODIES"] = bodies
    else:
        env.pop("BENCH_BODIES", None)
    command = [
        wrk_path() or "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout", "60s",
        "-s", str(WRK_SCRIPT),
        server.base_url + case.path,
    ]  # fmt: skip
    before = server.settle()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 90, check=False
    )
    after = server.settle()
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed for {case.name}:\n{result.stdout}\n{result.stderr}")
    summary = json.loads(line[len("BENCH ") :])
    return (
        summary,
        after.cpu - before.cpu,
        after.database_cpu_since(before),
        after.started - before.started,
        before.workers != after.workers,
    )


def measure(
    server: Gunicorn, case: Case, *, seconds: float, connections: int, round_number: int
) -> Measurement:
    summary, cpu, db_cpu, served, changed = run_wrk(
        server, case, seconds=seconds, connections=connections, label=str(round_number)
    )
    duration = summary["duration_us"] / 1e6
    errors = sum(summary[key] for key in summary if key.startswith("errors_"))
    available = None
    if case.method == "POST":
        with Path(case.body_file(str(round_number))).open() as bodies:
            available = sum(1 for _ in bodies)
    return Measurement(
        case=case.name,
        round=round_number,
        requests=summary["requests"],
        served=served,
        seconds=duration,
        rps=summary["requests"] / duration if duration else 0.0,
        p50_ms=summary["p50_us"] / 1000 if summary["requests"] else float("nan"),
        p99_ms=summary["p99_us"] / 1000 if summary["requests"] else float("nan"),
        cpu_ms=1000 * cpu / served if served else float("nan"),
        db_cpu_ms=1000 * db_cpu / served if served and db_cpu is not None else None,
        errors=errors,
        workers_changed=changed,
        bodies_available=available,
    )


def warm_up(server: Gunicorn, case: Case, *, seconds: float, connections: int) -> None:
    run_wrk(server, case, seconds=seconds, connections=connections, label="warmup")
