"""Benchmark: from an append to the PBX log to the row in the window's table and to the desktop notification.

    QT_QPA_PLATFORM=offscreen python bench/live_window.py [--appends 200] [--rate 20] [--polling]

The whole desktop app as it runs (`Controller`: its monitor process `watch --ipc`, the history, the window, the
tray/notification path), offscreen. A writer thread appends one ghost call (each from a new address, so each one
notifies) every 1/rate s; the times are taken when the table model inserts the row (`rowsInserted`) and when the
tray hands out the notification (`notified`). The notification policy's rate limit (4 a minute, which would hold
back all but the first few on purpose) is lifted for the measurement; nothing else is changed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ghostwatch.core.notify_policy import NotifyPolicy  # noqa: E402
from ghostwatch.ui import monitor_process  # noqa: E402
from ghostwatch.ui.app import Controller, LaunchOptions  # noqa: E402


def ghost(n: int) -> bytes:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return (f"[{stamp}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from "
            f"'\"friendly-scanner\" <sip:100@198.51.100.10>' failed for '10.{n // 65536 % 256}.{n // 256 % 256}."
            f"{n % 256}:5060' (callid: w{n}) - No matching endpoint found\n").encode()


def run(appends: int, rate: float, polling: bool) -> dict:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    arrived: list[tuple[int, int, float]] = []  # (first id, last id, when the batch line reached the GUI thread)
    work = Path(tempfile.mkdtemp(prefix="gw-bench-window-"))
    logs = work / "logs"
    logs.mkdir()
    log = logs / "messages"
    log.write_bytes(b"")
    decode = monitor_process.ipc.decode

    def timed_decode(line: str):  # the GUI thread reads a batch line from the monitor process's stdout
        msg = decode(line)
        if msg is not None and msg[0] == "batch":
            arrived.append((msg[1][0], msg[1][1], time.perf_counter()))
        return msg

    monitor_process.ipc.decode = timed_decode
    c = Controller(app, LaunchOptions(data_dir=str(work / "data"), logs=(str(logs),), interactive=False))
    if polling:
        from dataclasses import replace

        c.settings = replace(c.settings, polling=True)
    c.start()
    c.policy = NotifyPolicy(c.settings.notify_level, None, max_per_minute=10**9)
    sent: dict[str, float] = {}
    table: dict[str, float] = {}
    noted: dict[int, float] = {}

    def rows_inserted(_parent, first: int, last: int) -> None:
        now = time.perf_counter()
        for row in c.window.model.rows[first:last + 1]:
            table.setdefault(row.call_id, now)

    c.window.model.rowsInserted.connect(rows_inserted)
    c.tray.notified.connect(lambda n: noted.setdefault(n.event_id, time.perf_counter()))

    def write() -> None:
        period = 1.0 / rate
        start = time.perf_counter()
        with open(log, "ab", buffering=0) as fh:
            for n in range(appends):
                delay = start + n * period - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent[f"w{n}"] = time.perf_counter()
                fh.write(ghost(n))

    writer = threading.Thread(target=write, daemon=True)

    def begin() -> None:
        if c.monitor is None or c.monitor.current.state != "live":
            QTimer.singleShot(100, begin)
            return
        writer.start()

    def check_done() -> None:
        if (not writer.is_alive() and len(table) >= appends and len(noted) >= appends) \
                or time.perf_counter() - t0 > appends / rate + 60:
            app.quit()

    t0 = time.perf_counter()
    QTimer.singleShot(0, begin)
    done = QTimer()
    done.timeout.connect(check_done)
    done.start(200)
    app.exec()
    done.stop()
    ids = {ev.id: ev.call_id for ev in c.reader.by_ids(1, 10**9)}
    c.shutdown()
    note_by_call = {ids[i]: t for i, t in noted.items() if i in ids}
    monitor_process.ipc.decode = decode
    ipc = {ids[i]: t for first, last, t in arrived for i in range(first, last + 1) if i in ids}
    out = {}
    for name, got in (("batch line in the GUI thread", ipc), ("table", table), ("notification", note_by_call)):
        lat = sorted((got[k] - t) * 1000 for k, t in sent.items() if k in got)
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [float("nan")] * 99
        out[name] = {"n": len(lat), "p50": q[49], "p95": q[94], "max": lat[-1] if lat else float("nan")}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--appends", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--polling", action="store_true")
    args = ap.parse_args()
    res = run(args.appends, args.rate, args.polling)
    observer = "polling" if args.polling else "native"
    print("| observer | reaches | appends | p50 ms | p95 ms | max ms | target |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, r in res.items():
        print(f"| {observer} | {name} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | p95 < 1000 ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
