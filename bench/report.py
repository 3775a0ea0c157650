"""From measurements to the report: medians over rounds, paired ratios, targets, table, JSON."""

import math
import statistics
from dataclasses import dataclass

from .config import BASELINE, CASES
from .load import Measurement
from .tails import P99_OVER_P50


def _median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def paired_ratio(measurements: list[Measurement], case: str, against: str, metric: str) -> float:
    """Median over rounds of case/against, each pair measured in the same round: drift in the
    machine's speed during the run hits both sides of a pair alike."""
    by_round: dict[int, dict[str, float]] = {}
    for m in measurements:
        by_round.setdefault(m.round, {})[m.case] = getattr(m, metric)
    ratios = [
        pair[case] / pair[against]
        for pair in by_round.values()
        if case in pair and against in pair and pair[against]
    ]
    return _median(ratios)


def pages(measurements: list[Measurement], plan: dict, small_plan: dict, checks: dict) -> dict:
    result = {}
    for case in CASES:
        rows = [m for m in measurements if m.case == case]
        if not rows:
            continue
        cpu = [m.cpu_ms for m in rows]
        median_cpu = _median(cpu)
        db = [m.db_cpu_ms for m in rows if m.db_cpu_ms is not None]
        result[case] = {
            "rps": round(_median([m.rps for m in rows]), 1),
            "p50_ms": round(_median([m.p50_ms for m in rows]), 2),
            "p99_ms": round(_median([m.p99_ms for m in rows]), 2),
            "cpu_ms": round(median_cpu, 3),
            "queries": plan["cases"][case]["queries"],
            "cpu_vs_bare": round(paired_ratio(measurements, case, BASELINE, "cpu_ms"), 3),
            "rps_vs_bare": round(paired_ratio(measurements, case, BASELINE, "rps"), 3),
            "cpu_spread_pct": round(100 * (max(cpu) - min(cpu)) / 2 / median_cpu, 1)
            if median_cpu
            else None,
            "rps_rounds": [round(m.rps, 1) for m in rows],
            "cpu_ms_rounds": [round(m.cpu_ms, 3) for m in rows],
            "db_cpu_ms": round(_median(db), 3) if db else None,
            "total_cpu_vs_bare": round(
                paired_ratio(measurements, case, BASELINE, "total_cpu_ms"), 3
            )
            if db
            else None,
            "requests": sum(m.requests for m in rows),
            "errors": sum(m.errors for m in rows),
            "bytes": checks.get(case, {}).get("bytes"),
        }
        if plan["cases"][case]["method"] == "POST":
            result[case]["tokens_ran_out"] = any(
                m.bodies_available is not None and m.served > m.bodies_available for m in rows
            )
    return result


# name: (case, against it, metric). A run of some cases (--cases) gets the ratios whose two
# cases it measured, and the targets on them.
RATIOS = {
    "lesson_cpu_vs_bare": ("lesson", BASELINE, "cpu_ms"),
    "lesson_rps_vs_bare": ("lesson", BASELINE, "rps"),
    "lesson_long_vs_lesson_rps": ("lesson_long", "lesson", "rps"),
    "team_50_cpu_vs_lesson": ("team_50", "lesson", "cpu_ms"),
    "team_all_cpu_vs_lesson": ("team_all", "lesson", "cpu_ms"),
    "me_cpu_vs_bare": ("me", BASELINE, "cpu_ms"),
    "me_cpu_vs_lesson": ("me", "lesson", "cpu_ms"),
    "roster_cpu_vs_lesson": ("roster", "lesson", "cpu_ms"),
    "team_staff_cpu_vs_lesson": ("team_staff", "lesson", "cpu_ms"),
    # The dashboard of a team of three against the big team's: flat in team size.
    "team_50_cpu_vs_team_3": ("team_50", "team_3", "cpu_ms"),
}
# With PostgreSQL most of a heavy page's work happens in the database server: the same ratios
# over workers + database CPU (informational; the targets use the workers').
TOTAL_RATIOS = {
    "lesson_total_cpu_vs_bare": ("lesson", BASELINE, "total_cpu_ms"),
    "team_50_total_cpu_vs_lesson": ("team_50", "lesson", "total_cpu_ms"),
    "team_all_total_cpu_vs_lesson": ("team_all", "lesson", "total_cpu_ms"),
}


def ratios(measurements: list[Measurement]) -> dict:
    measured = {m.case for m in measurements}
    wanted = dict(RATIOS)
    if any(m.db_cpu_ms is not None for m in measurements):
        wanted |= TOTAL_RATIOS
    return {
        name: round(paired_ratio(measurements, case, against, metric), 3)
        for name, (case, against, metric) in wanted.items()
        if case in measured and against in measured
    }


def queries_growth(small_plan: dict, plan: dict) -> dict:
    return {
        case: [small_plan["cases"][case]["queries"], plan["cases"][case]["queries"]]
        for case in CASES
        if case in plan["cases"] and case in small_plan["cases"]
    }


@dataclass
class Target:
    name: str
    value: object
    limit: str
    passed: bool

    def as_dict(self) -> dict:
        return {"target": self.name, "value": self.value, "limit": self.limit, "pass": self.passed}


# (ratio, limit as the report says it, the test): each checked when the run measured it.
LESSON_TARGETS = [
    ("lesson_cpu_vs_bare", "<= 4.0 (aim 3.0)", lambda value: value <= 4.0),
    ("lesson_rps_vs_bare", ">= 0.25", lambda value: value >= 0.25),
    ("lesson_long_vs_lesson_rps", ">= 0.9", lambda value: value >= 0.9),
]
PAGE_TARGETS = [
    ("team_50_cpu_vs_lesson", "<= 2.0", lambda value: value <= 2.0),
    ("roster_cpu_vs_lesson", "<= 2.0", lambda value: value <= 2.0),
    ("me_cpu_vs_lesson", "<= 4.0", lambda value: value <= 4.0),
    ("team_staff_cpu_vs_lesson", "<= 3.0", lambda value: value <= 3.0),
    ("team_all_cpu_vs_lesson", "<= 25", lambda value: value <= 25),
]
QUERY_BUDGETS = {"lesson": 8, "track": 8, "me": 8}  # and 10 for the team pages below
TEAM_PAGES = ("team_50", "team_all", "team_staff", "roster", "roster_lost")


def targets(ratio: dict, growth: dict, small_scale: dict, scale: dict) -> list[Target]:
    """The targets on what the run measured (every one of them in a full run)."""
    found = _ratio_targets(ratio, LESSON_TARGETS)
    for case, budget in QUERY_BUDGETS.items():
        if case in growth:
            small, large = growth[case]
            found.append(
                Target(f"queries {case}", f"{small} -> {large}",
                       f"<= {budget}, same on small and large DB",
                       large <= budget and small == large)
            )  # fmt: skip
    people = f"{small_scale['big_team']} and {scale['big_team']} people"
    for case in TEAM_PAGES:
        if case in growth:
            small, large = growth[case]
            found.append(
                Target(f"queries {case}", f"{small} -> {large}", f"<= 10, same for {people}",
                       large <= 10 and small == large)
            )  # fmt: skip
    return found + _ratio_targets(ratio, PAGE_TARGETS)


def _ratio_targets(ratio: dict, wanted: list) -> list[Target]:
    return [
        Target(name, ratio[name], limit, passes(ratio[name]))
        for name, limit, passes in wanted
        if name in ratio
    ]


def table(page_rows: dict, growth: dict) -> str:
    with_db = any(row.get("db_cpu_ms") is not None for row in page_rows.values())
    db_header = f" {'db ms':>7}" if with_db else ""
    header = (
        f"{'case':<12} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms':>8} {'±%':>5}{db_header} "
        f"{'cpu×bare':>8} {'rps×bare':>8} {'queries':>7} {'small→large':>11} {'bytes':>8}"
    )
    lines = [header, "-" * len(header)]
    for case, row in page_rows.items():
        small, large = growth.get(case, (None, None))
        spread = row["cpu_spread_pct"]
        db = ""
        if with_db:
            db = f" {row['db_cpu_ms']:>7.2f}" if row.get("db_cpu_ms") is not None else f" {'':>7}"
        lines.append(
            f"{case:<12} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['cpu_ms']:>8.2f} {spread if spread is not None else '':>5}{db} "
            f"{row['cpu_vs_bare']:>8.2f} {row['rps_vs_bare']:>8.3f} {row['queries']:>7} "
            f"{f'{small}→{large}':>11} {row['bytes'] or '':>8}"
        )
    return "\n".join(lines)


def targets_text(found: list[Target]) -> str:
    width = max(len(t.name) for t in found)
    return "\n".join(
        f"{'PASS' if t.passed else 'MISS'}  {t.name:<{width}}  {t.value!s:>10}  ({t.limit})"
        for t in found
    )


def tails_targets(tails: dict) -> list[Target]:
    """Four workers, 32 connections (bench.tails): tails, errors, one attempt per form."""
    if "pages" not in tails:
        return []
    found = [
        Target(f"tails {name} p99_over_p50", page["p99_over_p50"], f"<= {P99_OVER_P50}, no errors",
               page["p99_over_p50"] is not None and page["p99_over_p50"] <= P99_OVER_P50
               and page["errors"] == 0)
        for name, page in tails["pages"].items()
    ]  # fmt: skip
    quiz = tails["quiz_duplicates"]
    found.append(
        Target("tails one attempt per quiz form", quiz["most_attempts_for_one_token"],
               f"== 1 for all {quiz['tokens']} forms sent {quiz['sent_each']}x, no errors",
               quiz["most_attempts_for_one_token"] == 1 and quiz["errors"] == 0
               and quiz["tokens_with_an_attempt"] == quiz["tokens"])
    )  # fmt: skip
    return found


# -- the digest case ---------------------------------------------------------------------


def digest_targets(digest: dict) -> list[Target]:
    """The learner digest's budget: against its floor, reads per batch, ledger writes, memory.
    Nothing when the case was skipped or failed (the report says why)."""
    if "ratio_to_floor" not in digest:
        return []
    growth = digest.get("growth") or {}
    sizes = growth.get("learners") or [None, digest["learners"]]
    at = f"{sizes[0]:,} and {sizes[1]:,} learners" if sizes[0] else "both sizes (not run)"
    reads = growth.get("read_queries_per_batch") or [None, digest["read_queries_per_batch"]]
    peaks = growth.get("peak_rss_delta_mb") or [None, digest["peak_rss_delta_mb"]]
    ratio, writes = digest["ratio_to_floor"], digest["writes_per_message"]
    found = [
        Target("digest ratio_to_floor", ratio, "<= 1.5 (aim 1.2)",
               ratio is not None and ratio <= 1.5),
        Target("digest read_queries_per_batch", f"{reads[0]} -> {reads[1]}",
               f"<= 6 (aim 4), the same at {at}",
               reads[1] is not None and reads[1] <= 6 and bool(growth.get("reads_same"))),
        Target("digest writes_per_message", writes, "<= 2 (aim 1)",
               writes is not None and writes <= 2),
    ]  # fmt: skip
    limit = f"<= 16, <= 1.2 x at {sizes[0]:,}" if sizes[0] else "<= 16, <= 1.2 x (not run)"
    found.append(
        Target("digest peak_rss_delta_mb", f"{peaks[0]} -> {peaks[1]}", limit,
               peaks[1] <= 16 and peaks[0] is not None and peaks[1] <= 1.2 * peaks[0])
    )  # fmt: skip
    return found


def digest_text(digest: dict) -> str:
    """The digest figures for the terminal; the JSON has them all."""
    if "ratio_to_floor" not in digest:
        return "  " + "; ".join(f"{k}: {v}" for k, v in digest.items() if k != "manager")
    d = digest
    growth = d.get("growth") or {}
    small = d.get("small") or {}
    lines = [
        f"  learner digests: {d['learners']:,} learners due, batches of {d['batch_size']}, "
        f"locmem backend; {d['messages']:,} sent ({d['without_message']:,} had nothing to "
        f"hear), {d['seconds']:.1f} s (floor {d['floor_seconds']:.1f} s)",
        f"  {'per learner sent':<22} {'run':>8} {'floor':>8} {'ratio':>7}",
        f"  {'wall ms':<22} {d['ms_per_learner']:>8.3f} {d['floor_ms_per_learner']:>8.3f} "
        f"{d['ratio_to_floor']:>7.3f}",
        f"  {'cpu ms':<22} {d['cpu_ms_per_learner']:>8.3f} "
        f"{d['floor_cpu_ms_per_learner']:>8.3f} {d['cpu_ratio_to_floor']:>7.3f}",
        f"  queries {d['queries']:,}: {d['read_queries_per_batch']} reads per full batch, "
        f"{d['writes_per_message']} writes per message; peak RSS +{d['peak_rss_delta_mb']} MB "
        f"(retained +{d['rss_retained_mb']} MB)",
    ]
    if growth:
        lines.append(
            f"  at {growth['learners'][0]:,} learners: {growth['read_queries_per_batch'][0]} "
            f"reads per batch, peak RSS +{growth['peak_rss_delta_mb'][0]} MB, "
            f"{small.get('ms_per_learner')} ms per learner, ratio to floor "
            f"{small.get('ratio_to_floor')}"
        )
    elif "error" in small:
        lines.append(f"  smaller run: {small['error']}")
    manager = d.get("manager") or {}
    if "ms_per_recipient" in manager:
        lines.append(
            f"  manager digests: {manager['recipients']} managers in batches of "
            f"{manager['batch_size']}, {manager['ms_per_recipient']} ms and "
            f"{manager['queries_per_recipient']} queries each; reads {manager['reads_growth']} "
            f"for {manager['queries_growth_sizes']} managers"
        )
    elif manager:
        lines.append(f"  manager digests: {manager}")
    return "\n".join(lines)
