"""`ghostwatch scan`: read files and directories once, classify every record, aggregate per source.

Files are read side by side and their records merged by time, so that correlation sees one PBX's `full`,
`security` and CDR logs in the order things happened, exactly as live following would.
"""

from __future__ import annotations

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
from .merge import merge_by_time
from .reader import FileStats, choose_parser, describe_error, discover, iter_batches

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
            stats.error = describe_error(exc)
            continue
        if parser is None:
            stats.error = "format not recognised"
            continue
        stats.format = parser.format
        streams.append(_batches(path, parser, stats))
    seen, classify, add = classifier.deduper.seen, classifier.classify, report.add
    for rec in merge_by_time([chain.from_iterable(s) for s in streams]):
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
        stats.error = describe_error(exc)
        log.warning("cannot read %s: %s", path, stats.error)
