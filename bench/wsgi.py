"""The site's WSGI application, counting the requests each gunicorn worker starts and finishes.

The harness reads the counts (one 16-byte shared file per worker) to divide the workers' CPU
time by the requests they actually served, in-flight ones included: wrk's own count misses the
requests still running when it stops, which matters for pages that take a second. The cost is
two integer writes to shared memory per request.
"""

import mmap
import os
from pathlib import Path

from config.wsgi import application as site_application

from .counters import COUNTER


class _Counter:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = 0
        self.memory: mmap.mmap | None = None
        self.started = self.finished = 0

    def _open(self) -> mmap.mmap:
        # One file per worker, opened after the fork.
        self.pid = os.getpid()
        path = self.directory / f"requests-{self.pid}"
        with path.open("w+b") as handle:
            handle.write(bytes(COUNTER.size))
            handle.flush()
            self.memory = mmap.mmap(handle.fileno(), COUNTER.size)
        self.started = self.finished = 0
        return self.memory

    def add(self, *, started: int = 0, finished: int = 0) -> None:
        memory = self.memory if self.pid == os.getpid() else self._open()
        self.started += started
        self.finished += finished
        COUNTER.pack_into(memory, 0, self.started, self.finished)


class _Finished:
    """The response iterable, unchanged, with a note when the server closes it."""

    def __init__(self, result, counter: _Counter) -> None:
        self.result = result
        self.counter = counter

    def __iter__(self):
        return iter(self.result)

    def close(self) -> None:
        try:
            if hasattr(self.result, "close"):
                self.result.close()
        finally:
            self.counter.add(finished=1)


def counted(app, directory: Path):
    counter = _Counter(directory)

    def application(environ, start_response):
        counter.add(started=1)
        return _Finished(app(environ, start_response), counter)

    return application


application = counted(site_application, Path(os.environ["BENCH_COUNTER_DIR"]))
