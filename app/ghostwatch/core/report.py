"""Per-source aggregates and the summary that `scan` prints and the GUI's top-sources panel shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .events import _RANK, Event, Verdict


@dataclass
class SourceSummary:
    ip: str
    verdict: Verdict = Verdict.NORMAL
    events: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    reasons: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"ip": self.ip, "verdict": self.verdict.value, "events": self.events, "first_seen": self.first_seen,
                "last_seen": self.last_seen, "reasons": [code for code, _ in self.reasons.most_common()]}


class Report:
    """Accumulates events into per-source and overall counts."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceSummary] = {}
        self.verdicts: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.formats: Counter[str] = Counter()
        self.first: str | None = None
        self.last: str | None = None

    def add(self, event: Event) -> None:
        rec = event.record
        # StrEnum members hash and compare as their text: no `.value` descriptor lookups on the hot path.
        self.verdicts[event.verdict] += 1
        self.kinds[rec.kind] += 1
        self.formats[rec.format] += 1
        if rec.time:
            if self.first is None or rec.time < self.first:
                self.first = rec.time
            if self.last is None or rec.time > self.last:
                self.last = rec.time
        if rec.source_ip is None:
            return
        src = self.sources.get(rec.source_ip)
        if src is None:
            src = self.sources[rec.source_ip] = SourceSummary(rec.source_ip)
        src.events += 1
        src.kinds[rec.kind] += 1
        if _RANK[event.verdict] > _RANK[src.verdict]:
            src.verdict = event.verdict
        for reason in event.reasons:
            src.reasons[reason.code] += 1
        if rec.time:
            if src.first_seen is None or rec.time < src.first_seen:
                src.first_seen = rec.time
            if src.last_seen is None or rec.time > src.last_seen:
                src.last_seen = rec.time

    def ranked_sources(self) -> list[SourceSummary]:
        return sorted(self.sources.values(), key=lambda s: (-s.verdict.rank, -s.events, s.ip))

    def summary(self) -> dict[str, Any]:
        return {
            "events": sum(self.verdicts.values()),
            "verdicts": {v.value: self.verdicts.get(v.value, 0) for v in Verdict},
            "kinds": {str(k): n for k, n in sorted(self.kinds.items())},
            "formats": dict(sorted(self.formats.items())),
            "sources": len(self.sources),
            "first_seen": self.first,
            "last_seen": self.last,
        }
