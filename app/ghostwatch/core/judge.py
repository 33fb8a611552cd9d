"""Records in, events out: lines joined into attempts, each attempt classified, each source judged over its run.

One `Judge` serves `scan` (which prints an attempt's event once it is final) and the live monitor (which stores an
attempt's event at once and updates it as more lines arrive or as its run turns out to be an attack). Both feed the
same records in the same order and so reach the same events.
"""

from __future__ import annotations

from collections.abc import Iterable

from .classify import Classifier
from .episodes import Episodes
from .events import Event, Record
from .join import Attempt, Joiner
from .settings import DetectionSettings
from .signatures import Signatures


class Judge:
    def __init__(self, settings: DetectionSettings, signatures: Signatures, start_id: int = 1) -> None:
        self.classifier = Classifier(settings, signatures)
        self.joiner = Joiner(start_id)
        self.episodes = Episodes()
        self._trusted = settings.trusted if settings.trusted else None

    def feed(self, rec: Record) -> list[tuple[Attempt, bool]]:
        """Judge one record. Returns the attempts whose events changed, each with whether it is new; every
        attempt's `.event` is its latest judgement."""
        attempt, created = self.joiner.add(rec)
        if attempt is None:
            return []
        merged = attempt.record
        ip = merged.source_ip
        trusted = ip in self._trusted if (ip is not None and self._trusted is not None) else False
        classifier = self.classifier
        if not attempt.observed and ip is not None:
            attempt.observed = True
            attempt.behaviour = tuple(classifier.correlator.observe(merged, trusted))
        event = classifier.judge(merged, attempt.behaviour, trusted, attempt.evidence if len(attempt.records) > 1
                                 else ())
        epoch = attempt.first
        event, upgraded = self.episodes.see(attempt, event, epoch, created, trusted)
        attempt.event = event
        out = [(attempt, created)]
        out.extend((earlier, False) for earlier in upgraded)
        return out

    def feed_all(self, records: Iterable[Record]) -> list[tuple[Attempt, bool]]:
        out: list[tuple[Attempt, bool]] = []
        for rec in records:
            out += self.feed(rec)
        return out

    def expire(self) -> list[Attempt]:
        """Attempts no later line can join any more (their window of log time passed)."""
        return self.joiner.expire()


def event_of(attempt: Attempt) -> Event:
    return attempt.event
