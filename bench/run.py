"""The harness: databases, seeding, gunicorn, interleaved wrk rounds, digest, report.

It never imports Django: each database is prepared by its own `bench.probe` process, the site
runs in gunicorn, and the digest case runs in a `bench.digest` process, all with the same
environment (config.settings.bench, a per-run SECRET_KEY, the throw-away DATABASE_URL).
"""

import argparse
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report, tails
from .config import (
    CASES,
    DEFAULT,
    DEFAULT_TIMING,
    PAGE_CASES,
    PAGE_SECONDS,
    QUICK,
    QUICK_TIMING,
    SCALES,
    SLOW_CASE_MIN_SECONDS,
    SLOW_CASES,
    SMALL,
    Timing,
)
from .databases import ThrowawayDatabase
from .load import WRK_MISSING, Case, Measurement, check, measure, warm_up, wrk_path
from .server import BASE_DIR, Gunicorn

STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:4.0f} s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Seed a throw-away database, serve the site with gunicorn and measure the "
        "main pages with wrk against a bare authenticated view (see bench/README.md).",
    )
    parser.add_argument("--quick", action="store_true", help="smaller scale, fewer/shorter rounds")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--scale", choices=sorted(SCALES), help="override the seeded scale")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (at least 3)")
    parser.add_argument("--seconds", type=int, help="wrk seconds per case and round")
    parser.add_argument("--connections", type=int, help="wrk connections (default 4)")
    parser.add_argument("--cases", help="comma-separated subset of the cases (bare_auth always)")
    parser.add_argument("--no-digest", action="store_true", help="skip the digest case")
    parser.add_argument(
        "--no-tails", action="store_true", help="skip the 4-worker, 32-connection tails case"
    )
    parser.add_argument(
        "--digest-only",
        action="store_true",
        help="seed the large database and run only the digest case (no gunicorn, no wrk)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and databases")
    parser.add_argument(
        "--fail-on-miss", action="store_true", help="exit 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 3:
        parser.error("--rounds must be at least 3 (interleaved A B A B A B)")
    if args.digest_only and args.no_digest:
        parser.error("--digest-only and --no-digest exclude each other")
    return args


def base_env(workdir: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.bench",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SOCIALCRAFT_VAR_DIR=str(workdir),  # collected static files live here
        DB_CONN_MAX_AGE="600",  # persistent connections, as in production
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
        BENCH_WITHOUT_BROKER="1",  # production requires REDIS_URL; the bench runs without Redis
    )
    return env


def probe(env: dict, database: ThrowawayDatabase, workdir: Path, **options) -> dict:
    plan_path = workdir / f"plan-{database.label}.json"
    command = [
        sys.executable, "-m", "bench.probe",
        "--scale", options["scale"],
        "--plan", str(plan_path),
        "--workdir", str(workdir),
    ]  # fmt: skip
    if options.get("rounds"):
        command += [
            "--rounds", str(options["rounds"]),
            "--seconds", str(options["seconds"]),
            "--warmup-seconds", str(options["warmup_seconds"]),
        ]  # fmt: skip
    if options.get("collectstatic"):
        command.append("--collectstatic")
    subprocess.run(command, cwd=BASE_DIR, env=dict(env, DATABASE_URL=database.url), check=True)
    return json.loads(plan_path.read_text())


def run_digest(env: dict, database: ThrowawayDatabase, workdir: Path) -> dict:
    out = workdir / "digest.json"
    command = [sys.executable, "-m", "bench.digest", "--out", str(out)]
    result = subprocess.run(
        command, cwd=BASE_DIR, env=dict(env, DATABASE_URL=database.url), check=False, timeout=900
    )
    if result.returncode != 0 or not out.exists():
        return {"error": f"bench.digest exited with {result.returncode}"}
    return json.loads(out.read_text())


def _write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(document), indent=2))
    log(f"Wrote {path}")


def _exit_status(args, found) -> int:
    """1 when --fail-on-miss and a target was missed, else 0."""
    return 1 if args.fail_on_miss and any(not t.passed for t in found) else 0


def _finite(value):
    """NaN (a round with no completed request) becomes null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _seconds(case: str, timing: Timing) -> float:
    """wrk's duration for `case` in one round: the pages beyond the core cases briefly, slow
    pages long enough to complete a few requests."""
    seconds = min(timing.seconds, PAGE_SECONDS) if case in PAGE_CASES else timing.seconds
    return max(seconds, SLOW_CASE_MIN_SECONDS) if case in SLOW_CASES else seconds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.digest_only:
        return digest_only(args)
    if wrk_path() is None:
        log(WRK_MISSING)
        return 2
    scale = SCALES[args.scale] if args.scale else (QUICK if args.quick else DEFAULT)
    preset = QUICK_TIMING if args.quick else DEFAULT_TIMING
    timing = Timing(
        rounds=args.rounds or preset.rounds,
        seconds=args.seconds or preset.seconds,
        warmup_seconds=preset.warmup_seconds,
        connections=args.connections or preset.connections,
    )
    cases = CASES
    if args.cases:
        wanted = {"bare_auth", *args.cases.split(",")}
        unknown = wanted - set(CASES)
        if unknown:
            log(f"Unknown case(s): {', '.join(sorted(unknown))}. Cases: {', '.join(CASES)}")
            return 2
        cases = [c for c in CASES if c in wanted]

    server_url = os.environ.get("DATABASE_URL") or None
    workdir = Path(tempfile.mkdtemp(prefix="socialcraft-bench-"))
    env = base_env(workdir)
    small_db = ThrowawayDatabase(label="small", workdir=workdir, server_url=server_url)
    large_db = ThrowawayDatabase(label=scale.name, workdir=workdir, server_url=server_url)
    server = Gunicorn(env=env, workdir=workdir, database_pids=large_db.backend_pids)
    started = time.perf_counter()
    try:
        log(f"Work folder {workdir}; databases on {small_db.vendor}.")
        small_db.create()
        log(f"Seeding the small database ({SMALL.learners} learners, big team {SMALL.big_team})")
        small_plan = probe(env, small_db, workdir, scale=SMALL.name, collectstatic=True)
        large_db.create()
        log(
            f"Seeding the {scale.name} database ({scale.learners:,} learners in {scale.teams} "
            f"teams, big team {scale.big_team:,})"
        )
        plan = probe(
            env, large_db, workdir,
            scale=scale.name,
            rounds=timing.rounds,
            seconds=timing.seconds,
            warmup_seconds=timing.warmup_seconds,
        )  # fmt: skip
        seeded = plan["timings"]
        log(
            f"  seeded in {seeded['people_s']:.1f} s (+ migrate {seeded['migrate_s']:.1f} s, "
            f"curriculum {seeded['curriculum_s']:.1f} s): "
            + ", ".join(f"{k.split('.')[-1]} {v:,}" for k, v in plan["rows"].items())
        )

        server.env["DATABASE_URL"] = large_db.url
        server.start()
        log(f"gunicorn -w 2 on {server.base_url}, workers {server.worker_pids()}")
        loaded = {
            name: Case(name=name, **{k: v for k, v in spec.items() if k != "queries"})
            for name, spec in plan["cases"].items()
            if name in cases
        }
        checks = {name: check(server, case) for name, case in loaded.items()}
        log("Warming up " + ", ".join(loaded))
        connections = {
            name: min(2, timing.connections) if name in SLOW_CASES else timing.connections
            for name in loaded
        }
        for case in loaded.values():
            warm_up(server, case, seconds=timing.warmup_seconds, connections=connections[case.name])
        measurements: list[Measurement] = []
        for round_number in range(timing.rounds):
            log(f"Round {round_number + 1} of {timing.rounds}")
            for case in loaded.values():
                m = measure(
                    server,
                    case,
                    seconds=_seconds(case.name, timing),
                    connections=connections[case.name],
                    round_number=round_number,
                )
                measurements.append(m)
                flag = " (a worker restarted)" if m.workers_changed else ""
                flag += f" ({m.errors} errors)" if m.errors else ""
                database = f" + db {m.db_cpu_ms:.2f}" if m.db_cpu_ms is not None else ""
                log(
                    f"  {case.name:<12} {m.rps:8.1f} rps  p50 {m.p50_ms:7.2f} ms  "
                    f"p99 {m.p99_ms:8.2f} ms  cpu {m.cpu_ms:7.2f}{database} ms/req  "
                    f"({m.served} served){flag}"
                )
        server.stop()

        if args.no_tails or args.cases:
            tails_found = {"skipped": "--no-tails" if args.no_tails else "--cases"}
        else:
            log(f"Tails: gunicorn -w {tails.WORKERS}, {tails.CONNECTIONS} connections")
            tails_found = tails.run(env, large_db, workdir, plan, seconds=timing.seconds)

        if args.no_digest:
            digest = {"skipped": "--no-digest"}
        else:
            log("Digest case (learner digests: a smaller dispatch, the full one, then managers)")
            digest = run_digest(env, large_db, workdir)

        page_rows = report.pages(measurements, plan, small_plan, checks)
        ratio = report.ratios(measurements)
        growth = report.queries_growth(small_plan, plan)
        found = report.targets(ratio, growth, SMALL.as_dict(), scale.as_dict())
        found += report.tails_targets(tails_found)
        found += report.digest_targets(digest)
        bare_cpu = page_rows.get("bare_auth", {}).get("cpu_ms")
        if bare_cpu:
            # One learner's (one manager's) digest against one bare authenticated request.
            if "cpu_ms_per_learner" in digest:
                digest["cpu_vs_bare"] = round(digest["cpu_ms_per_learner"] / bare_cpu, 2)
            manager = digest.get("manager")
            if isinstance(manager, dict) and "cpu_ms_per_recipient" in manager:
                manager["cpu_vs_bare"] = round(manager["cpu_ms_per_recipient"] / bare_cpu, 2)
        elapsed = time.perf_counter() - started

        print(
            f"\nSocialcraft benchmark — {scale.name} scale on {plan['vendor']}: "
            f"{scale.learners:,} learners, {scale.teams} teams (big team {scale.big_team:,}); "
            f"{timing.rounds} interleaved rounds × {timing.seconds} s per case, "
            f"wrk -c{timing.connections} (-c2 for {', '.join(sorted(SLOW_CASES))}), "
            f"gunicorn -w 2; {elapsed:.0f} s in all\n"
        )
        print(report.table(page_rows, growth))
        if ratio:
            print("\nRatios (median of per-round pairs):")
            for key, value in ratio.items():
                print(f"  {key:<28} {value}")
        print("\nTails:")
        print(tails.text(tails_found) if "pages" in tails_found else f"  {tails_found}")
        print("\nDigest:")
        print(report.digest_text(digest))
        if found:
            print("\nTargets:")
            print(report.targets_text(found))

        if args.json:
            document = {
                "pages": page_rows,
                "ratios": ratio,
                "queries_growth": growth,
                "digest": digest,
                "tails": tails_found,
                "targets": [t.as_dict() for t in found],
                "run": {
                    "scale": scale.as_dict(),
                    "small_scale": SMALL.as_dict(),
                    "vendor": plan["vendor"],
                    "timing": timing.__dict__,
                    "seed_seconds": plan["timings"],
                    "rows": plan["rows"],
                    "lesson_body_bytes": plan["lesson_body_bytes"],
                    "elapsed_seconds": round(elapsed, 1),
                    "cpus": os.cpu_count(),
                },
            }
            _write_json(args.json, document)
        return _exit_status(args, found)
    finally:
        server.stop()
        if args.keep:
            log(f"Kept {workdir} and the databases {small_db.name}, {large_db.name}")
        else:
            small_db.drop()
            large_db.drop()
            shutil.rmtree(workdir, ignore_errors=True)


def digest_only(args: argparse.Namespace) -> int:
    """--digest-only: seed the large database, run the digest case, report it. No wrk needed."""
    scale = SCALES[args.scale] if args.scale else (QUICK if args.quick else DEFAULT)
    server_url = os.environ.get("DATABASE_URL") or None
    workdir = Path(tempfile.mkdtemp(prefix="socialcraft-bench-"))
    env = base_env(workdir)
    large_db = ThrowawayDatabase(label=scale.name, workdir=workdir, server_url=server_url)
    started = time.perf_counter()
    try:
        log(f"Work folder {workdir}; database on {large_db.vendor}.")
        large_db.create()
        log(f"Seeding the {scale.name} database ({scale.learners:,} learners)")
        plan = probe(env, large_db, workdir, scale=scale.name, collectstatic=True)
        log(f"  seeded in {plan['timings']['people_s']:.1f} s")
        log("Digest case (learner digests: a smaller dispatch, the full one, then managers)")
        digest = run_digest(env, large_db, workdir)
        found = report.digest_targets(digest)
        elapsed = time.perf_counter() - started
        print(
            f"\nSocialcraft benchmark, digest case only — {scale.name} scale on "
            f"{plan['vendor']}: {scale.learners:,} learners; {elapsed:.0f} s in all\n"
        )
        print("Digest:")
        print(report.digest_text(digest))
        if found:
            print("\nTargets:")
            print(report.targets_text(found))
        if args.json:
            document = {
                "pages": {},
                "ratios": {},
                "queries_growth": {},
                "digest": digest,
                "tails": {"skipped": "--digest-only"},
                "targets": [t.as_dict() for t in found],
                "run": {
                    "scale": scale.as_dict(),
                    "vendor": plan["vendor"],
                    "digest_only": True,
                    "seed_seconds": plan["timings"],
                    "rows": plan["rows"],
                    "elapsed_seconds": round(elapsed, 1),
                    "cpus": os.cpu_count(),
                },
            }
            _write_json(args.json, document)
        return _exit_status(args, found)
    finally:
        if args.keep:
            log(f"Kept {workdir} and the database {large_db.name}")
        else:
            large_db.drop()
            shutil.rmtree(workdir, ignore_errors=True)
