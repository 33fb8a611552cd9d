"""The notification policy without Qt: first sight notifies, bursts become summaries, floods stay calm."""

from __future__ import annotations

from ghostwatch.core.events import Reason, Verdict
from ghostwatch.core.notify_policy import Notice, NotifyPolicy


def notice(n: int, verdict: Verdict = Verdict.ATTACK, ip: str = "203.0.113.7", kind: str = "probe",
           codes: tuple[str, ...] = ("scanner_user_agent",), hour: int | None = 3, caller: str | None = None,
           outcome: str | None = None, user_agent: str | None = None):
    return Notice(n, verdict, kind, ip, caller, "201", tuple(Reason(c, f"text of {c}") for c in codes), hour,
                  outcome, user_agent)


def test_first_event_from_a_source_notifies_then_a_burst_becomes_one_summary():
    p = NotifyPolicy()
    first = p.offer(notice(1), now=0.0)
    assert [n.title for n in first] == ["Scan from 203.0.113.7"]
    assert first[0].event_id == 1 and first[0].body == "text of scanner_user_agent"
    assert all(p.offer(notice(i), now=i / 2) == [] for i in range(2, 241))
    assert p.flush(now=60.0) == []  # not yet: one summary per source per two minutes
    summary = p.flush(now=121.0)
    assert [n.title for n in summary] == ["203.0.113.7 keeps scanning: 239 more scans in 2 minutes"]
    assert summary[0].event_id == 240
    assert p.flush(now=400.0) == []  # nothing new since


def test_ghost_call_words_and_levels():
    p = NotifyPolicy(level="ghost")
    assert p.offer(notice(1, Verdict.ATTACK), 0.0) == []
    ghost = p.offer(notice(2, Verdict.GHOST, ip="198.51.100.4", kind="call", codes=("scanner_caller_id",),
                           caller="1001"), 1.0)
    assert ghost[0].title == "Ghost call from 1001 reached extension 201"  # the log did not say whether it rang
    assert ghost[0].body.startswith("A call to extension 201 came from 198.51.100.4.")


def test_a_ghost_call_that_rang_and_one_that_was_blocked_are_told_apart():
    rang = NotifyPolicy(level="ghost").offer(
        notice(1, Verdict.GHOST, ip="198.51.100.4", kind="call", codes=("scanner_caller_id",), caller="1001",
               outcome="rang"), 1.0)[0]
    assert rang.title == "Ghost call from 1001 rang extension 201"
    assert rang.body.startswith("A call to extension 201 from 198.51.100.4 rang and nobody was there.")
    blocked = NotifyPolicy(level="ghost").offer(
        notice(2, Verdict.GHOST, ip="45.134.144.21", kind="call", codes=("scanner_user_agent",), caller="100",
               outcome="rejected", user_agent="friendly-scanner"), 1.0)[0]
    assert blocked.title == "Blocked ghost call from 45.134.144.21 (SIPVicious)"
    assert "no phone rang" in blocked.body and "rang and nobody" not in blocked.body
    assert NotifyPolicy(level="off").offer(notice(3, Verdict.GHOST), 0.0) == []
    assert NotifyPolicy(level="attack").offer(notice(4, Verdict.SUSPICIOUS), 0.0) == []
    assert NotifyPolicy(level="suspicious").offer(notice(5, Verdict.SUSPICIOUS), 0.0) != []


def test_a_flood_from_many_sources_never_exceeds_the_rate_limit():
    p = NotifyPolicy(max_per_minute=4)
    shown = []
    for i in range(10000):  # a distributed scan: a new address every 6 ms for a minute
        shown += p.offer(notice(i, ip=f"203.0.{i // 256}.{i % 256}"), now=i * 0.006)
        if i % 500 == 0:
            shown += p.flush(now=i * 0.006)
    assert len(shown) == 4
    later = p.offer(notice(20000, ip="192.0.2.1"), now=200.0)
    assert "were folded" in later[0].body


def test_compromise_always_notifies_even_in_quiet_hours_and_over_the_limit():
    p = NotifyPolicy(level="ghost", quiet_hours=(22, 7), max_per_minute=1)
    p.offer(notice(1, Verdict.GHOST, hour=12), 0.0)
    p.offer(notice(2, Verdict.GHOST, ip="192.0.2.8", hour=12), 0.5)  # a ghost call may use twice the limit
    assert p.offer(notice(2, Verdict.GHOST, ip="192.0.2.9", hour=12), 1.0) == []  # over the limit
    got = p.offer(notice(3, Verdict.ATTACK, codes=("compromise",), hour=3), 2.0)
    assert got and got[0].urgent and "change" in got[0].title.lower()


def test_quiet_hours_hold_back_ordinary_alerts():
    p = NotifyPolicy(quiet_hours=(22, 7))
    assert p.offer(notice(1, hour=23), 0.0) == []
    assert p.offer(notice(2, hour=6), 0.0) == []
    assert p.offer(notice(3, hour=7), 0.0) != []


def test_hostile_text_is_plain_in_notifications():
    p = NotifyPolicy(level="ghost")
    got = p.offer(notice(1, Verdict.GHOST, kind="call", caller="<b>1001</b>\u202e\x1b[31m"), 0.0)
    assert "\u202e" not in got[0].title and "\x1b" not in got[0].title


def test_repeats_counted_in_bulk_become_the_same_summary():
    p = NotifyPolicy()
    assert p.offer(notice(1), now=0.0)
    p.repeat("203.0.113.7", None, Verdict.ATTACK, "probe", 239, last_event_id=240)
    summary = p.flush(now=121.0)
    assert [n.title for n in summary] == ["203.0.113.7 keeps scanning: 239 more scans in 2 minutes"]
    assert summary[0].event_id == 240
    p.repeat("198.51.100.1", None, Verdict.ATTACK, "probe", 5, last_event_id=300)  # never offered: not counted
    assert p.flush(now=400.0) == []


def test_no_question_mark_for_a_caller_without_address_and_plural_words():
    p = NotifyPolicy(level="ghost")
    first = p.offer(notice(1, Verdict.GHOST, ip=None, kind="call", caller=None), 0.0)
    assert first[0].title.startswith("Ghost call from an unknown caller") and "?" not in first[0].body
    p.offer(notice(2, Verdict.GHOST, ip=None, kind="call", caller=None), 1.0)
    summary = p.flush(now=130.0)
    assert [n.title for n in summary] == ["An unknown caller keeps calling: 1 more ghost call in 2 minutes"]
    assert all("?" not in n.title + n.body for n in first + summary)


def test_a_first_alert_held_back_by_the_limit_is_introduced_not_still_at_it():
    p = NotifyPolicy(max_per_minute=2)
    p.offer(notice(1, ip="192.0.2.1"), 0.0)
    p.offer(notice(2, ip="192.0.2.2"), 0.1)
    assert p.offer(notice(3, ip="192.0.2.3"), 0.2) == []  # over the minute's limit
    p.offer(notice(4, ip="192.0.2.3"), 0.3)
    summary = p.flush(now=61.0)
    titles = [n.title for n in summary]
    assert titles == ["2 scans from 192.0.2.3 in 1 minute"], titles
    assert "still" not in summary[0].body and "more" not in summary[0].title


def test_the_first_ghost_call_from_an_address_is_never_folded_behind_attacks():
    p = NotifyPolicy(max_per_minute=4)
    for i in range(4):
        assert p.offer(notice(i, ip=f"192.0.2.{i}"), i * 0.1)  # four attack alerts fill the minute
    assert p.offer(notice(9, ip="192.0.2.99"), 1.0) == []  # a fifth attack waits
    ghost = p.offer(notice(10, Verdict.GHOST, ip="198.51.100.7", kind="call", caller="1001"), 1.1)
    assert [n.title for n in ghost] == ["Ghost call from 1001 reached extension 201"]  # at once, not 2 min later


def test_a_summary_of_blocked_toll_fraud_calls_says_what_they_were_and_that_nothing_got_through():
    # a second first-time user's walk: "3 calls from 192.0.2.180 in 1 minute" said neither toll fraud nor blocked
    p = NotifyPolicy(max_per_minute=1)
    p.offer(notice(1, ip="192.0.2.1"), 0.0)  # fills the minute: the calls below are summarised
    for i in range(3):
        p.offer(notice(10 + i, ip="192.0.2.180", kind="call", codes=("toll_fraud_attempt",), outcome="rejected"),
                1.0 + i)
    (summary,) = p.flush(now=70.0)
    assert summary.title == "3 toll-fraud attempts from 192.0.2.180 in 1 minute"
    assert summary.body.startswith("The PBX refused every one: nothing rang, nothing was dialled.")
    # one that got through is never summarised as refused
    p.offer(notice(20, ip="192.0.2.180", kind="call", codes=("toll_fraud_attempt",), outcome="rejected"), 71.0)
    p.offer(notice(21, ip="192.0.2.180", kind="call", codes=("toll_fraud_attempt",), outcome="answered"), 72.0)
    (later,) = p.flush(now=200.0)
    assert "refused" not in later.body and "2 more toll-fraud attempts" in later.title
    p.offer(notice(30, ip="192.0.2.180", kind="call", codes=("toll_fraud_attempt",), outcome="rejected"), 201.0)
    (again,) = p.flush(now=400.0)
    assert again.body.startswith("The PBX refused every one") and "1 more toll-fraud attempt " in again.title
