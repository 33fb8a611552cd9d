"""`ghostwatch scan`: read files and directories once, judge every attempt, aggregate per source.

Files are read side by side and their records merged by time, so that joining and correlation see one PBX's
`full`, `security` and CDR logs in the order things happened, exactly as live following would. An attempt's event
is printed once it is final: no later line can join it (its window of log time passed) and its source's run can no
longer upgrade it (see core/episodes.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..core.episodes import run_key
from ..core.events import Event, Record
from ..core.formats import Parser
from ..core.join import Attempt
from ..core.judge import Judge
from ..core.report import Report
from ..core.settings import DetectionSettings
from ..core.signatures import Signatures
from . import parse_worker
from .merge import merge_by_time
from .reader import FileStats, choose_parser, describe_error, discover, iter_batches, unrecognised_reason

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    report: Report
    files: list[FileStats] = field(default_factory=list)
    joined: int = 0         # lines that joined an attempt another line had started


def scan(paths: Iterable[str | os.PathLike[str]], settings: DetectionSettings, signatures: Signatures,
         on_event: Callable[[Event], None] | None = None) -> ScanResult:
    """Scan `paths`; every event goes to `on_event` as it is classified. Raises ScanError for a bad path."""
    files = discover(paths)
    judge = Judge(settings, signatures)
    report = Report()
    result = ScanResult(report)
    streams = []
    for path in files:
        stats = FileStats(str(path))
        result.files.append(stats)
        try:
            if path.stat().st_size == 0:  # a rotated file the PBX has not written to yet: nothing to read or miss
                continue
            parser = choose_parser(path, signatures)
        except (OSError, EOFError) as exc:
            stats.error = describe_error(exc)
            continue
        if parser is None:
            stats.error = unrecognised_reason(path)
            continue
        stats.format = parser.format
        streams.append(_batches(path, parser, stats))
    merged = merge_by_time([chain.from_iterable(s) for s in streams])
    add = report.add

    def finish(attempt: Attempt) -> None:
        if attempt.done:
            return
        attempt.done = True
        add(attempt.event)
        if on_event is not None:
            on_event(attempt.event)

    feed, joiner, episodes = judge.feed, judge.joiner, judge.episodes
    sweep_at = float("-inf")
    for rec in merged:
        changes = feed(rec)
        if len(changes) > 1:  # the run turned out to be an attack: earlier attempts were upgraded
            for attempt, _new in changes[1:]:
                attempt.pending = False
                if attempt.closed:
                    finish(attempt)
        now = joiner.now
        if now >= sweep_at:  # every few seconds of log time: what no later line can change any more
            sweep_at = now + 4.0
            _settle(joiner.expire(), episodes.ended(now), finish)
    _settle(joiner.drain(), episodes.ended(float("inf")), finish)  # every run, those replaced by a later one too
    worst = episodes.worst
    said: dict[int, dict] = {}  # one dict per run, shared by the addresses of an IPv6 attacker's /56
    for ip, src in report.sources.items():
        run = worst.get(run_key(ip) if ":" in ip else ip)
        if run is not None:
            src.run = said.get(id(run)) or said.setdefault(id(run), run.to_json())
    result.joined = joiner.joined
    return result


def _settle(closed: list[Attempt], ended_runs: list, finish: Callable[[Attempt], None]) -> None:
    for attempt in closed:
        if not attempt.pending:
            finish(attempt)
    for run in ended_runs:
        for attempt in run.pending:
            attempt.pending = False
            if attempt.closed:
                finish(attempt)
        run.pending.clear()


def _batches(path: Path, parser: Parser, stats: FileStats) -> Iterator[list[Record]]:
    if parse_worker.usable(path):
        try:
            yield from parse_worker.batches(path, parser, stats, keep_raw=False)  # scan prints no evidence lines
            return
        except parse_worker.CannotFork as exc:
            log.info("parsing %s in-process: %s", path, exc)
    try:
        yield from iter_batches(path, parser, stats)
    except (OSError, EOFError) as exc:  # unreadable file, truncated .gz: report it, keep scanning the rest
        stats.error = describe_error(exc)
        log.warning("cannot read %s: %s", path, stats.error)
