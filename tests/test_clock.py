"""The suite's clock helpers: child processes share a clock moved ahead, and only then."""

import subprocess
import sys

import pytest

from tests.clock import libfaketime, suite_clock_env

_PRINT_TIME = [sys.executable, "-c", "import time; print(time.time())"]


def _child_clock(env: dict[str, str]) -> float:
    done = subprocess.run(_PRINT_TIME, capture_output=True, text=True, env=env, check=True)  # noqa: S603
    return float(done.stdout)


@pytest.mark.skipif(
    libfaketime() is None, reason="libfaketime is missing: run scripts/system-packages"
)
def test_a_child_process_shares_a_clock_moved_ahead():
    plain = {"PATH": "/usr/bin:/bin"}
    moved = suite_clock_env({**plain, "SOCIALCRAFT_CLOCK_OFFSET_DAYS": "30"})
    # Against another child, not this process: in the clock-ahead runs this one is moved too.
    ahead = _child_clock(moved) - _child_clock(plain)
    assert 30 * 86400 - 60 < ahead < 30 * 86400 + 60


def test_without_an_offset_the_environment_is_left_alone():
    env = {"PATH": "/usr/bin:/bin", "LD_PRELOAD": "/some/lib.so"}
    assert suite_clock_env(env) == env
    assert "FAKETIME" not in suite_clock_env({"SOCIALCRAFT_CLOCK_OFFSET_DAYS": "0"})
