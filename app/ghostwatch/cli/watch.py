"""`ghostwatch watch`: follow logs live into the history; print events, or speak the app's protocol (--ipc)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from ..core.classify import headline
from ..core.event_json import event_json
from ..core.events import Event, Kind, Outcome, Verdict
from ..core.text import display_text
from .options import EXIT_OK, EXIT_USAGE, UsageError, detection_settings, load_signatures


def cmd_watch(args: argparse.Namespace, out: TextIO) -> int:
    import signal
    import threading
    import time

    from ..fleet import hooks as fleet_hooks
    from ..ingest import ipc
    from ..ingest.pipeline import Batch, Monitor, MonitorStatus, Progress
    from ..paths import AppPaths
    from ..store.history import History
    from ..store.lock import HistoryLocked, WriterLock
    from ..store.schema import StoreError

    settings = detection_settings(args)
    if args.once:  # live, a missing folder is waited for; once, it is a mistake (no all-clear for it)
        missing = [p for p in args.paths if not os.path.exists(p)]
        if missing:
            raise UsageError(f"ghostwatch watch: no such file or directory: {display_text(missing[0], 200)}")
    signatures = load_signatures()
    paths = AppPaths.default(args.data_dir)
    database = paths.database
    writer = WriterLock(database, ["ghostwatch", *sys.argv[1:]])
    try:
        writer.acquire()
    except HistoryLocked as exc:
        raise UsageError(f"ghostwatch watch: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"ghostwatch watch: cannot lock {writer.path}: {exc.strerror or exc}") from exc
    try:
        history = History(database)
    except (StoreError, OSError) as exc:
        writer.release()
        raise UsageError(f"ghostwatch watch: {exc}") from exc
    lock = threading.Lock()
    try:  # --site/--metrics/--forward: subscribers on the callbacks below (None unless asked for)
        fleet = fleet_hooks.start(args, paths.data_dir, lambda m: print(f"ghostwatch: {display_text(m)}",
                                                                         file=sys.stderr, flush=True), UsageError)
    except BaseException:
        history.close()
        writer.release()
        raise

    def say(line: str) -> None:
        with lock:
            out.write(line + "\n")
            out.flush()

    def on_batch(batch: Batch) -> None:
        if fleet is not None:
            fleet.on_batch(batch)
        if args.ipc:
            say(ipc.batch_line(batch))
            return
        with lock:  # an attempt is printed when it first shows, then again whenever more lines or its run change it
            for i, (event, eid) in enumerate(zip(batch.events, batch.ids, strict=True)):
                if not (args.all or event.verdict is not Verdict.NORMAL):
                    continue
                new = batch.is_new(i)
                if args.json:
                    out.write(event_json(event, f', "id": {eid}' + ("" if new else ', "update": true')) + "\n")
                else:
                    out.write(("" if new else "  updated: ") + event_line(event) + "\n")
            out.flush()

    def on_status(status: MonitorStatus) -> None:
        if fleet is not None:
            fleet.on_status(status)
        if args.ipc:
            say(ipc.status_line(status))
        print(f"ghostwatch: {display_text(status.message)}", file=sys.stderr, flush=True)

    def on_warning(message: str) -> None:
        if args.ipc:
            say(ipc.warning_line(message))
        print(f"ghostwatch: {display_text(message)}", file=sys.stderr, flush=True)

    def on_progress(progress: Progress) -> None:
        if args.ipc:
            say(ipc.progress_line(progress))

    monitor = Monitor(args.paths, settings, signatures, fleet.history(history) if fleet else history, on_batch,
                      polling=args.polling, import_history=args.from_start, retention_days=args.retention_days,
                      on_status=on_status, on_warning=on_warning, on_progress=on_progress)
    if fleet is not None:
        monitor.on_lines = fleet.on_lines
    done = threading.Event()
    terminated: list[int] = []  # a signal handler only appends (Event.set takes a lock the main thread may hold)
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: terminated.append(signum))

    def commands() -> None:  # --ipc: the app's commands on stdin; end of input means the app is gone
        for line in sys.stdin:
            command = ipc.read_command(line)
            if command == ipc.PAUSE:
                monitor.pause()
            elif command == ipc.RESUME:
                monitor.resume()
            elif command == ipc.STOP:
                break
        done.set()

    try:
        monitor.start()
        if args.ipc:
            threading.Thread(target=commands, name="ghostwatch-commands", daemon=True).start()
        if args.once:
            while not monitor.settle(timeout=5) and monitor.failed is None:
                pass
            done.set()
        beat_cycles, beat_at = -1, 0.0
        while not done.wait(0.5) and not terminated:
            if monitor.failed is not None:
                break
            if args.ipc and time.monotonic() - beat_at >= ipc.HEARTBEAT_SECONDS:
                # alive only while the pipeline still cycles (it does at least once a second, or is paused)
                if monitor.cycles != beat_cycles or monitor.status.state == "paused":
                    say(ipc.alive_line())
                beat_cycles, beat_at = monitor.cycles, time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            monitor.stop()
        finally:  # the forwarder's thread must end even when stopping fails (e.g. stderr is a closed pipe)
            if fleet is not None:
                fleet.close()
        history.close()
        writer.release()
        signal.signal(signal.SIGTERM, previous)
    return EXIT_USAGE if monitor.failed is not None else EXIT_OK


def event_line(event: Event) -> str:
    """One readable line per event for `watch`."""
    r = event.record
    where = display_text(r.source_ip or "?", 39) + (f":{r.source_port}" if r.source_port else "")
    what = {"call": "call", "auth_failure": "failed login", "probe": "probe", "registration": "registration"}.get(
        str(r.kind), "event")
    if r.kind is Kind.CALL and r.outcome is not None and r.outcome is not Outcome.UNKNOWN:
        what += {"rang": " that rang", "answered": " answered", "rejected": " blocked"}[str(r.outcome)]
    who = f" from {display_text(r.caller_id, 24)}" if r.caller_id else ""
    to = f" to {display_text(r.extension, 24)}" if r.extension else ""
    top = headline(event.reasons)
    why = display_text(top.text, 120) if top else ""
    when = (r.time or "-")[:19].replace("T", " ")
    return f"{when}  {event.verdict.value.upper():<10} {what}{who}{to} [{where}]  {why}"
