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
    assert forked_result.joined == local_result.joined
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


def _mixed_full_log(path: Path, n: int = 400) -> Path:
    """An Asterisk `full` log mixing records of every kind the child may hand back with lines nobody understands,
    both kinds the child keeps (failed requests, the dialplan) and kinds it may hand back."""
    lines = []
    for i in range(n):
        t = f"[2026-03-02 {10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}]"
        ip = f"203.0.113.{i % 50 + 1}"
        lines += [
            f"{t} NOTICE[2301] chan_sip.c: Rejecting unknown SIP connection from {ip}:{5000 + i}",
            f"{t} NOTICE[2301] manager.c: {ip} failed to authenticate as 'admin{i % 7}'",
            f"{t} VERBOSE[2100] res_pjsip_registrar.c: -- Added contact "
            f"'sip:2{i % 30:02d}@192.168.1.{i % 30 + 10}:5060' to AOR '2{i % 30:02d}' with expiration of 3600 seconds",
            f"{t} NOTICE[2301] res_pjsip/pjsip_distributor.c: Request 'INVITE' from '<sip:100@1.1.1.1>' failed for "
            f"'{ip}:5070' (callid: c{i}) - No matching endpoint found",
            f'{t} VERBOSE[2400][C-{i:08x}] pbx.c: Executing [{i}@from-trunk:1] Answer("PJSIP/trunk-{i:08x}", "")'
            f" in new stack",
        ]
        if i % 97 == 5:  # unrecognised, of a kind the child may hand back
            lines.append(f"{t} NOTICE[2301] manager.c: somebody refused to authenticate in a new way {i}")
        if i % 89 == 7:  # unrecognised, of a kind the child always keeps
            lines.append(f"{t} NOTICE[2301] chan_sip.c: Something ' failed for ' in a new wording {i}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("share", ["8", "3", "adaptive"])
def test_lines_handed_back_to_the_parent_give_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              share: str) -> None:
    log = _mixed_full_log(tmp_path / "full")
    if share == "adaptive":
        monkeypatch.delenv(parse_worker.DEFER_SWITCH, raising=False)
    else:
        monkeypatch.setenv(parse_worker.DEFER_SWITCH, share)
    forked, forked_result = _scan([log], monkeypatch, "always")
    local, local_result = _scan([log], monkeypatch, "0")
    assert len(local) == 400 * 5 and {e["kind"] for e in local} == {"probe", "auth_failure", "registration", "call"}
    assert forked == local
    (f_stats,), (l_stats,) = forked_result.files, local_result.files
    assert l_stats.unrecognised == 5 + 5 and l_stats.records == 400 * 5
    assert f_stats.to_json() == l_stats.to_json()
    assert f_stats.samples == l_stats.samples  # the first three by line, wherever they were parsed
    assert "new way 5" in l_stats.samples[0] and "new wording 7" in l_stats.samples[1]
    assert multiprocessing.active_children() == []


def test_a_parser_failing_on_a_handed_back_line_is_that_file_s_error(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from ghostwatch.core.formats.asterisk import AsteriskParser

    log = _mixed_full_log(tmp_path / "full", 4000)  # 2.9 MB: three chunks
    parent = os.getpid()
    real = AsteriskParser.parse_line

    def broken_here(self, text, line_no):
        if os.getpid() == parent and line_no > 16000:  # in the third chunk
            raise RuntimeError("simulated parser bug")
        return real(self, text, line_no)

    monkeypatch.setattr(AsteriskParser, "parse_line", broken_here)
    monkeypatch.setenv(parse_worker.DEFER_SWITCH, "8")
    events, result = _scan([log], monkeypatch, "always")
    assert result.files[0].error == "internal error while parsing: RuntimeError: simulated parser bug"
    assert 0 < len(events) < 4000 * 5  # the chunks before arrive; the rest of the file is lost, as in the child
    assert multiprocessing.active_children() == []
