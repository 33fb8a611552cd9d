from __future__ import annotations

import pytest

from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
from ghostwatch.store.history import History
from ghostwatch.store.queries import HistoryReader
from ghostwatch.ui.app import Controller, LaunchOptions

T0 = 1_795_651_200.0  # 2026-11-26 00:00, log clock
HOSTILE = '<b>1001</b><img src=x onerror=alert(1)>\u202eevil\x1b[31m\x07'


def make_event(n: int, verdict: Verdict, at: float, ip: str | None = "203.0.113.7", caller: str | None = "1001",
               ua: str | None = "friendly-scanner", kind: Kind = Kind.CALL) -> tuple[Event, float]:
    rec = Record(None, "/var/log/asterisk/full", n, "asterisk", kind, source_ip=ip, source_port=5060,
                 caller_id=caller, extension="201", user_agent=ua, raw=(f"evidence line {n} {caller}",))
    reasons = () if verdict is Verdict.NORMAL else (Reason("scanner_caller_id", f"Caller ID {caller} is fake."),)
    return Event(rec, verdict, reasons), at


@pytest.fixture
def store(tmp_path):
    history = History(tmp_path / "h.db")
    reader = HistoryReader(tmp_path / "h.db")
    yield history, reader
    reader.close()
    history.close()


@pytest.fixture
def controller(qapp, tmp_path):
    """The whole app (no tray here, offscreen) watching an empty `messages` log: (controller, that log)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "messages").write_bytes(b"")
    c = Controller(qapp, LaunchOptions(data_dir=str(tmp_path / "data"), logs=(str(logs),), interactive=False))
    c.start()
    yield c, logs / "messages"
    c.shutdown()
