"""gunicorn under test: start it on a free loopback port, find its workers, read their CPU."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .counters import read_counts

BASE_DIR = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ")" splits cleanly.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # After the name: state(3) ppid(4) ... utime(14) stime(15), so offsets 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


@dataclass
class Snapshot:
    cpu: float  # seconds, summed over the workers
    started: int
    finished: int
    workers: tuple[int, ...]
    database: dict[int, float]  # PostgreSQL backend pid: its CPU seconds (local server only)

    def database_cpu_since(self, earlier: "Snapshot") -> float | None:
        if not self.database and not earlier.database:
            return None
        return sum(cpu - earlier.database.get(pid, 0.0) for pid, cpu in self.database.items())


class Gunicorn:
    """`gunicorn -w 2` serving bench.wsgi (the site's application plus request counters)."""

    def __init__(self, *, env: dict, workdir: Path, workers: int = 2, database_pids=None) -> None:
        self.env = dict(env)
        self.database_pids = database_pids or list
        self.workdir = workdir
        self.workers = workers
        self.counter_dir = workdir / "counters"
        self.log = workdir / "gunicorn.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        self.counter_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.env["BENCH_COUNTER_DIR"] = str(self.counter_dir)
        # gunicorn's heartbeat files: its docs recommend a tmpfs so a busy disk never stalls them.
        heartbeat = "/dev/shm" if Path("/dev/shm").is_dir() else str(self.workdir)  # noqa: S108
        command = [
            sys.executable, "-m", "gunicorn", "bench.wsgi:application",
            "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--worker-tmp-dir", heartbeat,
            "--timeout", "120",
            "--graceful-timeout", "5",
            "--log-level", "warning",
            "--error-logfile", str(self.log),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log}:\n{self._log_tail()}")
            if len(self.worker_pids()) == self.workers and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def _answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
        except OSError:
            return False
        return True

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text().splitlines()[-30:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def snapshot(self) -> Snapshot:
        pids = self.worker_pids()
        started, finished = read_counts(self.counter_dir, pids)
        return Snapshot(
            cpu=sum(cpu_seconds(pid) for pid in pids),
            started=started,
            finished=finished,
            workers=tuple(pids),
            database={pid: cpu_seconds(pid) for pid in self.database_pids()},
        )

    def settle(self, timeout: float = 120) -> Snapshot:
        """Wait until every request the workers started has finished, then snapshot."""
        deadline = time.monotonic() + timeout
        current = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            following = self.snapshot()
            if following.started == following.finished == current.finished:
                return following
            current = following
        return current

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Only the gunicorn this run started: its master gets SIGTERM and stops its workers.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
