"""Records in, events out: lines joined into attempts, each attempt classified, each source judged over its run.

One `Judge` serves `scan` (which prints an attempt's event once it is final) and the live monitor (which stores an
attempt's event at once and updates it as more lines arrive or as its run turns out to be an attack). Both feed the
same records in the same order and so reach the same events.
"""

from __future__ import annotations

from collections.abc import Iterable

from .classify import Classifier
from .episodes import EPISODE_GAP, Episodes
from .events import Record, Verdict
from .join import Attempt, Joiner
from .netaddr import is_local
from .settings import DetectionSettings
from .signatures import Signatures


class Judge:
    def __init__(self, settings: DetectionSettings, signatures: Signatures, start_id: int = 1) -> None:
        self.classifier = Classifier(settings, signatures)
        self.joiner = Joiner(start_id)
        # a run lasts as long as the slowest time scale can still see it as one attacker (bursts hours apart)
        self.episodes = Episodes(gap=max(EPISODE_GAP, settings.thresholds.persistence_window_seconds))
        self._trusted = settings.trusted if settings.trusted else None
        # bound once: `feed` runs for every line a scan reads
        self._add, self._observe = self.joiner.add, self.classifier.correlator.observe
        self._judge, self._see = self.classifier.judge, self.episodes.see

    def feed(self, rec: Record) -> list[tuple[Attempt, bool]]:
        """Judge one record. Returns the attempts whose events changed, each with whether it is new; every
        attempt's `.event` is its latest judgement."""
        attempt, created = self._add(rec)
        if attempt is None:
            return _NOTHING
        merged = attempt.record
        ip = merged.source_ip
        if ip is None:
            attempt.event = self._judge(merged, attempt.behaviour, False, () if created else attempt.evidence)
            return [(attempt, created)]  # nobody's run
        trusted = ip in self._trusted if self._trusted is not None else False
        if not attempt.observed:
            attempt.observed = True
            attempt.behaviour = tuple(self._observe(merged, trusted))
        event = self._judge(merged, attempt.behaviour, trusted, () if created else attempt.evidence)
        if event[1] is _NORMAL and is_local(ip):  # an office phone's day is nobody's run (Episodes.see)
            attempt.event = event
            return [(attempt, created)]
        event, upgraded = self._see(attempt, event, attempt.first, created, trusted)
        attempt.event = event
        if upgraded:
            return [(attempt, created), *((earlier, False) for earlier in upgraded)]
        return [(attempt, created)]

    def feed_all(self, records: Iterable[Record]) -> list[tuple[Attempt, bool]]:
        out: list[tuple[Attempt, bool]] = []
        for rec in records:
            out += self.feed(rec)
        return out

    def expire(self) -> list[Attempt]:
        """Attempts no later line can join any more (their window of log time passed)."""
        return self.joiner.expire()


_NOTHING: list = []  # shared, never changed
_NORMAL = Verdict.NORMAL
