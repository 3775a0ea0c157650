"""The per-worker request counters bench.wsgi writes and the harness reads (no Django here)."""

import struct
from pathlib import Path

COUNTER = struct.Struct("<qq")  # requests started, requests finished


def read_counts(directory: Path, pids: list[int]) -> tuple[int, int]:
    """(started, finished) summed over the given workers' files."""
    started = finished = 0
    for pid in pids:
        path = directory / f"requests-{pid}"
        if path.exists():
            data = path.read_bytes()[: COUNTER.size]
            if len(data) == COUNTER.size:
                a, b = COUNTER.unpack(data)
                started, finished = started + a, finished + b
    return started, finished
