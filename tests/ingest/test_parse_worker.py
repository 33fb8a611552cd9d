"""`scan` parsing big files in a forked child: the same events, counts and errors as parsing in-process."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from ghostwatch.cli import load_signatures
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.demo.write import write_logs
from ghostwatch.ingest import parse_worker
from ghostwatch.ingest.scan import scan

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="parsing children need fork (POSIX only)")


def _scan(paths: list[Path], monkeypatch: pytest.MonkeyPatch, switch: str, on_event=None):
    monkeypatch.setenv(parse_worker.ENV_SWITCH, switch)
    events = []

    def collect(event):
        events.append(event.to_json())
        if on_event:
            on_event(event)

    result = scan(paths, DetectionSettings(home_region="US"), load_signatures(), collect)
    return events, result


@pytest.fixture
def office(tmp_path: Path) -> Path:
    write_logs(tmp_path / "logs", datetime(2026, 3, 2))
    return tmp_path / "logs"


def test_child_parsing_gives_what_in_process_parsing_gives(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forked, forked_result = _scan([office], monkeypatch, "always")
    local, local_result = _scan([office], monkeypatch, "0")
    assert len(local) > 100 and any(e["verdict"] == "ghost" for e in local)
    assert forked == local  # every event, in the same order, with the same verdicts and reasons
    assert [f.to_json() for f in forked_result.files] == [f.to_json() for f in local_result.files]
    assert forked_result.report.summary() == local_result.report.summary()
    assert forked_result.duplicates == local_result.duplicates
    assert multiprocessing.active_children() == []


def test_a_parser_failing_in_the_child_is_that_file_s_error(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ghostwatch.core.formats.asterisk import AsteriskParser

    def broken(self, buf, line_no, final):
        raise RuntimeError("simulated parser bug")  # parsers never raise by design; the child must still report

    monkeypatch.setattr(AsteriskParser, "feed", broken)
    events, result = _scan([office], monkeypatch, "always")
    errors = {Path(f.path).name: f.error for f in result.files if f.error}
    assert errors and all(e == "internal error while parsing: RuntimeError: simulated parser bug"
                          for e in errors.values())
    assert any(f.format != "asterisk" and f.error is None and f.records for f in result.files)
    assert events  # the other files' events still arrive


def test_a_consumer_that_stops_leaves_no_child(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Enough(Exception):
        pass

    def stop(_event):
        raise Enough

    with pytest.raises(Enough):
        _scan([office], monkeypatch, "always", stop)
    assert multiprocessing.active_children() == []


def test_json_output_is_not_doubled_by_the_child(office: Path) -> None:
    """The child inherits the parent's unwritten stdout buffer; it must never be written twice."""
    docs = []
    for switch in ("always", "0"):
        env = {**os.environ, parse_worker.ENV_SWITCH: switch}
        proc = subprocess.run([sys.executable, "-m", "ghostwatch", "scan", "--json", "--region", "US", str(office)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        docs.append(proc.stdout)
    assert docs[0] == docs[1]
    json.loads(docs[0])  # one document: a doubled prefix would not parse


def test_small_files_and_threaded_callers_parse_in_process(office: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parse_worker.ENV_SWITCH, raising=False)
    small = next(p for p in office.rglob("*") if p.is_file())
    assert not parse_worker.usable(small)  # far below MIN_BYTES
    monkeypatch.setenv(parse_worker.ENV_SWITCH, "always")
    assert parse_worker.usable(small)
    gate = threading.Event()
    worker = threading.Thread(target=gate.wait)
    worker.start()
    try:
        assert not parse_worker.usable(small)  # forking a threaded process could deadlock the child
    finally:
        gate.set()
        worker.join()
