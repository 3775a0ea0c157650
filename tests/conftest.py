import os
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption(
        "--clock-offset-days",
        type=int,
        default=int(os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0")),
        help="run the whole suite with the clock moved this many days ahead (time-machine): "
        "proves no test mixes a written date with the running clock",
    )


def pytest_configure(config):
    days = config.getoption("--clock-offset-days")
    if days:
        # Moves every clock Python reads in this process (datetime, time.time) for the whole
        # session, ticking on from there; nested travel in a test still works. Child
        # processes the suite starts get the same offset through the environment.
        os.environ["SOCIALCRAFT_CLOCK_OFFSET_DAYS"] = str(days)
        traveller = time_machine.travel(datetime.now(tz=UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config):
    days = config.getoption("--clock-offset-days")
    return f"clock moved {days} days ahead" if days else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A real redis-server on a free loopback port, owned by the test session."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server is not installed: run scripts/system-packages (make test does)"
            )
        self.process = subprocess.Popen(  # noqa: S603 - a fixed local binary
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start within 10 seconds")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    if not redis_server.running:
        redis_server.start()
    return redis_server.url


@pytest.fixture
def content_tree(db, tmp_path) -> Path:
    """A writable copy of the sample content tree (one track: sample-track)."""
    for slug in ("newcomer", "strategy-lead", "executive"):
        factories.role(slug)
    destination = tmp_path / "content"
    shutil.copytree(FIXTURES / "content", destination)
    return destination


@pytest.fixture
def learner(db):
    return factories.UserFactory(display_name="Lena Learner")


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(is_staff=True, is_superuser=True, display_name="Sam Staff")


@pytest.fixture(autouse=True)
def _fresh_curriculum_pages():
    """Each test starts a new curriculum version and an empty cache: the database is rolled
    back between tests and ids are reused, so what a previous test kept in memory
    (courses.page_cache, the team menu's count of reviews) must go."""
    from django.core.cache import cache

    from courses import page_cache

    cache.clear()
    page_cache.bump()
