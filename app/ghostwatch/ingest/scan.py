"""`ghostwatch scan`: read files and directories once, classify every record, aggregate per source.

Files are read side by side and their records merged by time, so that correlation sees one PBX's `full`,
`security` and CDR logs in the order things happened, exactly as live following would.
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..core.classify import Classifier
from ..core.events import Event, Record
from ..core.formats import Parser
from ..core.report import Report
from ..core.settings import DetectionSettings
from ..core.signatures import Signatures
from . import parse_worker
from .reader import FileStats, choose_parser, discover, iter_batches, unrecognised_reason

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    report: Report
    files: list[FileStats] = field(default_factory=list)
    duplicates: int = 0


def scan(paths: Iterable[str | os.PathLike[str]], settings: DetectionSettings, signatures: Signatures,
         on_event: Callable[[Event], None] | None = None) -> ScanResult:
    """Scan `paths`; every event goes to `on_event` as it is classified. Raises ScanError for a bad path."""
    files = discover(paths)
    classifier = Classifier(settings, signatures)
    report = Report()
    result = ScanResult(report)
    streams = []
    for path in files:
        stats = FileStats(str(path))
        result.files.append(stats)
        try:
            parser = choose_parser(path, signatures)
        except (OSError, EOFError) as exc:
            stats.error = _describe(exc)
            continue
        if parser is None:
            stats.error = unrecognised_reason(path)
            continue
        stats.format = parser.format
        streams.append(_batches(path, parser, stats))
    seen, classify, add = classifier.deduper.seen, classifier.classify, report.add
    if len(streams) == 1:
        merged: Iterable[Record] = chain.from_iterable(streams[0])
    else:
        merged = (rec for _when, _index, _seq, rec in
                  heapq.merge(*(_timed(i, chain.from_iterable(s)) for i, s in enumerate(streams))))
    for rec in merged:
        if rec.channel is not None and seen(rec):  # the same call reported by two logs
            continue
        event = classify(rec)
        add(event)
        if on_event is not None:
            on_event(event)
    result.duplicates = classifier.deduper.dropped
    return result


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
        stats.error = _describe(exc)
        log.warning("cannot read %s: %s", path, stats.error)


def _timed(index: int, records: Iterator[Record]) -> Iterator[tuple[float, int, int, Record]]:
    """Key records by time, never going back within one file (undated records keep the time before them)."""
    last = float("-inf")
    for seq, rec in enumerate(records):
        if rec.epoch is not None and rec.epoch > last:
            last = rec.epoch
        yield last, index, seq, rec


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"
