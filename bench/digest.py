"""The digest case: a full weekly dispatch of learner digests, against its floor.

`python -m bench.digest --out PATH` (the harness runs it after the page rounds, against the
large database). It picks a `now` at which every seeded learner's digest is due (a Tuesday,
12:00 UTC: Monday 08:00 local, the default slot, has passed in every seeded time zone and the
two-day catch-up has not), then runs, each in a fresh process so that memory figures start
from the same place:

1. **the full dispatch**: the dispatcher's own `recipients_due()` scan, then every due learner
   in batches of the production batch size (`notifications.dispatch.BATCH_SIZE`) through the real
   `notifications.digests.send_learner_digests(user_ids=..., now=...)`, with the real message
   service (ledger claim, Message-ID and unsubscribe headers, mark sent) and Django's locmem
   mail backend (`mail.outbox` is emptied after every batch);
2. **the floor**, in the same process and interleaved with the batches (after each batch, as
   many emails as that batch sent): per email, `messaging.build_context` (the signed
   unsubscribe links), `messaging.render` of the same three templates and
   `messaging.build_email` (the same EmailMultiAlternatives with the same headers), handed to
   the same locmem backend, from digests captured before the run from a sample of the same
   learners. A connection blocker fails the run if the floor touches the database;
3. the same dispatch for its first 2,000 learners (half of them, in whole batches, when fewer
   than 4,000 are due), so reads per batch and peak memory can be compared across sizes: the
   same first batches (the seeded big team, with five tracks each, comes first, so they are
   the heaviest), then more of them;
4. the manager digests (`send_manager_digests`) as before: every manager, the big team's
   first, in batches of 10 after a first batch of 2.

Every ledger row of the learner digests is deleted before each dispatch (the database is
throw-away), so both runs really send. Queries are counted with an execute wrapper (no SQL kept
in memory). Peak memory: `VmHWM` after the run minus `VmRSS` just before it, the high-water mark
reset through /proc/self/clear_refs after the warm-up (falls back to sampling `VmRSS` after
every batch where that is not available).

Per learner means per learner who got a message (learners with nothing to hear get none): the
floor builds exactly as many emails as the run sent, so `ratio_to_floor` is simply the run's
time over the floor's.
"""

import argparse
import gc
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

SMALL_LEARNERS = 2_000  # the comparison run at default scale
FLOOR_SAMPLE = 100  # learners whose digests the floor renders, spread over the run's recipients
MANAGER_BATCH = 10
LOCMEM = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
WRITES = {"INSERT", "UPDATE", "DELETE", "REPLAC"}


def digest_now(reference: datetime | None = None) -> datetime:
    """The latest Tuesday 12:00 UTC at or before `reference`: every seeded learner is due."""
    reference = reference or datetime.now(UTC)
    moment = reference.astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    moment -= timedelta(days=(moment.weekday() - 1) % 7)
    return moment if moment <= reference else moment - timedelta(days=7)


class QueryCounter:
    """An execute wrapper that counts statements by their first word, keeping no SQL."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        self.counts[sql.lstrip()[:6].upper()] += 1
        return execute(sql, params, many, context)

    def split(self) -> tuple[int, int, int]:
        """(reads, writes, other) so far."""
        reads = self.counts["SELECT"]
        writes = sum(n for kind, n in self.counts.items() if kind in WRITES)
        return reads, writes, sum(self.counts.values()) - reads - writes


def no_database(execute, sql, params, many, context):
    raise AssertionError(f"the digest floor touched the database: {sql[:120]}")


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


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


def _use_locmem() -> None:
    from django.conf import settings
    from django.core import mail

    settings.MAILERS = LOCMEM
    mail.outbox = []


def _clear_ledger() -> None:
    from ledger.models import Message
    from notifications import digests

    Message.objects.filter(kind=digests.LEARNER_DIGEST).delete()


# -- the floor ---------------------------------------------------------------------------


class Floor:
    """The same emails without the database: digests captured up front from a sample of the
    run's learners (their values are plain attributes by then), rendered and built per email."""

    def __init__(self, user_ids: list[int], *, now: datetime) -> None:
        from django.urls import reverse

        from ledger import messaging
        from notifications import digests

        step = max(1, len(user_ids) // FLOOR_SAMPLE)
        sample = user_ids[::step][:FLOOR_SAMPLE]
        built = digests.build_learner_digests(sample, now=now)
        blocked = digests.opted_out([d.user.email for d in built], digests.LEARNER_DIGEST)
        self.digests = [d for d in built if d.has_news and d.user.email.lower() not in blocked]
        self.me_url = messaging.absolute(reverse("progress:me"))
        self.journal_url = messaging.absolute(reverse("practice:journal"))
        self.next = 0

    def email(self, digest):
        from ledger import messaging
        from notifications import digests

        kind = digests.LEARNER_DIGEST
        context = messaging.build_context(
            kind=kind,
            to_email=digest.user.email,
            recipient=digest.user,
            context={"digest": digest, "me_url": self.me_url, "journal_url": self.journal_url},
        )
        rendered = messaging.render(kind, context)
        return messaging.build_email(
            key=digests.digest_key(kind, digest.user.pk, digest.week),
            kind=kind,
            to_email=digest.user.email,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )

    def send(self, count: int) -> None:
        """Build `count` emails (cycling through the sample) and hand each to the backend.
        The outbox is emptied after each, so the floor adds nothing to the run's peak memory."""
        from django.core import mail
        from django.db import connection

        with connection.execute_wrapper(no_database):
            for _ in range(count):
                digest = self.digests[self.next % len(self.digests)]
                self.next += 1
                self.email(digest).send()
                mail.outbox.clear()

    def matches(self) -> list[int]:
        """[emails whose subject and text equal the run's own (unsubscribe tokens, which carry
        a timestamp, aside), sample size]: the floor builds the same emails."""
        from ledger.models import Message
        from notifications import digests

        token = re.compile(r"/unsubscribe/[^/\s>]+/")

        def key(digest) -> str:
            return digests.digest_key(digests.LEARNER_DIGEST, digest.user.pk, digest.week)

        sent = {m.key: m for m in Message.objects.filter(key__in=[key(d) for d in self.digests])}
        same = 0
        for digest in self.digests:
            email = self.email(digest)
            message = sent.get(key(digest))
            if (
                message is not None
                and message.subject == email.subject
                and token.sub("", message.body_text) == token.sub("", email.body)
            ):
                same += 1
        return [same, len(self.digests)]


# -- one dispatch, in its own process -----------------------------------------------------


def dispatch(*, learners: int | None, now: datetime) -> dict:
    """recipients_due + every batch through send_learner_digests, the floor interleaved."""
    from django.core import mail
    from django.db import connection

    from notifications import digests, tasks

    batch_size = tasks.BATCH_SIZE
    _clear_ledger()
    _use_locmem()
    counter = QueryCounter()

    wall, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        due = digests.recipients_due(digests.LEARNER_DIGEST, now=now)
    scan_wall, scan_cpu = time.perf_counter() - wall, time.process_time() - cpu
    scan_queries = sum(counter.counts.values())
    ids = due if learners is None else due[:learners]

    floor = Floor(ids, now=now)
    if not floor.digests:
        return {"error": "none of the sampled learners has a digest to send"}
    floor.send(len(floor.digests))  # warm-up: templates loaded, email machinery imported
    floor.next = 0
    mail.outbox = []
    gc.collect()
    baseline_kb = _status_kb("VmRSS") or 0
    peak_reset = _reset_peak()
    samples_kb = [baseline_kb]

    counter.counts.clear()
    batches = []
    run_wall = run_cpu = floor_wall = floor_cpu = 0.0
    database = 0.0 if _database_cpu() is not None else None
    for batch in itertools.batched(ids, batch_size):
        db_start = _database_cpu() if database is not None else None
        before = counter.split()
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(counter):
            sent = digests.send_learner_digests(user_ids=list(batch), now=now)
        run_wall += time.perf_counter() - wall
        run_cpu += time.process_time() - cpu
        if database is not None:
            database += (_database_cpu() or 0.0) - (db_start or 0.0)
        after = counter.split()
        reads, writes, other = (a - b for a, b in zip(after, before, strict=True))
        batches.append(
            {"size": len(batch), "sent": sent, "reads": reads, "writes": writes, "other": other}
        )
        mail.outbox = []
        wall, cpu = time.perf_counter(), time.process_time()
        floor.send(sent)
        floor_wall += time.perf_counter() - wall
        floor_cpu += time.process_time() - cpu
        mail.outbox = []
        samples_kb.append(_status_kb("VmRSS") or 0)
    peak_kb = (_status_kb("VmHWM") if peak_reset else None) or max(samples_kb)

    messages = sum(b["sent"] for b in batches)
    reads, writes, other = counter.split()
    full = [b for b in batches if b["size"] == batch_size]
    per_batch_reads = sorted({b["reads"] for b in full}) or sorted({b["reads"] for b in batches})
    seconds, cpu_seconds = scan_wall + run_wall, scan_cpu + run_cpu

    def per(value: float, count: int) -> float | None:
        return round(1000 * value / count, 4) if count else None

    return {
        "learners": len(ids),
        "batch_size": batch_size,
        "batches": len(batches),
        "full_batches": len(full),
        "messages": messages,
        "without_message": len(ids) - messages,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "scan_seconds": round(scan_wall, 3),
        # per learner who got a message (see the module's docstring); the scan is included
        "ms_per_learner": per(seconds, messages),
        "cpu_ms_per_learner": per(cpu_seconds, messages),
        "ms_per_recipient": per(seconds, len(ids)),  # per learner dispatched, message or not
        "db_cpu_ms_per_learner": per(database, messages) if database is not None else None,
        "floor_emails": messages,
        "floor_seconds": round(floor_wall, 3),
        "floor_ms_per_learner": per(floor_wall, messages),
        "floor_cpu_ms_per_learner": per(floor_cpu, messages),
        "ratio_to_floor": round(seconds / floor_wall, 3) if floor_wall else None,
        "cpu_ratio_to_floor": round(cpu_seconds / floor_cpu, 3) if floor_cpu else None,
        "floor_sample": len(floor.digests),
        "floor_matches_run": floor.matches(),
        "queries": reads + writes + other + scan_queries,
        "scan_queries": scan_queries,
        "reads": reads,
        "writes": writes,
        "other_statements": other,
        "read_queries_per_batch": max(per_batch_reads) if per_batch_reads else None,
        "read_queries_per_batch_seen": per_batch_reads,  # every full batch's reads, distinct
        "writes_per_message": round(writes / messages, 4) if messages else None,
        "peak_rss_delta_mb": round((peak_kb - baseline_kb) / 1024, 2),
        "rss_retained_mb": round((samples_kb[-1] - baseline_kb) / 1024, 2),
        "rss_after_batches_mb": [round((kb - baseline_kb) / 1024, 1) for kb in samples_kb[1:]],
        "peak_from": "VmHWM reset" if peak_reset else "VmRSS after each batch",
    }


# -- manager digests (as before) -----------------------------------------------------------


def _managers() -> list[int]:
    """Every manager, the big team's first (its summary is the largest)."""
    from learners.models import Membership, User

    from .seed import BENCH_MANAGER

    ids = list(
        Membership.objects.filter(role=Membership.Role.MANAGER)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    first = User.objects.get(email=BENCH_MANAGER).pk
    return [first, *[i for i in ids if i != first]]


def managers(*, now: datetime) -> dict:
    from django.db import connection

    from ledger.models import Message
    from notifications import digests

    _use_locmem()
    chosen = _managers()
    small, rest = chosen[:2], chosen[2:]
    batches = [small] + [rest[i : i + MANAGER_BATCH] for i in range(0, len(rest), MANAGER_BATCH)]
    Message.objects.filter(kind=digests.MANAGER_DIGEST).delete()
    per_batch = []
    wall = cpu = 0.0
    for ids in batches:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            try:
                digests.send_manager_digests(user_ids=list(ids), now=now)
            except Exception as error:
                return {"error": f"send_manager_digests raised {type(error).__name__}: {error}"}
            wall += time.perf_counter() - start_wall
            cpu += time.process_time() - start_cpu
        reads, writes, other = counter.split()
        per_batch.append({"size": len(ids), "queries": reads + writes + other, "reads": reads})
    full = [b for b in per_batch[1:] if b["size"] == MANAGER_BATCH]
    return {
        "recipients": len(chosen),
        "batch_size": MANAGER_BATCH,
        "batches": len(batches),
        "messages": Message.objects.filter(kind=digests.MANAGER_DIGEST).count(),
        "ms_per_recipient": round(1000 * wall / len(chosen), 3),
        "cpu_ms_per_recipient": round(1000 * cpu / len(chosen), 3),
        "queries_per_recipient": round(sum(b["queries"] for b in per_batch) / len(chosen), 2),
        # [first batch of 2, the most of any full batch]: reads should not grow with the batch
        "queries_growth": [
            per_batch[0]["queries"],
            max((b["queries"] for b in full), default=None),
        ],
        "reads_growth": [per_batch[0]["reads"], max((b["reads"] for b in full), default=None)],
        "queries_growth_sizes": [per_batch[0]["size"], MANAGER_BATCH],
        "seconds": round(wall, 2),
    }


# -- the whole case ------------------------------------------------------------------------


def _child(learners: int | None, now: datetime, out: Path) -> dict:
    command = [
        sys.executable, "-m", "bench.digest",
        "--dispatch", "--now", now.isoformat(), "--out", str(out),
    ]  # fmt: skip
    if learners is not None:
        command += ["--learners", str(learners)]
    result = subprocess.run(command, check=False)
    if result.returncode != 0 or not out.exists():
        return {"error": f"bench.digest --dispatch exited with {result.returncode}"}
    return json.loads(out.read_text())


def run(*, out: Path) -> dict:
    """The small dispatch, the full one (each in its own process), then the managers."""
    from django.db import connection

    try:
        from notifications import digests, tasks
    except Exception as error:  # a module being rewritten may fail to import in any way
        return {"error": f"notifications.digests failed to import: {type(error).__name__}: {error}"}

    now = digest_now()
    _clear_ledger()
    due = len(digests.recipients_due(digests.LEARNER_DIGEST, now=now))
    batch = tasks.BATCH_SIZE
    small = SMALL_LEARNERS if due >= 2 * SMALL_LEARNERS else max(batch, due // 2 // batch * batch)
    connection.close()  # the children write; this process only waits

    small_run = _child(min(small, due), now, out.with_suffix(".small.json"))
    full_run = _child(None, now, out.with_suffix(".full.json"))
    if "error" in full_run:
        return full_run
    result = dict(full_run)
    result["now"] = now.isoformat()
    if "error" not in small_run:
        sizes = [small_run["learners"], full_run["learners"]]
        reads = [small_run["read_queries_per_batch"], full_run["read_queries_per_batch"]]
        peaks = [small_run["peak_rss_delta_mb"], full_run["peak_rss_delta_mb"]]
        result["growth"] = {
            "learners": sizes,
            "read_queries_per_batch": reads,
            "reads_same": len(
                {
                    *small_run["read_queries_per_batch_seen"],
                    *full_run["read_queries_per_batch_seen"],
                }
            )
            == 1,
            "peak_rss_delta_mb": peaks,
            "peak_rss_vs_small": round(peaks[1] / peaks[0], 3) if peaks[0] > 0 else None,
            "ms_per_learner": [small_run["ms_per_learner"], full_run["ms_per_learner"]],
            "ratio_to_floor": [small_run["ratio_to_floor"], full_run["ratio_to_floor"]],
        }
    result["small"] = small_run
    result["manager"] = managers(now=now)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--dispatch", action="store_true", help="one learner dispatch in this process"
    )
    parser.add_argument("--learners", type=int, help="with --dispatch: the first N due learners")
    parser.add_argument("--now", help="with --dispatch: ISO timestamp")
    args = parser.parse_args(argv)
    import django

    django.setup()
    if args.dispatch:
        now = datetime.fromisoformat(args.now) if args.now else digest_now()
        result = dispatch(learners=args.learners, now=now)
    else:
        result = run(out=args.out)
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.exit(main())
