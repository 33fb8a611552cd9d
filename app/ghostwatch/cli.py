"""Command line: `ghostwatch` (desktop app), `scan`, `watch`, `audit`, `demo`."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from . import __version__
from .core.classify import headline
from .core.event_json import event_json
from .core.events import Event, Kind, Outcome, Verdict
from .core.hours import Hours
from .core.netaddr import Networks
from .core.settings import DetectionSettings, default_region
from .core.signatures import Signatures
from .core.text import display_text
from .paths import resources_dir

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2
HEARTBEAT_SECONDS = 2.0  # `watch --ipc` tells the app it is alive this often (ui/monitor_process.py)
FAIL_LEVELS = {"ghost": {Verdict.GHOST}, "attack": {Verdict.GHOST, Verdict.ATTACK},
               "suspicious": {Verdict.GHOST, Verdict.ATTACK, Verdict.SUSPICIOUS}}


class UsageError(Exception):
    """A bad option or argument: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ghostwatch", description="Spot ghost calls and SIP attacks in your PBX's logs.")
    p.add_argument("--version", action="version", version=f"GhostWatch {__version__}")
    _gui_options(p)
    p.add_argument("--logs", action="append", default=[], metavar="DIR",
                   help="watch this log folder for this session (instead of the configured ones)")
    p.add_argument("--import-history", action="store_true",
                   help="with --logs: first read what the files already hold (rotated and .gz files included)")
    p.add_argument("--minimized", action="store_true", help="start in the tray (used by start at login)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("scan", help="read log files or directories once and report what they show")
    s.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (rotated and .gz included)")
    s.add_argument("--json", action="store_true", help="print one JSON document (events, sources, summary)")
    s.add_argument("--all", action="store_true", help="include normal events, not only the flagged ones")
    _detection_options(s)
    s.add_argument("--fail-on", choices=sorted(FAIL_LEVELS), help="exit with status 1 if such an event was found")

    w = sub.add_parser("watch", help="follow log files or directories live and record what they show")
    w.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (may not exist yet)")
    w.add_argument("--json", action="store_true", help="print one JSON object per event per line (JSON Lines)")
    w.add_argument("--all", action="store_true", help="print normal events too, not only the flagged ones")
    w.add_argument("--from-start", action="store_true",
                   help="first import what the files already hold (rotated and .gz files included)")
    w.add_argument("--polling", action="store_true",
                   help="poll for changes instead of file-change notifications (for network shares)")
    w.add_argument("--data-dir", metavar="DIR", help="keep the history here instead of the usual data directory")
    w.add_argument("--ipc", action="store_true", help=argparse.SUPPRESS)  # the desktop app's monitor process
    w.add_argument("--once", action="store_true",
                   help="store what the files hold now and exit instead of following (with --from-start: import)")
    w.add_argument("--retention-days", type=int, default=400, metavar="N",
                   help="forget events older than N days at start (default 400; 0 keeps everything)")
    _detection_options(w)
    from .fleet.hooks import add_options

    add_options(w)

    from .cli_hardening import add_parsers

    add_parsers(sub)

    d = sub.add_parser("demo", help="the desktop app on a demo office whose logs are written live")
    _gui_options(d)
    d.add_argument("--night-seconds", type=float, default=90.0, metavar="S",
                   help="how long the night of attacks takes to play (default 90)")
    return p


def _gui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR", help="keep settings and history here instead of the usual places")
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the main window when exiting")
    p.add_argument("--exit-after", type=float, metavar="SECONDS", help="quit after this many seconds")


def _detection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trusted", action="append", default=[], metavar="CIDR",
                   help="a network you trust (your provider's SIP servers, the office LAN); repeat or separate "
                        "with commas")
    p.add_argument("--office-hours", metavar="START-END",
                   help="mark calls outside these hours, e.g. 8-18, or 22-6 for a night shift")
    p.add_argument("--region", default=None, metavar="CC",
                   help=f"home country for caller-ID checks (two letters; default from locale: {default_region()})")


def detection_settings(args: argparse.Namespace) -> DetectionSettings:
    try:
        trusted = Networks.parse(part for item in args.trusted for part in item.split(","))
    except ValueError as exc:
        raise UsageError(f"ghostwatch: --trusted: {exc}") from exc
    region = (args.region or default_region()).upper()
    import phonenumbers

    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(f"ghostwatch: --region: unknown region {args.region!r} (use a two-letter country code)")
    hours = None
    if getattr(args, "office_hours", None):
        try:
            hours = Hours.parse(args.office_hours)
        except ValueError as exc:
            raise UsageError(f"ghostwatch: --office-hours: {exc}") from None
    return DetectionSettings(home_region=region, trusted=trusted, office_hours=hours)


def load_signatures() -> Signatures:
    return Signatures.load(resources_dir() / "signatures.toml")


# -- scan -------------------------------------------------------------------------------------------------------
def cmd_scan(args: argparse.Namespace, out: TextIO) -> int:
    from .ingest.reader import ScanError
    from .ingest.scan import scan

    settings = detection_settings(args)
    signatures = load_signatures()
    found: set[Verdict] = set()
    printer = _JsonStream(out) if args.json else None
    flagged: list[Event] = []

    def on_event(event: Event) -> None:
        found.add(event.verdict)
        if event.verdict is Verdict.NORMAL and not args.all:
            return
        if printer is not None:
            printer.event(event)
        elif event.verdict is not Verdict.NORMAL:
            flagged.append(event)
            if len(flagged) > 2000:
                del flagged[:1000]

    # A scan makes a few objects per log record and no reference cycles to speak of: collect rarely, and never
    # walk what the program itself consists of (1.5% of a scan's instructions). Frozen objects are also never
    # written by the collector in a parsing child, so the pages it shares with this process stay shared.
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20000, 50, 100)
    try:
        result = scan(args.paths, settings, signatures, on_event)
    except ScanError as exc:
        raise UsageError(f"ghostwatch scan: {exc}") from exc
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    if printer is not None:
        printer.finish(result)
    else:
        from .scan_text import print_summary

        print_summary(result, flagged, settings, out)
    unread = [f for f in result.files if f.unread]
    if unread:  # an incomplete scan never passes as a clean one (cron, --fail-on): say which file, exit 2
        print(f"ghostwatch scan: could not read {display_text(unread[0].path, 200)}: {display_text(unread[0].error)}"
              + (f" (and {len(unread) - 1} more file(s))" if len(unread) > 1 else ""), file=sys.stderr)
        return EXIT_USAGE
    if args.fail_on and found & FAIL_LEVELS[args.fail_on]:
        return EXIT_FOUND
    return EXIT_OK


class _JsonStream:
    """Writes `{"events": [...], "sources": [...], "summary": {...}}` while events arrive (memory stays flat)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending: list[str] = ['{"events": [']
        self.separator = "\n  "

    def event(self, event: Event) -> None:
        self.pending.append(self.separator + event_json(event))
        self.separator = ",\n  "
        if len(self.pending) >= 256:  # one write per few hundred events
            self.out.write("".join(self.pending))
            self.pending.clear()

    def finish(self, result) -> None:
        report = result.report
        summary = report.summary()
        summary["files"] = [f.to_json() for f in result.files]
        self.out.write("".join(self.pending) + "\n],\n")
        # a source at a time: a rotating IPv6 attacker makes hundreds of thousands (one list of them would be the
        # scan's peak memory)
        write, encode = self.out.write, json.dumps
        write(' "sources": [')
        chunk: list[str] = []
        for i, src in enumerate(report.ranked_sources()):
            chunk.append(("" if i == 0 else ", ") + encode(src.to_json()))
            if len(chunk) >= 512:
                write("".join(chunk))
                chunk.clear()
        write("".join(chunk) + "],\n")
        write(' "summary": ' + encode(summary) + "\n}\n")


# -- watch ------------------------------------------------------------------------------------------------------
def cmd_watch(args: argparse.Namespace, out: TextIO) -> int:
    import signal
    import threading
    import time

    from .fleet import hooks as fleet_hooks
    from .ingest import ipc
    from .ingest.pipeline import Batch, Monitor, MonitorStatus
    from .paths import AppPaths
    from .store.history import History
    from .store.lock import HistoryLocked, WriterLock
    from .store.schema import StoreError

    settings = detection_settings(args)
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

    def on_progress(progress) -> None:
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
            word = line.strip()
            if word == "pause":
                monitor.pause()
            elif word == "resume":
                monitor.resume()
            elif word == "stop":
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
            if args.ipc and time.monotonic() - beat_at >= HEARTBEAT_SECONDS:
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


# -- entry points -----------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        args = build_parser().parse_args(argv)
        if args.command == "scan":
            return cmd_scan(args, out)
        if args.command == "watch":
            return cmd_watch(args, out)
        if args.command in ("audit", "selftest", "rang"):
            from . import cli_hardening

            handler = {"audit": cli_hardening.cmd_audit, "selftest": cli_hardening.cmd_selftest,
                       "rang": cli_hardening.cmd_rang}[args.command]
            return handler(args, out, UsageError)
        if args.command in (None, "demo"):
            return cmd_gui(args)
        raise UsageError(f"ghostwatch: unknown command {args.command}")
    except UsageError as exc:
        print(display_text(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    """The desktop app (`ghostwatch`, `ghostwatch demo`)."""
    import os

    if args.exit_after is not None and args.exit_after <= 0:
        raise UsageError("ghostwatch: --exit-after: give a positive number of seconds")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (os.environ.get("DISPLAY")
                                                                  or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError("ghostwatch: no display found. Start GhostWatch from your desktop session, or use "
                         "`ghostwatch scan PATH` / `ghostwatch watch PATH` in a terminal.")
    try:
        from .ui.app import LaunchOptions, run_gui
    except ImportError as exc:
        raise UsageError(f"ghostwatch: the desktop app cannot start: {exc}") from exc
    demo = args.command == "demo"
    opts = LaunchOptions(data_dir=args.data_dir, demo=demo, logs=tuple(getattr(args, "logs", ()) or ()),
                         screenshot=args.screenshot, exit_after=args.exit_after,
                         minimized=getattr(args, "minimized", False),
                         demo_seconds=getattr(args, "night_seconds", 90.0),
                         import_history=getattr(args, "import_history", False),
                         interactive=args.screenshot is None and args.exit_after is None)
    return run_gui(opts)


def gui_main() -> int:
    """Entry point of the `ghostwatch-gui` launcher (no console on Windows)."""
    return main([*sys.argv[1:]])
