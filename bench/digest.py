"""The digest case: the cost of sending weekly digests, per recipient and per batch.

Runs only when `progress.digests` exposes a batch entry point that takes `user_ids` (the shape
DESIGN.md §6 describes: a dispatcher enqueues batches, each batch a task); otherwise the report
says why it was skipped. The harness runs it after the page rounds, in its own process against
the large database: `python -m bench.digest --out PATH --recipients N --batch-size B`.

Measured: wall and CPU time of this process per recipient (with SQLite the database work is in
the process; with PostgreSQL the server's share is not included), queries per batch for a small
and a full batch (they should not grow with the batch), and the messages recorded in the ledger.
"""

import argparse
import importlib
import inspect
import json
import os
import sys
import time
from pathlib import Path

ENTRY_POINTS = ("send_batch", "send_digest_batch", "send_digests_batch")


def entry_point():
    """(callable, "") when progress.digests has a batch entry point; (None, reason) otherwise."""
    try:
        module = importlib.import_module("progress.digests")
    except ImportError as error:
        return None, f"progress.digests is not available yet ({error})"
    except Exception as error:  # a module being written may fail to import in any way
        return None, f"progress.digests failed to import: {error.__class__.__name__}: {error}"
    for name in ENTRY_POINTS:
        candidate = getattr(module, name, None)
        if candidate is None:
            continue
        function = getattr(candidate, "run", candidate)  # a Celery task runs in-process
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            continue
        if "user_ids" not in parameters:
            continue
        required = [
            p.name
            for p in parameters.values()
            if p.default is inspect.Parameter.empty
            and p.name not in {"user_ids", "self"}
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            return None, f"progress.digests.{name} also requires {', '.join(required)}"
        return function, ""
    return None, (
        "progress.digests has no batch entry point yet (expected "
        + " or ".join(f"{n}(user_ids=...)" for n in ENTRY_POINTS)
        + ")"
    )


def run(*, recipients: int, batch_size: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learners.models import User
    from progress.models import Message

    from .seed import BENCH_MANAGER

    send_batch, reason = entry_point()
    if send_batch is None:
        return {"skipped": reason}
    # Every n-th account: learners and managers in the population's proportions, across teams,
    # plus the manager of the big team (the largest team summary).
    ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // recipients)
    chosen = ids[::step][:recipients]
    bench_manager = User.objects.get(email=BENCH_MANAGER).pk
    if bench_manager not in chosen:
        chosen[-1] = bench_manager
    small = chosen[:10]
    batches = [small] + [chosen[i : i + batch_size] for i in range(10, len(chosen), batch_size)]

    messages_before = Message.objects.count()
    per_batch = []
    wall = cpu = 0.0
    queries = 0
    for batch in batches:
        with CaptureQueriesContext(connection) as captured:
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            try:
                send_batch(user_ids=list(batch))
            except Exception as error:
                return {"error": f"send_batch raised {error.__class__.__name__}: {error}"}
            wall += time.perf_counter() - wall_start
            cpu += time.process_time() - cpu_start
        queries += len(captured)
        per_batch.append({"size": len(batch), "queries": len(captured)})
    messages = Message.objects.count() - messages_before
    full = [b["queries"] for b in per_batch[1:] if b["size"] == batch_size]
    return {
        "entry_point": f"progress.digests.{send_batch.__name__}",
        "recipients": len(chosen),
        "batch_size": batch_size,
        "batches": len(batches),
        "messages": messages,
        "ms_per_recipient": 1000 * wall / len(chosen),
        "cpu_ms_per_recipient": 1000 * cpu / len(chosen),
        "queries_per_recipient": queries / len(chosen),
        "queries_growth": [per_batch[0]["queries"], max(full) if full else None],
        "queries_growth_sizes": [per_batch[0]["size"], batch_size],
        "seconds": wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    import django

    django.setup()
    result = run(recipients=args.recipients, batch_size=args.batch_size)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.exit(main())
