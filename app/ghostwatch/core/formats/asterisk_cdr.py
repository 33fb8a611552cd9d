"""Asterisk `cdr-csv/Master.csv` (cdr_csv): 16, 18 or 21(+) columns, every record one call.

Columns (stock): accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, start, answer,
end, duration, billsec, disposition, amaflags[, uniqueid, userfield[, peeraccount, linkedid, sequence]].
The disposition column anchors the layout, so variants that drop accountcode or move clid still parse.
"""

from __future__ import annotations

import re

from ..events import Kind, Outcome, Record
from ..netaddr import is_ip_literal
from ..timeparse import parse_time
from .base import FeedResult, Parser
from .csvlines import feed_csv, to_int

FORMAT = "asterisk_cdr"
DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "CANCEL"}
_CLID = re.compile(r'^\s*(?:"(?P<q>.*)"|(?P<n>[^<]*?))\s*<(?P<num>[^>]*)>\s*$', re.DOTALL)
_DATE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def _disposition_index(row: list[str]) -> int | None:
    for idx in range(len(row) - 1, 8, -1):
        if row[idx] in DISPOSITIONS and _DATE.match(row[idx - 5] or ""):
            return idx
    return None


class AsteriskCdrParser(Parser):
    format = FORMAT

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        import csv

        good = 0
        for row in csv.reader([line for line in lines if line.strip()][:10], strict=False):
            if len(row) >= 15 and _disposition_index(row) is not None:
                good += 1
        return min(50 + good * 15, 95) if good else 0

    def feed(self, buf: bytes, line_no: int, final: bool) -> FeedResult:
        return feed_csv(buf, line_no, final, self._row, self.max_samples)

    def _row(self, row: list[str], line_no: int, text: str) -> list[Record] | None:
        d = _disposition_index(row)
        if d is None:
            return None
        chan_idx = d - 9
        front = row[:chan_idx]
        if len(front) >= 5:
            src, dst, ctx, clid = front[1], front[2], front[3], front[4]
        elif len(front) == 4:  # a clid-first layout without accountcode (seen in cdr_custom setups)
            clid_pos = next((i for i, v in enumerate(front) if "<" in v and ">" in v), 0)
            rest = [v for i, v in enumerate(front) if i != clid_pos]
            clid, (src, dst, ctx) = front[clid_pos], rest
        else:
            return None
        channel, dstchannel = row[chan_idx], row[chan_idx + 1]
        start = row[d - 5]
        duration, billsec = to_int(row[d - 2]), to_int(row[d - 1])
        disposition = row[d]
        name, number = _split_clid(clid)
        if disposition == "ANSWERED" and (dstchannel or billsec):
            outcome = Outcome.ANSWERED
        elif dstchannel and disposition in ("NO ANSWER", "CANCEL", "BUSY"):
            outcome = Outcome.RANG
        elif disposition in ("FAILED", "CONGESTION") or not dstchannel:
            outcome = Outcome.REJECTED if disposition in ("FAILED", "CONGESTION") else Outcome.UNKNOWN
        else:
            outcome = Outcome.UNKNOWN
        time, epoch = parse_time(start, self.clock)
        tech_peer = channel.partition("/")[2].rpartition("-")[0]
        anonymous = channel.startswith("PJSIP/anonymous-")
        ip_named = channel.startswith("SIP/") and is_ip_literal(tech_peer)
        caller = src or number or None
        # The row's own channel and uniqueid. Not its dstchannel nor linkedid: those are shared by every leg of a
        # ring group (Local/… channels), which stay rows of their own.
        uid = _uniqueid(row[d + 2:d + 5])
        refs = [f"chan:{channel}"] if channel else []
        if uid:
            refs.append(f"uid:{uid}")
        return [Record(
            time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.CALL,
            caller_id=caller, caller_name=name, extension=dst or None, outcome=outcome,
            call_id=_uniqueid(row[d + 2:d + 5]),
            epoch=epoch, detail=f"{disposition}, {billsec if billsec is not None else '?'} s talk time",
            context=ctx or None, channel=channel or None, anonymous=anonymous or ip_named,
            external=anonymous or ip_named or ctx in self.signatures.inbound_contexts,
            from_host=tech_peer if ip_named else None, billsec=billsec, duration=duration,
            raw=(text,), refs=tuple(refs),
        )]


def _uniqueid(after: list[str]) -> str | None:
    """The channel's uniqueid (`1690325492.2`): right after amaflags in the stock layout, one later in some."""
    for value in after:
        head, dot, tail = value.partition(".")
        if dot and head.isascii() and head.isdigit() and tail.isascii() and tail.isdigit():
            return value
    return None


def _split_clid(clid: str) -> tuple[str | None, str | None]:
    m = _CLID.match(clid)
    if not m:
        return (clid or None), None
    name = m.group("q") if m.group("q") is not None else m.group("n")
    name = (name or "").replace('""', '"').strip() or None
    return name, (m.group("num") or None)

