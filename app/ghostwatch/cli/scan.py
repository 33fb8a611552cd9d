"""`ghostwatch scan`: read logs once, then print a readable summary or one JSON document; exit 1 on --fail-on."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from typing import TYPE_CHECKING, TextIO

from ..core.event_json import event_json
from ..core.events import Event, Kind, Outcome, Verdict
from ..core.settings import DetectionSettings
from ..core.text import display_text
from .options import EXIT_FOUND, EXIT_OK, EXIT_USAGE, FAIL_LEVELS, UsageError, detection_settings, load_signatures

if TYPE_CHECKING:
    from ..ingest.scan import ScanResult

MAX_SOURCES = 25
MAX_CALLS = 15


def cmd_scan(args: argparse.Namespace, out: TextIO) -> int:
    from ..ingest.reader import ScanError
    from ..ingest.scan import scan

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
    if not result.files:  # an empty folder (or the wrong one) is no all-clear
        raise UsageError(f"ghostwatch scan: found no files to read in {display_text(', '.join(args.paths), 200)}")
    if printer is not None:
        printer.finish(result)
    else:
        print_summary(result, flagged, settings, out)
    unread = [f for f in result.files if f.unread]
    if unread:  # an incomplete scan never passes as a clean one (cron, --fail-on): say which file, exit 2
        print(f"ghostwatch scan: could not read {display_text(unread[0].path, 200)}: {display_text(unread[0].error)}"
              + (f" (and {len(unread) - 1} more file(s))" if len(unread) > 1 else ""), file=sys.stderr)
        return EXIT_USAGE
    if args.fail_on and found & FAIL_LEVELS[args.fail_on]:
        return EXIT_FOUND
    return EXIT_OK


# -- --json -----------------------------------------------------------------------------------------------------
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

    def finish(self, result: ScanResult) -> None:
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


# -- the readable summary: verdict totals, sources worst first, ghost calls, files ---------------------------------
def _t(value: str | None) -> str:
    return (value or "-")[:19].replace("T", " ")


def _path(path: str, width: int) -> str:
    """A file's path in `width` columns, cut in the middle: the file's own name is what tells files apart."""
    text = display_text(path, 1000)
    if len(text) <= width:
        return text
    keep = width - 1
    tail = min(len(text.rsplit("/", 1)[-1]) + 1, keep - 8)  # the name (and its slash), leaving room for a head
    tail = max(tail, keep // 2)
    return text[:keep - tail] + "\u2026" + text[-tail:]


def print_summary(result: ScanResult, flagged: list[Event], settings: DetectionSettings, out: TextIO) -> None:
    from ..core.summary_words import attempt_title  # only the readable summary needs it (--json starts faster)

    rep = result.report
    s = rep.summary()
    v = s["verdicts"]
    lines = sum(f.lines for f in result.files)
    w = out.write
    w(f"GhostWatch scan: {len(result.files)} file(s), {lines:,} lines, {s['events']:,} attempts (calls, logins, "
      f"probes; {result.joined:,} lines joined an attempt another log reported) ({_t(rep.first)} to "
      f"{_t(rep.last)})\n")
    ghosts = [e for e in flagged if e.verdict is Verdict.GHOST]
    blocked = sum(e.record.outcome is Outcome.REJECTED for e in ghosts)
    split = f" ({len(ghosts) - blocked:,} reached a phone, {blocked:,} blocked by the PBX)" \
        if ghosts and len(ghosts) == v["ghost"] else ""
    w(f"  ghost calls {v['ghost']:,}{split}   attacks {v['attack']:,}   suspicious {v['suspicious']:,}   "
      f"normal {v['normal']:,}   (home region {settings.home_region}"
      f"{', trusted ' + ', '.join(settings.trusted.as_text()) if settings.trusted else ''})\n")
    unread = [f for f in result.files if f.unread]
    for f in unread:
        w(f"\nCould not read {display_text(f.path, 200)}: {display_text(f.error, 200)}\n")
    if not any(f.lines for f in result.files) and not unread:
        w("\nNothing was read: every file is empty, so this is no all-clear.\n")
    elif v["ghost"] == v["attack"] == v["suspicious"] == 0:
        w("\nNothing suspicious found in the files that could be read.\n" if unread else
          "\nNothing suspicious found.\n")

    ranked = [src for src in rep.ranked_sources() if src.verdict is not Verdict.NORMAL]
    if ranked:
        w("\nSources, worst first:\n")
        w(f"  {'VERDICT':<11}{'SOURCE':<40}{'TRIES':>7}  {'FIRST SEEN':<20}{'LAST SEEN':<20}TOP REASONS\n")
        for src in ranked[:MAX_SOURCES]:
            reasons = ", ".join(src.top_reasons(3))
            w(f"  {src.verdict.value:<11}{display_text(src.ip, 39):<40}{src.events:>7}  {_t(src.first_seen):<20}"
              f"{_t(src.last_seen):<20}{reasons}\n")
        if len(ranked) > MAX_SOURCES:
            w(f"  ... and {len(ranked) - MAX_SOURCES} more (use --json for all)\n")

    calls = [e for e in flagged if e.record.kind is Kind.CALL and e.verdict in (Verdict.GHOST, Verdict.SUSPICIOUS)]
    if calls:
        w("\nSuspicious calls, newest last:\n")
        for e in sorted(calls, key=lambda e: e.record.epoch or 0.0)[-MAX_CALLS:]:
            r = e.record
            title = attempt_title(e.verdict, r.kind, r.outcome, r.source_ip, r.caller_id or r.caller_name,
                                  r.extension, [x.code for x in e.reasons], r.user_agent)
            where = f" [{display_text(r.source_ip, 39)}]" if r.source_ip and r.source_ip not in title else ""
            why = e.reasons[0].text if e.reasons else ""
            w(f"  {_t(r.time):<20}{title}{where}\n      {display_text(why, 110)}\n")

    w("\nFiles:\n")
    for f in result.files:
        state = f.error or ("empty" if f.format is None and not f.lines else
                            f"{f.lines:,} lines, {f.records:,} records, {f.unrecognised:,} not understood")
        if f.cut_lines and not f.error:
            state += f", {f.cut_lines:,} over-long line{'s' if f.cut_lines != 1 else ''} cut in the middle"
        w(f"  {_path(f.path, 60):<60}  {f.format or '-':<19}{state}\n")
        for sample in f.samples[:2] if f.unrecognised else ():
            w(f"      not understood: {display_text(sample, 100)}\n")
