"""FreeSWITCH `cdr-csv/Master.csv` with mod_cdr_csv's default `example` template (15 columns):

caller_id_name, caller_id_number, destination_number, context, start_stamp, answer_stamp, end_stamp, duration,
billsec, hangup_cause, uuid, bleg_uuid, accountcode, read_codec, write_codec.
"""

from __future__ import annotations

import re

from ..events import Kind, Outcome, Record
from ..timeparse import parse_time
from .base import FeedResult, Parser
from .csvlines import feed_csv, to_int

FORMAT = "freeswitch_cdr"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CAUSE = re.compile(r"^[A-Z][A-Z0-9_]+$")
REJECTED_CAUSES = {"CALL_REJECTED", "NO_ROUTE_DESTINATION", "UNALLOCATED_NUMBER", "INCOMPATIBLE_DESTINATION",
                   "USER_NOT_REGISTERED", "SUBSCRIBER_ABSENT", "OUTGOING_CALL_BARRED", "INCOMING_CALL_BARRED",
                   "NETWORK_OUT_OF_ORDER", "DESTINATION_OUT_OF_ORDER", "INVALID_NUMBER_FORMAT"}
RANG_CAUSES = {"NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL", "USER_BUSY", "RECOVERY_ON_TIMER_EXPIRE",
               "ALLOTTED_TIMEOUT", "LOSE_RACE", "PICKED_OFF"}


def _looks_like(row: list[str]) -> bool:
    return len(row) >= 11 and bool(_CAUSE.match(row[9])) and bool(_UUID.match(row[10]))


class FreeswitchCdrParser(Parser):
    format = FORMAT

    @classmethod
    def sniff(cls, lines: list[str], name: str) -> int:
        import csv

        good = sum(1 for row in csv.reader([ln for ln in lines if ln.strip()][:10], strict=False) if _looks_like(row))
        return min(50 + good * 15, 95) if good else 0

    def feed(self, buf: bytes, line_no: int, final: bool) -> FeedResult:
        return feed_csv(buf, line_no, final, self._row, self.max_samples)

    def _row(self, row: list[str], line_no: int, text: str) -> list[Record] | None:
        if not _looks_like(row):
            return None
        name, number, dest, ctx, start, answer = row[0], row[1], row[2], row[3], row[4], row[5]
        duration, billsec, cause = to_int(row[7]), to_int(row[8]), row[9]
        if answer.strip() and (billsec or 0) > 0:
            outcome = Outcome.ANSWERED
        elif cause in RANG_CAUSES:
            outcome = Outcome.RANG
        elif cause in REJECTED_CAUSES:
            outcome = Outcome.REJECTED
        else:
            outcome = Outcome.UNKNOWN
        time, epoch = parse_time(start, self.clock)
        return [Record(
            time=time, file=self.file, line=line_no, format=FORMAT, kind=Kind.CALL,
            caller_id=number or None, caller_name=name or None, extension=dest or None, outcome=outcome,
            call_id=row[10], epoch=epoch, detail=f"{cause}, {billsec if billsec is not None else '?'} s talk time",
            context=ctx or None, external=ctx == "public", billsec=billsec, duration=duration, raw=(text,),
            refs=tuple(f"fs:{u}" for u in (row[10], row[11] if len(row) > 11 else "") if _UUID.match(u)),
        )]
