"""The fast event encoder prints exactly what json.dumps(event.to_json()) prints, for any text a log can hold."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwatch.core.event_json import event_json
from ghostwatch.core.events import Event, Kind, Outcome, Reason, Record, Verdict

text = st.one_of(st.none(), st.text(max_size=40))
port = st.one_of(st.none(), st.integers(min_value=0, max_value=65535))


@settings(max_examples=300, deadline=None)
@given(time=text, caller=text, name=text, ext=text, ua=text, call_id=text, ip=text, port=port,
       kind=st.sampled_from(list(Kind)), outcome=st.one_of(st.none(), st.sampled_from(list(Outcome))),
       verdict=st.sampled_from(list(Verdict)),
       reasons=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=60)), max_size=4),
       file=st.text(min_size=1, max_size=30), line=st.integers(min_value=1, max_value=10**9))
def test_same_bytes_as_json_dumps(time, caller, name, ext, ua, call_id, ip, port, kind, outcome, verdict, reasons,
                                  file, line):
    rec = Record(time, file, line, "asterisk", kind, source_ip=ip, source_port=port, caller_id=caller,
                 caller_name=name, extension=ext, user_agent=ua, call_id=call_id, outcome=outcome)
    ev = Event(rec, verdict, tuple(Reason(c, t) for c, t in reasons))
    assert event_json(ev) == json.dumps(ev.to_json())
    assert event_json(ev) == event_json(ev)  # the cached reason list gives the same text


def test_the_encoder_reads_the_contract_fields_in_record_order() -> None:
    from ghostwatch.core.events import FIELDS

    assert FIELDS[:13] == ("time", "file", "line", "format", "kind", "source_ip", "source_port", "caller_id",
                           "caller_name", "extension", "user_agent", "call_id", "outcome")
