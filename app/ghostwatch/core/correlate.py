"""Per-source correlation over sliding windows: brute force, enumeration, flood, compromise.

State is explicit and time comes from the events, so a file read in one scan and the same lines followed one by
one give the same reasons. Each source's clock only moves forward (logs interleave threads slightly out of order).
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import dataclass, field

from .events import Kind, Reason, Record
from .settings import Thresholds

FAILURE_TAGS = frozenset({"auth_failure", "no_matching_endpoint", "acl_reject"})


@dataclass(slots=True)
class SourceState:
    last: float = 0.0
    bf_level: float = 0.0
    bf_time: float = 0.0
    flood_level: float = 0.0
    flood_time: float = 0.0
    accounts: dict[str, float] = field(default_factory=dict)
    failures: array[float] = field(default_factory=lambda: array("d"))  # times, unboxed: 8 bytes each, not 32


class CallDeduper:
    """Recognises one call reported twice by different logs of the same PBX.

    Asterisk names a call's channel (`PJSIP/anonymous-0000001a`) identically in the dialplan trace (`full`) and the
    CDR, and a ring group writes several CDR rows for one call; the first sighting is kept (it is the one that
    arrives live, while the phone still rings). Channel numbers restart with Asterisk, so a name only counts as the
    same call within `window` seconds.
    """

    def __init__(self, capacity: int = 50000, window: float = 3600.0) -> None:
        self.capacity = capacity
        self.window = window
        # Ordered: the oldest call is found in constant time (a dict emptied from the front walks over the holes
        # its deletions left, until it is resized).
        self._channels: OrderedDict[str, float | None] = OrderedDict()
        self.dropped = 0

    def seen(self, rec: Record) -> bool:
        if rec.kind is not Kind.CALL or not rec.channel:
            return False
        before = self._channels.get(rec.channel, False)
        if before is not False and (before is None or rec.epoch is None or abs(rec.epoch - before) <= self.window):
            self.dropped += 1
            return True
        channels = self._channels
        channels.pop(rec.channel, None)
        channels[rec.channel] = rec.epoch
        if len(channels) > self.capacity:
            channels.popitem(last=False)
        if rec.epoch is not None:  # forget calls older than the window: memory follows calls per hour, not log size
            horizon = rec.epoch - self.window
            for _ in range(2):
                oldest = next(iter(channels))
                when = channels[oldest]
                if when is None or when >= horizon:
                    break
                del channels[oldest]
        return False


class Correlator:
    """Keeps one small state per source address; `observe` returns the behaviour reasons for one record."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.t = thresholds
        self.sources: dict[str, SourceState] = {}
        t = thresholds
        # The texts depend only on the thresholds (and a count): made once, not for every record of an attack.
        self._flood = Reason("flood", f"More than {t.flood_requests} SIP requests from this address within "
                                      f"{t.flood_window_seconds:g} seconds: an automated scan or flood.")
        self._brute_force = Reason("brute_force", f"Password guessing: more than {t.brute_force_capacity} failed "
                                                  f"logins from this address, faster than one every "
                                                  f"{t.brute_force_leak_seconds:g} seconds.")
        self._enumeration: dict[int, Reason] = {}
        self._flood_rate = t.flood_requests / t.flood_window_seconds

    def observe(self, rec: Record, trusted: bool) -> list[Reason]:
        ip = rec.source_ip
        if ip is None:
            return []
        st = self.sources.get(ip)
        if st is None:
            st = self.sources[ip] = SourceState()
        now = rec.epoch
        if now is None or now < st.last:
            now = st.last
        st.last = now
        t = self.t
        reasons: list[Reason] = []
        kind = rec.kind

        if not trusted and kind is not Kind.REGISTRATION:
            level = st.flood_level - (now - st.flood_time) * self._flood_rate
            st.flood_level = level = (level if level > 0.0 else 0.0) + 1
            st.flood_time = now
            if level > t.flood_requests:
                reasons.append(self._flood)

        tags = rec.tags
        failed = bool(tags) and not FAILURE_TAGS.isdisjoint(tags)
        if failed and "auth_failure" in tags:
            level = st.bf_level - (now - st.bf_time) / t.brute_force_leak_seconds
            st.bf_level = level = (level if level > 0.0 else 0.0) + 1
            st.bf_time = now
            if level > t.brute_force_capacity:
                reasons.append(self._brute_force)
        if failed and rec.extension and kind is not Kind.CALL:
            accounts = st.accounts
            accounts.pop(rec.extension, None)  # re-insert: the dict stays ordered by when each was last tried
            accounts[rec.extension] = now
            horizon = now - t.enumeration_window_seconds
            while len(accounts) > t.enumeration_distinct:
                oldest = next(iter(accounts))
                if accounts[oldest] >= horizon:
                    break
                del accounts[oldest]
            if len(accounts) > t.enumeration_distinct:
                reasons.append(self._enumeration_reason(len(accounts)))
                while len(accounts) > 4 * t.enumeration_distinct:  # keep memory bounded under a long scan
                    del accounts[next(iter(accounts))]
        if failed:
            st.failures.append(now)
            if len(st.failures) > 64:
                del st.failures[:32]
        elif kind is Kind.REGISTRATION and not trusted:
            recent = [f for f in st.failures if now - f <= t.compromise_window_seconds] if st.failures else []
            if len(recent) >= t.compromise_failures:
                reasons.append(Reason("compromise", f"Successful login from an address that failed {len(recent)} "
                                                    f"times before: the password may have been guessed. Change it "
                                                    f"now."))
        return reasons

    def _enumeration_reason(self, accounts: int) -> Reason:
        reason = self._enumeration.get(accounts)
        if reason is None:
            reason = self._enumeration[accounts] = Reason(
                "enumeration", f"Extension hunting: {accounts} different accounts tried from this address within "
                               f"{self.t.enumeration_window_seconds:g} seconds.")
        return reason
