"""The digest case: the cost of sending weekly digests, per recipient and per batch.

Runs when `progress.digests` exposes batch entry points that take `user_ids` (DESIGN.md §6: a
dispatcher enqueues batches, each batch a task): `send_batch(user_ids=...)`, or one sender per
kind such as `send_learner_digests(user_ids=..., now=...)` and `send_manager_digests(...)`.
Otherwise the report says why it was skipped. The harness runs it after the page rounds, in its
own process against the large database: `python -m bench.digest --out PATH`.

For each entry point: wall and CPU time per recipient (this process, plus the PostgreSQL
backend's CPU when the server is local; with SQLite the database work is in the process),
queries per recipient, queries of a 10-recipient batch and of a full one (they should not grow
with the batch), and the messages recorded in the ledger.
"""

import argparse
import importlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

# Arguments the bench knows how to supply besides user_ids.
SUPPLIED = {"now"}
MANAGER_BATCH = 10


def entry_points() -> tuple[dict, str]:
    """({name: function}, "") for progress.digests' batch senders; ({}, reason) otherwise."""
    try:
        module = importlib.import_module("progress.digests")
    except ImportError as error:
        return {}, f"progress.digests is not available yet ({error})"
    except Exception as error:  # a module being written may fail to import in any way
        return {}, f"progress.digests failed to import: {error.__class__.__name__}: {error}"
    found, refused = {}, []
    for name in sorted(dir(module)):
        if not name.startswith("send_"):
            continue
        candidate = getattr(module, name)
        function = getattr(candidate, "run", candidate)  # a Celery task runs in-process
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        if "user_ids" not in parameters:
            continue
        required = {
            p.name
            for p in parameters.values()
            if p.default is inspect.Parameter.empty
            and p.name not in {"user_ids", "self"}
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        if required - SUPPLIED:
            refused.append(f"{name} also requires {', '.join(sorted(required - SUPPLIED))}")
            continue
        found[name] = (function, required)
    if found:
        return found, ""
    if refused:
        return {}, "progress.digests' batch senders need arguments the bench can't supply: " + (
            "; ".join(refused)
        )
    return {}, "progress.digests has no batch entry point yet (send_batch(user_ids=...))"


def _database_cpu() -> float | None:
    """CPU seconds of this process's PostgreSQL backend, when the server is on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _recipients(name: str, count: int) -> list[int]:
    """Every n-th learner (with enrolments) across teams, or the managers (the big team's
    first: its summary is the largest)."""
    from learners.models import Membership, User
    from progress.models import Enrolment

    from .seed import BENCH_MANAGER

    if "manager" in name:
        ids = list(
            Membership.objects.filter(role=Membership.Role.MANAGER)
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()
        )
        first = User.objects.get(email=BENCH_MANAGER).pk
        return [first, *[i for i in ids if i != first]][: max(MANAGER_BATCH * 2, count // 10)]
    ids = list(
        Enrolment.objects.order_by("learner_id").values_list("learner_id", flat=True).distinct()
    )
    step = max(1, len(ids) // count)
    return ids[::step][:count]


def run_one(name: str, function, required: set[str], *, recipients: int, batch: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from progress.models import Message

    chosen = _recipients(name, recipients)
    size = MANAGER_BATCH if "manager" in name else batch
    small = chosen[: 10 if size > 10 else 2]
    rest = chosen[len(small) :]
    batches = [small] + [rest[i : i + size] for i in range(0, len(rest), size)]
    messages_before = Message.objects.count()
    per_batch = []
    wall = cpu = 0.0
    database = 0.0 if _database_cpu() is not None else None
    queries = 0
    for ids in batches:
        kwargs = {"user_ids": list(ids)}
        if "now" in required:
            kwargs["now"] = timezone.now()
        with CaptureQueriesContext(connection) as captured:
            db_start = _database_cpu()
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            try:
                function(**kwargs)
            except Exception as error:
                return {"error": f"{name} raised {error.__class__.__name__}: {error}"}
            wall += time.perf_counter() - wall_start
            cpu += time.process_time() - cpu_start
            if database is not None:
                database += (_database_cpu() or 0.0) - (db_start or 0.0)
        queries += len(captured)
        reads = sum(
            1 for q in captured.captured_queries if q["sql"].lstrip()[:6].upper() == "SELECT"
        )
        per_batch.append({"size": len(ids), "queries": len(captured), "reads": reads})
    full = [b for b in per_batch[1:] if b["size"] == size]
    return {
        "recipients": len(chosen),
        "batch_size": size,
        "batches": len(batches),
        "messages": Message.objects.count() - messages_before,
        "ms_per_recipient": round(1000 * wall / len(chosen), 3),
        "cpu_ms_per_recipient": round(1000 * cpu / len(chosen), 3),
        "db_cpu_ms_per_recipient": round(1000 * database / len(chosen), 3)
        if database is not None
        else None,
        "queries_per_recipient": round(queries / len(chosen), 2),
        # [queries of the first, small batch, the most queries of any full batch]; reads alone
        # should not grow with the batch (writes may: one ledger update per message sent)
        "queries_growth": [
            per_batch[0]["queries"],
            max((b["queries"] for b in full), default=None),
        ],
        "reads_growth": [per_batch[0]["reads"], max((b["reads"] for b in full), default=None)],
        "queries_growth_sizes": [per_batch[0]["size"], size],
        "seconds": round(wall, 2),
    }


def run(*, recipients: int, batch: int) -> dict:
    found, reason = entry_points()
    if not found:
        return {"skipped": reason}
    return {
        f"progress.digests.{name}": run_one(
            name, function, required, recipients=recipients, batch=batch
        )
        for name, (function, required) in found.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    import django

    django.setup()
    result = run(recipients=args.recipients, batch=args.batch_size)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.exit(main())
