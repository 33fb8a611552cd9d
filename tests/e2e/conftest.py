"""The stage for end-to-end tests: a real Kamailio on 127.0.0.1 with GhostWatch's proxy config, its log in a
folder that a real `ghostwatch watch` follows, and helpers to run real attack tools against it."""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import stop_process

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
CONFIG = ROOT / "resources" / "kamailio" / "ghostwatch-proxy.cfg"
TOOLS = ("kamailio", "svmap", "svwar", "svcrack", "sipp")


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


def pytest_collection_modifyitems(config, items):
    missing = missing_tools()
    if missing and not os.environ.get("CI"):  # in CI a missing tool is a failure, never a skip
        skip = pytest.mark.skip(reason=f"needs {', '.join(missing)} (Debian: kamailio sipvicious sip-tester; "
                                       f"installed by .ci/run)")
        for item in items:
            if "e2e" in item.nodeid:
                item.add_marker(skip)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_sip(port: int, timeout: float = 10.0) -> None:
    """Until the proxy answers an OPTIONS on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.2)
        me = s.getsockname()[1]
        msg = (f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKping;rport\r\n"
               f"From: <sip:ping@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping-readiness\r\n"
               f"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
        while time.monotonic() < deadline:
            s.sendto(msg, ("127.0.0.1", port))
            try:
                if s.recv(4096).startswith(b"SIP/2.0 200"):
                    return
            except TimeoutError:
                continue
    raise AssertionError(f"kamailio did not answer on 127.0.0.1:{port}")


@dataclass
class Stage:
    port: int
    logs: Path
    kamailio: subprocess.Popen
    watcher: subprocess.Popen
    events: queue.Queue = field(default_factory=queue.Queue)   # (arrival monotonic time, event dict)
    stderr: list[str] = field(default_factory=list)

    def attack(self, *cmd: str, timeout: float = 60.0, env: dict | None = None) -> float:
        """Run a tool to completion against the proxy; returns when it was started (monotonic)."""
        started = time.monotonic()
        subprocess.run(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout,
                       cwd=self.logs.parent, check=False, env=env)
        return started

    def collect(self, predicate, timeout: float = 15.0) -> list[tuple[float, dict]]:
        """Events until `predicate(all so far)` holds; fails after `timeout`."""
        got: list[tuple[float, dict]] = []
        deadline = time.monotonic() + timeout
        while not predicate([e for _, e in got]):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"condition not met; got {len(got)} events: "
                                     f"{[(e['kind'], e['verdict'], e['caller_id']) for _, e in got][-8:]}\n"
                                     f"watch stderr: {self.stderr[-5:]}")
            try:
                got.append(self.events.get(timeout=left))
            except queue.Empty:
                continue
        return got


@pytest.fixture
def stage(tmp_path, request):
    marker = request.node.get_closest_marker("kamailio_defines")
    defines = [arg for name in (marker.args if marker else ()) for arg in ("-A", name)]
    port = free_udp_port()
    logs = tmp_path / "logs"
    logs.mkdir()
    (tmp_path / "run").mkdir()
    log = open(logs / "kamailio.log", "wb")
    kam = subprocess.Popen(["kamailio", "-f", str(CONFIG), "-DD", "-E", "-Y", str(tmp_path / "run"), "-m", "32",
                            "-M", "4", "-A", "TEST_LOCAL", "-A", f"LISTEN=udp:127.0.0.1:{port}", *defines],
                           stdout=log, stderr=log)
    watcher = None
    try:
        wait_for_sip(port)
        env = dict(os.environ, PYTHONPATH=str(ROOT / "app"), PYTHONUNBUFFERED="1")
        watcher = subprocess.Popen([sys.executable, "-m", "ghostwatch", "watch", "--json", "--all", "--data-dir",
                                    str(tmp_path / "data"), str(logs)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        st = Stage(port, logs, kam, watcher)
        ready = threading.Event()

        def pump_out() -> None:
            for line in watcher.stdout:
                st.events.put((time.monotonic(), json.loads(line)))

        def pump_err() -> None:
            for line in watcher.stderr:
                st.stderr.append(line)
                if "Watching 1 log file" in line:
                    ready.set()

        threads = [threading.Thread(target=pump_out, daemon=True), threading.Thread(target=pump_err, daemon=True)]
        for t in threads:
            t.start()
        assert ready.wait(20), f"watch did not start: {st.stderr}"
        yield st
    finally:
        if watcher is not None:
            stop_process(watcher, timeout=30)
        stop_process(kam)
        log.close()
