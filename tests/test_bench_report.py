"""The benchmark's report (bench/report.py): a run of some cases (--cases) still gets the
ratios and targets its cases allow, paired round by round."""

from bench import report
from bench.load import Measurement


def measured(case: str, round_: int, cpu_ms: float) -> Measurement:
    return Measurement(
        case=case, round=round_, requests=100, served=100, seconds=2.0, rps=1000 / cpu_ms,
        p50_ms=cpu_ms, p99_ms=cpu_ms * 2, cpu_ms=cpu_ms, db_cpu_ms=None, errors=0,
        workers_changed=False, bodies_available=None,
    )  # fmt: skip


def test_a_run_of_some_cases_gets_their_ratios_and_targets_only():
    # Round 2 ran slower throughout: pairing within a round keeps the ratio steady.
    rounds = [{"bare_auth": 1.0, "lesson": 3.0, "roster": 5.4}, {"bare_auth": 2.0, "lesson": 6.0, "roster": 13.2}]  # fmt: skip
    measurements = [
        measured(case, number, cpu) for number, cases in enumerate(rounds, 1)
        for case, cpu in cases.items()
    ]  # fmt: skip

    ratio = report.ratios(measurements)

    assert ratio["roster_cpu_vs_lesson"] == 2.0  # the median of 1.8 and 2.2
    assert ratio["lesson_cpu_vs_bare"] == 3.0
    assert "team_50_cpu_vs_lesson" not in ratio and "me_cpu_vs_lesson" not in ratio

    growth = {"lesson": [3, 3], "roster": [5, 6]}
    scale = {"big_team": 50}
    found = {t.name: t for t in report.targets(ratio, growth, scale, {"big_team": 1000})}
    assert set(found) == {
        "lesson_cpu_vs_bare", "lesson_rps_vs_bare", "queries lesson", "queries roster",
        "roster_cpu_vs_lesson",
    }  # fmt: skip
    assert found["roster_cpu_vs_lesson"].passed  # 2.0: at the limit
    assert not found["queries roster"].passed  # one more query on the larger database
    assert found["queries lesson"].passed
