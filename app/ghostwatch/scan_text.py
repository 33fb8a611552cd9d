"""The readable report `ghostwatch scan` prints: verdict totals, sources worst first, ghost calls, files."""

from __future__ import annotations

from typing import TextIO

from .core.events import Event, Kind, Outcome, Verdict
from .core.settings import DetectionSettings
from .core.summary_words import attempt_title
from .core.text import display_text
from .ingest.scan import ScanResult

MAX_SOURCES = 25
MAX_CALLS = 15


def _t(value: str | None) -> str:
    return (value or "-")[:19].replace("T", " ")


def print_summary(result: ScanResult, flagged: list[Event], settings: DetectionSettings, out: TextIO) -> None:
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
    if v["ghost"] == v["attack"] == v["suspicious"] == 0:
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
        state = f.error or f"{f.lines:,} lines, {f.records:,} records, {f.unrecognised:,} not understood"
        if f.cut_lines and not f.error:
            state += f", {f.cut_lines:,} over-long line{'s' if f.cut_lines != 1 else ''} cut in the middle"
        w(f"  {display_text(f.path, 60):<60}  {f.format or '-':<19}{state}\n")
        for sample in f.samples[:2] if f.unrecognised else ():
            w(f"      not understood: {display_text(sample, 100)}\n")
