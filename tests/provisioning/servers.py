"""Starting the identity providers the sign-in tests talk to: a free loopback port, and a
process that is serving before the test goes on (or a clear failure with its log)."""

import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(command: list[str], *, ready_url: str, log_path: Path, timeout: float = 60, **popen):
    """Run `command` until the block ends, once `ready_url` answers 2xx."""
    log = open(log_path, "w")  # noqa: SIM115 (closed below)
    # A process group of its own: a wrapper such as faketime runs the server as its child,
    # and stopping the wrapper alone would leave the server running.
    process = subprocess.Popen(  # noqa: S603
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **popen
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(ready_url, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        log.close()
