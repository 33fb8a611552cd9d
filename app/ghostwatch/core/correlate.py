"""Per-source correlation over several time scales: brute force, extension hunting, flood, compromise.

Each source address, and each IPv6 prefix an outside address belongs to (/64, /56), keeps one small state. Scales:
CrowdSec's fast buckets (asterisk_bf, asterisk_user_enum), svwar's short hunts, fail2ban's stock jail (5 failures
in 10 minutes), slow persistence (bursts hours apart), Kamailio pike floods, a login after failures. The numbers
are in resources/thresholds.toml; every reason says which scale fired and its numbers.

State is explicit and time comes from the events, so a file read in one scan and the same lines followed one by
one give the same reasons. Each source's clock only moves forward (logs interleave threads slightly out of order).
Memory is bounded: states idle longer than the compromise window are forgotten, and at most `max_states` are kept
(the least recently active go first), so an attacker rotating IPv6 addresses cannot grow it without bound.
"""

from __future__ import annotations

import ipaddress
from array import array
from collections import OrderedDict
from functools import lru_cache

from .events import Kind, Reason, Record
from .netaddr import is_local
from .numbers import looks_international
from .settings import Thresholds

FAILURE_TAGS = frozenset({"auth_failure", "no_matching_endpoint", "acl_reject"})
# Failures CrowdSec's asterisk_failed_auth counts (InvalidAccountID, ChallengeResponseFailed, InvalidPassword).
GUESS_TAGS = frozenset({"auth_failure", "no_matching_endpoint"})
_NEVER = float("-inf")


class SourceState:
    """What one address (or IPv6 prefix) did lately. Containers are made on first use: most sources never need them
    (about 200 bytes for a source that only registers or probes once)."""

    __slots__ = ("outside", "last", "bf_level", "bf_time", "bf_start", "bf_count", "flood_level", "flood_time",
                 "failed_accounts", "asked", "hunt_until", "jail", "last_fail", "run_start", "run_count",
                 "run_account", "run_same", "bursts", "failures", "logged_in", "challenged", "renewing")

    def __init__(self, outside: bool) -> None:
        self.outside = outside          # not a LAN / loopback / carrier-NAT address
        self.last = _NEVER              # this state's clock (only moves forward)
        self.bf_level = 0.0             # CrowdSec asterisk_bf bucket
        self.bf_time = 0.0
        self.bf_start = 0.0             # when the bucket last started filling from empty
        self.bf_count = 0
        self.flood_level = 0.0          # Kamailio pike
        self.flood_time = 0.0
        self.failed_accounts: dict[str, float] | None = None  # account -> last failure (CrowdSec asterisk_user_enum)
        self.asked: dict[str, float] | None = None            # account -> last failure or challenge (short/slow hunts)
        self.hunt_until = _NEVER        # a hunt seen stays a hunt while it goes on
        self.jail: array[float] | None = None                 # the last `jail_failures` failure times (fail2ban)
        self.last_fail = _NEVER
        self.run_start = 0.0            # a run of failures with no gap as long as the jail window
        self.run_count = 0
        self.run_account: str | None = None  # the account of the last failure, and how many in a row named it
        self.run_same = 0
        self.bursts: array[float] | None = None               # starts of failure bursts an hour or more apart
        self.failures: array[float] | None = None             # recent failure times, for a later successful login
        self.logged_in = False          # a login from here succeeded: its failures are a phone's stale password
        self.challenged: dict[str, float] | None = None       # account -> last challenge (renewals)
        self.renewing = False           # an account challenged again later, no failure between: a device renewing


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


@lru_cache(maxsize=4096)
def ipv6_prefixes(ip: str, lengths: tuple[int, ...]) -> tuple[str, ...]:
    """The prefixes (`2001:db8:1:2::/64`, ...) an outside IPv6 address belongs to; () for IPv4 or a local address."""
    try:
        addr = ipaddress.IPv6Address(ip)
    except ValueError:
        return ()
    if addr.ipv4_mapped is not None or is_local(ip):
        return ()
    return tuple(str(ipaddress.IPv6Network((addr, n), strict=False)) for n in lengths)


def span(seconds: float) -> str:
    """A duration in the words a reason uses: "40 seconds", "8 minutes", "5 hours"."""
    if seconds < 1.0:
        return "under a second"
    if seconds < 120:
        n, unit = round(seconds), "second"
    elif seconds < 7200:
        n, unit = round(seconds / 60), "minute"
    elif seconds < 172800:
        n, unit = round(seconds / 3600), "hour"
    else:
        n, unit = round(seconds / 86400), "day"
    return f"{n} {unit}" + ("" if n == 1 else "s")


def _short(name: str) -> str:
    return name if len(name) <= 16 else name[:15] + "\u2026"


class Correlator:
    """Keeps one small state per source address and IPv6 prefix; `observe` returns the behaviour reasons for one
    attempt (the joining layer calls it once per attempt)."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.t = t = thresholds
        # Ordered by last activity: the least recently active state is found in constant time.
        self.sources: OrderedDict[str, SourceState] = OrderedDict()
        self._flood = Reason("flood", f"More than {t.flood_requests} SIP requests from this address within "
                                      f"{t.flood_window_seconds:g} seconds: an automated scan or flood (Kamailio "
                                      f"pike's default limit).")
        self._flood_rate = t.flood_requests / t.flood_window_seconds
        self._idle = max(t.compromise_window_seconds, t.persistence_window_seconds, t.jail_window_seconds)
        self._prefixes = tuple(t.ipv6_prefixes)
        self._reasons: dict[tuple[str, str], Reason] = {}

    # -- public -----------------------------------------------------------------------------------------------
    def observe(self, rec: Record, trusted: bool) -> list[Reason]:
        ip = rec.source_ip
        if ip is None:
            return []
        reasons = self._observe(ip, "this address", rec, trusted, True)
        if len(reasons) > 1:  # several scales may fire at once: the first (fastest) one speaks for its code
            seen: set[str] = set()
            reasons = [r for r in reasons if not (r.code in seen or seen.add(r.code))]
        if ":" in ip and self._prefixes and not trusted:
            for prefix in ipv6_prefixes(ip, self._prefixes):
                more = self._observe(prefix, f"the addresses of {prefix}", rec, trusted, False)
                if more:
                    codes = {r.code for r in reasons}
                    reasons.extend(r for r in more if r.code not in codes)
        return reasons

    def forget_idle(self, now: float) -> None:
        """Drop every state idle longer than the longest window (`observe` does this a little at a time)."""
        horizon = now - self._idle
        sources = self.sources
        while sources:
            key = next(iter(sources))
            if sources[key].last >= horizon:
                break
            del sources[key]

    # -- one state ----------------------------------------------------------------------------------------------
    def _state(self, key: str, address: bool) -> SourceState:
        sources = self.sources
        st = sources.get(key)
        if st is None:
            st = sources[key] = SourceState(not is_local(key) if address else True)
            if len(sources) > self.t.max_states:
                sources.popitem(last=False)  # the least recently active address is forgotten first
        else:
            sources.move_to_end(key)
        return st

    def _observe(self, key: str, who: str, rec: Record, trusted: bool, address: bool) -> list[Reason]:
        st = self._state(key, address)
        now = rec.epoch
        if now is None or now < st.last:
            now = st.last if st.last != _NEVER else 0.0
        st.last = now
        if address:  # forget a little at a time: the oldest two states, when idle past every window
            sources = self.sources
            horizon = now - self._idle
            for _ in range(2):
                oldest = next(iter(sources))
                if sources[oldest].last >= horizon:
                    break
                del sources[oldest]
        t = self.t
        reasons: list[Reason] = []
        kind = rec.kind

        if not trusted and kind is not Kind.REGISTRATION:
            level = st.flood_level - (now - st.flood_time) * self._flood_rate
            st.flood_level = level = (level if level > 0.0 else 0.0) + 1
            st.flood_time = now
            if level > t.flood_requests:
                reasons.append(self._flood if address else self._why(
                    "flood", f"More than {t.flood_requests} SIP requests from {who} within "
                             f"{t.flood_window_seconds:g} seconds: one scanner rotating its addresses."))

        if kind is Kind.REGISTRATION:
            if address and not trusted and st.failures:
                recent = [f for f in st.failures if now - f <= t.compromise_window_seconds]
                if len(recent) >= t.compromise_failures:
                    reasons.append(self._why("compromise", f"Successful login from an address that failed "
                                                           f"{len(recent)} times before: the password may have been "
                                                           f"guessed. Change it now."))
            st.logged_in = True
            return reasons

        tags = rec.tags
        failed = bool(tags) and not FAILURE_TAGS.isdisjoint(tags)
        account = rec.extension
        if rec.challenge and account and not failed and not st.renewing:
            self._challenge(st, account, now)
        # An outside address that never logged in from here (FreeSWITCH logs no successful REGISTER: a device that
        # renews its registration is known the same way).
        stranger = st.outside and not trusted and not st.logged_in and not st.renewing
        if (address and stranger and account and rec.method == "INVITE" and kind is not Kind.CALL
                and (failed or rec.challenge) and looks_international(account, t.toll_fraud_digits)):
            # FreeSWITCH names the dialled number in its challenge and auth-failure lines: a stranger dialling
            # abroad without a valid login is after calls the office pays for.
            reasons.append(self._why("toll_fraud_attempt", f"An outsider tried to dial {_short(account)} through "
                                                           f"your PBX without a valid login: toll fraud (calls you "
                                                           f"would pay for)."))
        if failed:
            self._failure(st, who, rec, now, stranger, address, reasons)
        if account and (failed or (rec.challenge and stranger)) and kind is not Kind.CALL:
            self._accounts(st, who, account, now, failed, stranger, reasons)
        return reasons

    def _failure(self, st: SourceState, who: str, rec: Record, now: float, stranger: bool, address: bool,
                 reasons: list[Reason]) -> None:
        t = self.t
        tags = rec.tags
        # Fast: CrowdSec asterisk_bf's leaky bucket.
        if not GUESS_TAGS.isdisjoint(tags):
            level = st.bf_level - (now - st.bf_time) / t.brute_force_leak_seconds
            if level <= 0.0:
                level, st.bf_start, st.bf_count = 0.0, now, 0
            st.bf_level = level = level + 1
            st.bf_time = now
            st.bf_count += 1
            if level > t.brute_force_capacity:
                reasons.append(self._why("brute_force", f"Password guessing: {st.bf_count} failed logins from {who} "
                                                        f"in {span(now - st.bf_start)} (CrowdSec's asterisk_bf: "
                                                        f"more than {t.brute_force_capacity}, faster than one every "
                                                        f"{t.brute_force_leak_seconds:g} seconds)."))
        # A run of failures (fail2ban's view): how many, over how long, and whether one name is retried.
        if now - st.last_fail > t.jail_window_seconds:
            st.run_start, st.run_count = now, 0
        st.run_count += 1
        account = rec.extension
        if account is not None and account == st.run_account:
            st.run_same += 1
        else:
            st.run_account, st.run_same = account, 1
        gap = now - st.last_fail
        st.last_fail = now
        jail = st.jail
        if jail is None:
            jail = st.jail = array("d")
        jail.append(now)
        if len(jail) > t.jail_failures:
            del jail[0]
        if address:
            failures = st.failures
            if failures is None:
                failures = st.failures = array("d")
            failures.append(now)
            if len(failures) > 64:
                del failures[:32]
        if not stranger:
            return  # an office phone, a trusted peer, or a device that logged in before: a stale password, not guessing
        # Medium: fail2ban's stock jail.
        if len(jail) >= t.jail_failures and now - jail[0] <= t.jail_window_seconds:
            if st.run_same == st.run_count and account:
                text = (f"The same account \u201c{_short(account)}\u201d was tried {st.run_count} times from {who} in "
                        f"{span(now - st.run_start)} and refused each time")
            else:
                text = f"Password guessing: {st.run_count} failed logins from {who} in {span(now - st.run_start)}"
            reasons.append(self._why("brute_force", text + f" (fail2ban's stock jail bans {t.jail_failures} within "
                                                           f"{span(t.jail_window_seconds)})."))
        # Slow: bursts of failures an hour or more apart.
        bursts = st.bursts
        if bursts is None:
            bursts = st.bursts = array("d")
        if not bursts or gap >= t.persistence_gap_seconds:
            bursts.append(now)
            horizon = now - t.persistence_window_seconds
            while bursts and bursts[0] < horizon:
                del bursts[0]
            if len(bursts) > t.persistence_bursts:
                del bursts[0]
        if len(bursts) >= t.persistence_bursts:
            reasons.append(self._why("brute_force", f"Persistent guessing: failed logins from {who} in "
                                                    f"{len(bursts)} bursts an hour or more apart over "
                                                    f"{span(now - bursts[0])}."))

    def _accounts(self, st: SourceState, who: str, account: str, now: float, failed: bool, stranger: bool,
                  reasons: list[Reason]) -> None:
        t = self.t
        if failed:  # CrowdSec asterisk_user_enum: distinct accounts failing, from any address
            accounts = st.failed_accounts
            if accounts is None:
                accounts = st.failed_accounts = {}
            accounts.pop(account, None)  # re-insert: the dict stays ordered by when each was last tried
            accounts[account] = now
            horizon = now - t.enumeration_window_seconds
            while len(accounts) > t.enumeration_distinct:
                oldest = next(iter(accounts))
                if accounts[oldest] >= horizon:
                    break
                del accounts[oldest]
            if len(accounts) > t.enumeration_distinct:
                reasons.append(self._why("enumeration", f"Extension hunting: {len(accounts)} different accounts "
                                                        f"tried from {who} within "
                                                        f"{span(t.enumeration_window_seconds)} (CrowdSec's "
                                                        f"asterisk_user_enum: more than {t.enumeration_distinct})."))
                while len(accounts) > 4 * t.enumeration_distinct:  # keep memory bounded under a long scan
                    del accounts[next(iter(accounts))]
                return
        if not stranger:
            return
        asked = st.asked
        if asked is None:
            asked = st.asked = {}
        asked.pop(account, None)
        asked[account] = now
        horizon = now - t.slow_hunt_window_seconds
        while asked:
            oldest = next(iter(asked))
            if asked[oldest] >= horizon and len(asked) <= 64:
                break
            del asked[oldest]
        if now <= st.hunt_until:  # a hunt goes on: no need to count again
            st.hunt_until = now + t.hunt_window_seconds
            reasons.append(self._why("enumeration", f"Extension hunting: {len(asked)} different accounts tried "
                                                    f"from {who} within {span(t.slow_hunt_window_seconds)}, "
                                                    f"never logging in."))
            return
        if len(asked) < t.hunt_distinct:
            return
        # Short: scanner-typical names, or consecutive ones the PBX refused, within a minute (svwar). Consecutive
        # names only challenged are a branch office's phones as often as a hunt: they need a refusal.
        names = self.t.hunt_names
        recent = now - t.hunt_window_seconds
        refused = st.failed_accounts or {}
        typical = [n for n, when in asked.items() if when >= recent
                   and (n.lower() in names or (n in refused and _adjacent(n, asked)))]
        if len(typical) >= t.hunt_distinct:
            first = min(asked[n] for n in typical)
            st.hunt_until = now + t.hunt_window_seconds
            shown = ", ".join(_short(n) for n in typical[:6]) + (", \u2026" if len(typical) > 6 else "")
            reasons.append(self._why("enumeration", f"Extension hunting: {len(typical)} scanner-typical or "
                                                    f"consecutive account names ({shown}) tried from {who} in "
                                                    f"{span(now - first)}, as SIPVicious svwar does."))
            return
        # Slow: several accounts within minutes from an outside address that never logged in.
        if len(asked) >= t.slow_hunt_distinct:
            scattered = [n for n in asked if n in refused or not _adjacent(n, asked)]
            if len(scattered) >= t.slow_hunt_distinct:
                st.hunt_until = now + t.hunt_window_seconds
                first = asked[scattered[0]]
                reasons.append(self._why("enumeration", f"Extension hunting: {len(scattered)} different accounts "
                                                        f"tried from {who} in {span(now - first)}, never logging "
                                                        f"in."))

    def _challenge(self, st: SourceState, account: str, now: float) -> None:
        """Notice a device renewing its registration: the same account challenged again, no failure since."""
        challenged = st.challenged
        if challenged is None:
            challenged = st.challenged = {}
        before = challenged.get(account)
        if before is not None and now - before >= 20.0 and st.last_fail < before:
            st.renewing = True
            st.challenged = None
            return
        challenged[account] = now
        if len(challenged) > 16:
            del challenged[next(iter(challenged))]

    def _why(self, code: str, text: str) -> Reason:
        """One shared Reason per text (an attack repeats the same few texts thousands of times)."""
        key = (code, text)
        reason = self._reasons.get(key)
        if reason is None:
            if len(self._reasons) >= 4096:
                self._reasons.clear()
            reason = self._reasons[key] = Reason(code, text)
        return reason


def _adjacent(name: str, asked: dict[str, float]) -> bool:
    """A numeric account name next to another one tried (100 and 101; 1000 after 100 and 1001)."""
    if not name.isdigit() or len(name) > 9:
        return False
    n = int(name)
    return str(n + 1) in asked or str(n - 1) in asked
