"""Waiting for another process (a worker, a node) to have done something."""

import time


def wait_for(condition, timeout: float = 30.0, every: float = 0.1) -> bool:
    """True as soon as `condition()` is; False after `timeout` seconds of it not being."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False
