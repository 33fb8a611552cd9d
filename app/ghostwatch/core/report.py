"""Per-source aggregates and the summary that `scan` prints and the GUI's top-sources panel shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .events import Event, Verdict


@dataclass(slots=True)
class SourceSummary:
    ip: str
    verdict: Verdict = Verdict.NORMAL
    events: int = 0
    first_seen: str | None = None
    last_seen: str | None = None
    # reason code counts; a source seen once keeps its one event's reasons as they are (a rotating IPv6 attacker
    # makes hundreds of thousands of such sources: a dict each would be most of a scan's memory)
    reasons: Counter[str] | tuple = ()
    run: dict[str, Any] | None = None  # its attacking run (else its latest): began, ended, attempts, attacker

    def top_reasons(self, n: int | None = None) -> list[str]:
        """Reason codes, most frequent first."""
        reasons = self.reasons
        if isinstance(reasons, tuple):
            return list(dict.fromkeys(r.code for r in reasons))[:n]
        return [code for code, _ in reasons.most_common(n)]

    def to_json(self) -> dict[str, Any]:
        out = {"ip": self.ip, "verdict": self.verdict.value, "events": self.events, "first_seen": self.first_seen,
               "last_seen": self.last_seen, "reasons": self.top_reasons()}
        if self.run is not None:
            out["run"] = self.run
        return out


class Report:
    """Accumulates events into per-source and overall counts."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceSummary] = {}
        self._counts: dict[tuple[str, str, str], int] = {}  # (verdict, kind, format): one dict update per event
        self.first: str | None = None
        self.last: str | None = None

    def _totals(self, at: int) -> Counter[str]:
        totals: Counter[str] = Counter()
        for key, n in self._counts.items():
            totals[key[at]] += n
        return totals

    @property
    def verdicts(self) -> Counter[str]:
        return self._totals(0)

    @property
    def kinds(self) -> Counter[str]:
        return self._totals(1)

    @property
    def formats(self) -> Counter[str]:
        return self._totals(2)

    def add(self, event: Event) -> None:
        rec = event.record
        verdict = event.verdict
        kind = rec.kind
        key = (verdict, kind, rec.format)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1  # `c[k] = c.get(k, 0) + 1`: a third of `+= 1` on a Counter
        time = rec.time
        if time:
            if self.first is None or time < self.first:
                self.first = time
            if self.last is None or time > self.last:
                self.last = time
        ip = rec.source_ip
        if ip is None:
            return
        src = self.sources.get(ip)
        if src is None:
            src = self.sources[ip] = SourceSummary(ip)
        src.events += 1
        if verdict is not src.verdict and verdict.rank > src.verdict.rank:
            src.verdict = verdict
        if event.reasons:
            counts = src.reasons
            if src.events == 1:
                src.reasons = event.reasons
            else:
                if counts.__class__ is tuple:
                    counts = src.reasons = Counter(r.code for r in counts)
                for reason in event.reasons:
                    code = reason.code
                    counts[code] = counts.get(code, 0) + 1
        if time:
            if src.first_seen is None or time < src.first_seen:
                src.first_seen = time
            if src.last_seen is None or time > src.last_seen:
                src.last_seen = time

    def ranked_sources(self) -> list[SourceSummary]:
        return sorted(self.sources.values(), key=lambda s: (-s.verdict.rank, -s.events, s.ip))

    def summary(self) -> dict[str, Any]:
        verdicts = self.verdicts
        return {
            "events": sum(verdicts.values()),
            "verdicts": {v.value: verdicts.get(v.value, 0) for v in Verdict},
            "kinds": {str(k): n for k, n in sorted(self.kinds.items())},
            "formats": {str(f): n for f, n in sorted(self.formats.items())},
            "sources": len(self.sources),
            "first_seen": self.first,
            "last_seen": self.last,
        }
