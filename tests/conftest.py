"""Shared test setup: offscreen Qt, paths to the data, the shared corpus and the output contract."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMA_COPY = ROOT / "docs" / "contract" / "scan-output.schema.json"


@pytest.fixture(scope="session")
def schema() -> dict:
    return json.loads(SCHEMA_COPY.read_text())


@pytest.fixture(autouse=True)
def _no_thread_leaks():
    """Every test must stop the threads it started."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not leaked, f"threads left running: {leaked}"


def stop_process(proc, timeout: float = 10.0) -> None:
    """Terminate a test's subprocess and reap it; kill it if it does not go in `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
