"""`ghostwatch scan`: read files and directories once, classify every record, aggregate per source."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..core.classify import Classifier
from ..core.events import Event, Record
from ..core.report import Report
from ..core.settings import DetectionSettings
from ..core.signatures import Signatures
from .reader import FileStats, choose_parser, discover, read_file

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    report: Report
    files: list[FileStats] = field(default_factory=list)


def scan(paths: Iterable[str | os.PathLike[str]], settings: DetectionSettings, signatures: Signatures,
         on_event: Callable[[Event], None] | None = None) -> ScanResult:
    """Scan `paths` in reading order; every event goes to `on_event` as it is classified. Raises ScanError."""
    files = discover(paths)
    classifier = Classifier(settings, signatures)
    report = Report()
    result = ScanResult(report)

    def take(records: list[Record]) -> None:
        for rec in records:
            event = classifier.classify(rec)
            report.add(event)
            if on_event is not None:
                on_event(event)

    for path in files:
        stats = FileStats(str(path))
        try:
            parser = choose_parser(path, signatures)
            if parser is None:
                stats.error = "format not recognised"
            else:
                stats.format = parser.format
                read_file(path, parser, take, stats)
        except (OSError, EOFError) as exc:  # unreadable file, truncated .gz: report it, keep scanning the rest
            stats.error = f"{type(exc).__name__}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
            log.warning("cannot read %s: %s", path, stats.error)
        result.files.append(stats)
    return result
