"""The fleet's real engines on 127.0.0.1, started and stopped by the tests: Prometheus, Alertmanager, rsyslog.

Each runs from its Debian binary with a config written into the test's temporary folder, on free ports. Without
the binaries the tests skip, except in CI (env CI set), where a missing engine is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ..conftest import stop_process

ENGINES = {"prometheus": "prometheus", "promtool": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager",
           "rsyslogd": "rsyslog", "openssl": "openssl"}


def need(*binaries: str) -> None:
    """Skip (fail in CI) unless these programs are installed."""
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        packages = " ".join(sorted({ENGINES.get(b, b) for b in missing}))
        lacking(f"needs {', '.join(missing)} (Debian: apt-get install {packages}; installed by .ci/run)")


def lacking(message: str) -> None:
    """Skip for a missing engine, but fail in CI, where .ci/run installs them all."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, step: float = 0.1):
    """Poll `predicate` (a condition another process makes true) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(step)
    raise AssertionError(f"{what} not within {timeout} s (last: {last!r})")


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def http_json(url: str, params: dict | None = None, timeout: float = 5.0) -> dict:
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - 127.0.0.1 only
        return json.loads(r.read())


class Engine:
    """One engine process with its output in a file (read when a test fails)."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.argv = argv
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Engine:
        fh = open(self.log, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self.proc = subprocess.Popen(self.argv, stdout=fh, stderr=subprocess.STDOUT)
        finally:
            fh.close()
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=15)
            self.proc = None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture
def engines():
    """Engines a test starts; all stopped at its end, whatever happened."""
    started: list[Engine] = []

    def start(argv: list[str], log: Path) -> Engine:
        e = Engine(argv, log).start()
        started.append(e)
        return e

    yield start
    for e in reversed(started):
        e.stop()
