"""Titles and reasons say what happened to a call: a refused one never reads as if it got through."""

from __future__ import annotations

from ghostwatch.cli import load_signatures
from ghostwatch.core.classify import Classifier
from ghostwatch.core.events import Kind, Outcome, Record
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.core.summary_words import attempt_title


def test_a_refused_toll_fraud_call_is_titled_blocked():
    # a second first-time user's walk: the table said "blocked", the detail pane's title and reasons did not
    refused = attempt_title("attack", "call", "rejected", "192.0.2.180", None, "+15515500380", ["toll_fraud_attempt"])
    assert refused == "Blocked toll-fraud attempt from 192.0.2.180"
    placed = attempt_title("attack", "call", "answered", "192.0.2.180", None, "+15515500380", ["toll_fraud_attempt"])
    assert placed == "Toll-fraud attempt from 192.0.2.180"


def _guest_call(outcome: Outcome | None) -> list[str]:
    rec = Record(time="2026-11-26 03:40:00", file="full", line=1, format="asterisk", kind=Kind.CALL,
                 source_ip="192.0.2.180", extension="0044207946000", outcome=outcome, anonymous=True, epoch=0.0)
    event = Classifier(DetectionSettings(home_region="US"), load_signatures()).classify(rec)
    return [r.text for r in event.reasons if r.code == "anonymous_inbound"]


def test_a_guest_call_the_pbx_refused_is_not_said_to_have_been_let_in():
    (refused,) = _guest_call(Outcome.REJECTED)
    assert "refused this one" in refused and "put it through" not in refused
    (rang,) = _guest_call(Outcome.RANG)
    assert rang.endswith("put it through to your phones.")
    (unknown,) = _guest_call(None)
    assert unknown == "The PBX let this call in without a login (guest/anonymous caller)."
