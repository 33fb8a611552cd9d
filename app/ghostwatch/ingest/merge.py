"""Merging several files' records by time, the one rule `scan` and the live pipeline share.

A record's time key is its time, never going back within one file (an undated record keeps the time before it);
equal keys keep the files' reading order (rotation order), then each file's own order. So correlation sees one
PBX's `full`, `security` and CDR logs interleaved as they happened, and live and `scan` agree.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass, field

from ..core.events import Record

NEVER = float("-inf")


def timed(index: int, records: Iterable[Record]) -> Iterator[tuple[float, int, int, Record]]:
    """(time key, file index, sequence, record) for one file's records, in the file's order."""
    last = NEVER
    for seq, rec in enumerate(records):
        if rec.epoch is not None and rec.epoch > last:
            last = rec.epoch
        yield last, index, seq, rec


def merge_by_time(streams: list[Iterable[Record]]) -> Iterable[Record]:
    """Whole files (`scan`): every record of `streams`, merged by time key, then stream order."""
    if len(streams) == 1:
        return streams[0]
    return (rec for _when, _index, _seq, rec in heapq.merge(*(timed(i, s) for i, s in enumerate(streams))))


@dataclass
class Held:
    """Live: one file's parsed records not yet released by the merge, and where its current chunk starts and ends."""

    items: deque = field(default_factory=deque)   # (time key, record)
    released: int = 0
    start: tuple[int, int] = (0, 1)
    end: tuple[int, int] = (0, 1)
    final: bool = False
    at_eof: bool = True
    last: float = NEVER                           # the file's time key so far (it never goes back)

    def hold(self, records: Iterable[Record]) -> None:
        last = self.last
        for rec in records:
            if rec.epoch is not None and rec.epoch > last:
                last = rec.epoch
            self.items.append((last, rec))
        self.last = last


def release(held: dict[Hashable, Held], order: dict[Hashable, tuple],
            limit: int) -> list[tuple[Record, float, Hashable]]:
    """Live: take records in time order while no file that may still hold earlier ones is waiting for input.

    `held` maps each file to its held records, `order` gives the files' reading order for equal times; returns
    (record, time key, file) and counts what it took in each `Held.released`.
    """
    files = {k: h for k, h in held.items() if h.items}
    heap = [(h.items[0][0], order[k], n, k) for n, (k, h) in enumerate(files.items())]
    heapq.heapify(heap)
    out: list[tuple[Record, float, Hashable]] = []
    if len(heap) == 1 and all(h.at_eof or h.items for h in held.values()):
        # one file has news (the usual live case): its records are already in order
        k = heap.pop()[3]
        h = held[k]
        take = min(len(h.items), limit)
        out = [(rec, key, k) for key, rec in (h.items.popleft() for _ in range(take))]
        h.released += take
    while heap and len(out) < limit:
        if any(not h.items and not h.at_eof for h in held.values()):
            break
        key, rank, n, k = heapq.heappop(heap)
        h = held[k]
        _, rec = h.items.popleft()
        h.released += 1
        out.append((rec, key, k))
        if h.items:
            heapq.heappush(heap, (h.items[0][0], rank, n, k))
    return out
