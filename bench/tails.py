"""Concurrency and tails: the site under four workers and 32 connections at once.

The rounds measure cost per request with two workers kept just busy. Here the question is what
people feel when many arrive together: the slowest 1 % of requests against the median
(`p99 / p50`) for the lesson page and the team dashboard, errors, and whether one quiz form
submitted from 32 connections at the same moment still records exactly one attempt.

The duplicated submissions: each of `TOKENS` one-time tokens is written `DUPLICATES` times in a
row to the body file, so wrk's connections send the same token together. Afterwards
`bench.attempts` counts, in the database, the attempts recorded per token.
"""

import json
import subprocess
import sys
from pathlib import Path

from .load import Case, run_wrk, warm_up
from .server import BASE_DIR, Gunicorn

WORKERS = 4
CONNECTIONS = 32
PAGES = ("lesson", "team_50")
TOKENS = 40
DUPLICATES = 32
P99_OVER_P50 = 5.0  # the target for both pages


def _page(server: Gunicorn, case: Case, *, seconds: float) -> dict:
    warm_up(server, case, seconds=1, connections=CONNECTIONS)
    summary, _, _, _, _ = run_wrk(
        server, case, seconds=seconds, connections=CONNECTIONS, label="warmup"
    )
    p50, p99 = summary["p50_us"] / 1000, summary["p99_us"] / 1000
    return {
        "requests": summary["requests"],
        "rps": round(summary["requests"] / (summary["duration_us"] / 1e6), 1),
        "p50_ms": round(p50, 2),
        "p99_ms": round(p99, 2),
        "p99_over_p50": round(p99 / p50, 2) if p50 else None,
        "errors": sum(v for k, v in summary.items() if k.startswith("errors_")),
    }


def _duplicated_bodies(source: Path, target: Path) -> None:
    lines = source.read_text().splitlines()[:TOKENS]
    target.write_text("".join(f"{line}\n" * DUPLICATES for line in lines))


def _count_attempts(env: dict, bodies: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.attempts", str(bodies)],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    return json.loads(result.stdout)


def run(env: dict, database, workdir: Path, plan: dict, *, seconds: float) -> dict:
    """Start `gunicorn -w 4` on the large database and measure; returns the figures."""
    server = Gunicorn(
        env=dict(env, DATABASE_URL=database.url),
        workdir=workdir,
        workers=WORKERS,
        database_pids=database.backend_pids,
    )
    server.start()
    try:
        cases = {
            name: Case(name=name, **{k: v for k, v in spec.items() if k != "queries"})
            for name, spec in plan["cases"].items()
        }
        pages = {name: _page(server, cases[name], seconds=seconds) for name in PAGES}
        quiz = cases["quiz_submit"]
        duplicated = workdir / "quiz-bodies-duplicated.txt"
        _duplicated_bodies(Path(quiz.body_file("tails")), duplicated)
        sent = Case(quiz.name, quiz.method, quiz.path, quiz.cookie, quiz.expect, [str(duplicated)])
        summary, _, _, _, _ = run_wrk(
            server, sent, seconds=max(seconds, 8), connections=CONNECTIONS, label="check"
        )
    finally:
        server.stop()
    counted = _count_attempts(dict(env, DATABASE_URL=database.url), duplicated)
    return {
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "pages": pages,
        "quiz_duplicates": {
            "tokens": counted["tokens"],
            "sent_each": DUPLICATES,
            "requests": summary["requests"],
            "errors": sum(v for k, v in summary.items() if k.startswith("errors_")),
            "tokens_with_an_attempt": counted["tokens_with_an_attempt"],
            "most_attempts_for_one_token": counted["most_attempts_for_one_token"],
        },
    }


def text(tails: dict) -> str:
    if "error" in tails:
        return f"  {tails['error']}"
    lines = [f"  gunicorn -w {tails['workers']}, wrk -c{tails['connections']}:"]
    for name, page in tails["pages"].items():
        lines.append(
            f"  {name:<10} {page['rps']:8.1f} rps  p50 {page['p50_ms']:7.2f} ms  "
            f"p99 {page['p99_ms']:8.2f} ms  p99/p50 {page['p99_over_p50']}  "
            f"errors {page['errors']}"
        )
    quiz = tails["quiz_duplicates"]
    lines.append(
        f"  quiz form sent {quiz['sent_each']}× at once, {quiz['tokens']} forms: "
        f"{quiz['requests']} requests, {quiz['errors']} errors, "
        f"{quiz['tokens_with_an_attempt']} forms recorded, at most "
        f"{quiz['most_attempts_for_one_token']} attempt per form"
    )
    return "\n".join(lines)
