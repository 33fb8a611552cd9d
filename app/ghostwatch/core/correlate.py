"""Per-source correlation over several time scales: brute force, extension hunting, flood, compromise.

Each source address, and each IPv6 prefix an outside address belongs to (/64, /56), keeps one small state. Scales:
CrowdSec's fast buckets (asterisk_bf, asterisk_user_enum), svwar's short hunts, fail2ban's stock jail (5 failures
in 10 minutes), slow persistence (bursts hours apart), Kamailio pike floods, a login after failures. The numbers
are in resources/thresholds.toml; every reason says which scale fired and its numbers.

State is explicit and time comes from the events, so a file read in one scan and the same lines followed one by
one give the same reasons. Each source's clock only moves forward (logs interleave threads slightly out of order).
Memory is bounded: states idle longer than the compromise window are forgotten, and at most `max_states` are kept
(the least recently active go first), so an attacker rotating IPv6 addresses cannot grow it without bound.
Per-record work is constant: a reason's text is remade only when its numbers have doubled since it was last made.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from socket import AF_INET6, inet_pton

from .events import Kind, Reason, Record
from .netaddr import is_local
from .numbers import looks_international
from .settings import Thresholds

FAILURE_TAGS = frozenset({"auth_failure", "no_matching_endpoint", "acl_reject"})
# Wrong passwords: what the fast password-guessing bucket counts. (CrowdSec's asterisk_bf also counts
# InvalidAccountID; an unknown account is extension hunting here, which the hunt rules and the jail judge.)
GUESS_TAGS = frozenset({"auth_failure"})
_NEVER = float("-inf")


class SourceState:
    """What one address (or IPv6 prefix) did lately. Containers are made when a second account, failure or burst
    needs them: a source that fails once (most of an IPv6 rotation) costs about 450 bytes with its key."""

    __slots__ = ("outside", "name", "last", "bf_level", "bf_time", "bf_start", "bf_count", "flood_level",
                 "flood_time", "failed_accounts", "asked", "hunt_until", "jail", "last_fail", "run_start",
                 "run_count", "run_account", "run_same", "run_guess", "burst0", "bursts", "week_start", "week_count",
                 "logged_in", "challenged", "renewing", "said", "prefix", "jail_i", "acct1", "acct1_time",
                 "acct1_failed")

    def __init__(self, outside: bool, prefix: tuple[int, int] | None) -> None:
        self.outside = outside          # not a LAN / loopback / carrier-NAT address
        self.prefix = prefix            # (address as an integer, prefix length) for an IPv6 prefix's state
        self.name = "this address" if prefix is None else ""  # how reasons name it; a prefix's is made when needed
        self.last = _NEVER              # this state's clock (only moves forward)
        self.bf_level = 0.0             # CrowdSec asterisk_bf bucket
        self.bf_time = 0.0
        self.bf_start = 0.0             # when the bucket last started filling from empty
        self.bf_count = 0
        self.flood_level = 0.0          # Kamailio pike
        self.flood_time = 0.0
        self.acct1: str | None = None   # the one account tried so far (the dicts below are made for a second one)
        self.acct1_time = 0.0
        self.acct1_failed = False
        self.failed_accounts: dict[str, float] | None = None  # account -> last failure (CrowdSec asterisk_user_enum)
        self.asked: dict[str, float] | None = None            # account -> last failure or challenge (short/slow hunts)
        self.hunt_until = _NEVER        # a hunt seen stays a hunt while it goes on
        self.jail: list[float] | None = None  # the last `jail_failures` failure times, a ring from jail_i (fail2ban);
        #                                       made at the second failure
        self.jail_i = 0
        self.last_fail = _NEVER
        self.run_start = 0.0            # a run of failures with no gap as long as the jail window
        self.run_count = 0
        self.run_account: str | None = None  # the account of the last failure, and how many in a row named it
        self.run_same = 0
        self.run_guess = False          # the run holds a wrong password (not only unknown accounts or ACL refusals)
        self.burst0 = 0.0               # when the first burst of failures began; `bursts` holds the starts of the
        self.bursts: list[float] | None = None  # recent bursts an hour or more apart, from the second one on
        self.week_start = 0.0           # failures since week_start (within the compromise window), for a later
        self.week_count = 0             # successful login
        self.logged_in = False          # a login from here succeeded: its failures are a phone's stale password
        self.challenged: dict[str, float] | None = None       # account -> last challenge (renewals)
        self.renewing = False           # an account challenged again later, no failure between: a device renewing
        self.said: dict[str, tuple[float, Reason]] | None = None  # scale -> (number it was made with, reason)


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
def _v6(ip: str) -> int | None:
    """An IPv6 address as an integer (C speed: `ipaddress` costs ~50 us an address), or None."""
    try:
        return int.from_bytes(inet_pton(AF_INET6, ip), "big")
    except (OSError, ValueError):
        return None


def _v6_outside(n: int) -> bool:
    """Not loopback, unique-local (fc00::/7), link-local (fe80::/10) or IPv4-mapped."""
    return not (n == 1 or (n >> 121) == 0x7E or (n >> 118) == 0x3FA or (n >> 32) == 0xFFFF)


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


def _name(st: SourceState) -> str:
    """How reasons name a state: "this address", or "the addresses of 2001:db8:4a:7::/64" (made once)."""
    if not st.name and st.prefix is not None:
        n, length = st.prefix
        st.name = f"the addresses of {ipaddress.IPv6Network((n, length), strict=False)}"
    return st.name


def _adjacent(name: str, asked: dict[str, float]) -> bool:
    """A numeric account name next to another one tried (100 and 101; 1000 after 100 and 1001)."""
    if not name.isdigit() or len(name) > 9:
        return False
    n = int(name)
    return str(n + 1) in asked or str(n - 1) in asked


def _made_up(name: str, repeated: int) -> bool:
    """One digit repeated `repeated` times or more (11111, 1111111): a name scanners make up, no office's numbering."""
    return len(name) >= repeated and name.isdigit() and name.count(name[0]) == len(name)


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
        self._count = 0

    # -- public -----------------------------------------------------------------------------------------------
    def observe(self, rec: Record, trusted: bool) -> list[Reason]:
        ip = rec.source_ip
        if ip is None:
            return []
        reasons = self._observe(ip, rec, trusted, None)
        if ":" in ip and self._prefixes and not trusted:
            n = _v6(ip)
            if n is not None and _v6_outside(n):
                for length in self._prefixes:
                    more = self._observe(f"{n >> (128 - length):x}/{length}", rec, trusted, (n, length))
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
    def _state(self, key: str, prefix: tuple[int, int] | None) -> SourceState:
        sources = self.sources
        st = sources.get(key)
        if st is None:
            if prefix is not None:
                outside = True
            elif ":" in key:
                n = _v6(key)
                outside = n is not None and _v6_outside(n)
            else:
                outside = not is_local(key)
            st = sources[key] = SourceState(outside, prefix)
            if len(sources) > self.t.max_states:
                sources.popitem(last=False)  # the least recently active address is forgotten first
        else:
            sources.move_to_end(key)
        return st

    def _prune(self, now: float) -> None:
        """Forget up to 64 states idle past every window (called every 32 records: amortised constant time)."""
        sources = self.sources
        horizon = now - self._idle
        for _ in range(64):
            if not sources:
                return
            oldest = next(iter(sources))
            if sources[oldest].last >= horizon:
                return
            del sources[oldest]

    def _observe(self, key: str, rec: Record, trusted: bool, prefix: tuple[int, int] | None) -> list[Reason]:
        st = self._state(key, prefix)
        address = prefix is None
        now = rec.epoch
        if now is None or now < st.last:
            now = st.last if st.last != _NEVER else 0.0
        st.last = now
        if address:
            self._count += 1
            if self._count & 31 == 0:
                self._prune(now)
        t = self.t
        reasons: list[Reason] = []
        kind = rec.kind

        if not trusted and kind is not Kind.REGISTRATION:
            level = st.flood_level - (now - st.flood_time) * self._flood_rate
            st.flood_level = level = (level if level > 0.0 else 0.0) + 1
            st.flood_time = now
            if level > t.flood_requests:
                reason = self._flood if address else self._reuse(st, "flood", 1)
                if reason is None:
                    reason = self._keep(st, "flood", 1, Reason(
                        "flood", f"More than {t.flood_requests} SIP requests from {_name(st)} within "
                                 f"{t.flood_window_seconds:g} seconds: one scanner rotating its addresses."))
                reasons.append(reason)

        if kind is Kind.REGISTRATION:
            if (address and not trusted and st.week_count >= t.compromise_failures
                    and now - st.week_start <= t.compromise_window_seconds):
                reasons.append(Reason("compromise", f"Successful login from an address that failed {st.week_count} "
                                                    f"times before: the password may have been guessed. Change it "
                                                    f"now."))
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
        if (address and stranger and account and rec.method == "INVITE" and (kind is not Kind.CALL or rec.challenge)
                and (failed or rec.challenge) and looks_international(account, t.toll_fraud_digits)):
            # (a challenged INVITE is the first step of every call a registered phone makes: only a stranger's is
            # toll fraud, which only correlation can tell; core/classify.py leaves challenges to this rule)
            # FreeSWITCH names the dialled number in its challenge and auth-failure lines: a stranger dialling
            # abroad without a valid login is after calls the office pays for.
            reasons.append(Reason("toll_fraud_attempt", f"An outsider tried to dial {_short(account)} through your "
                                                        f"PBX without a valid login: toll fraud (calls you would pay "
                                                        f"for)."))
        if failed:
            self._failure(st, rec, now, stranger, address, reasons)
            if (stranger and account and "no_matching_endpoint" in tags
                    and _made_up(account, t.hunt_repeated_digits)):
                # The PBX says no such account exists, and the name is one digit repeated: not a remote phone with
                # a wrong domain (its account is a real, office-numbered one), a scanner's guess (fail2ban#2161).
                reasons.append(self._reuse(st, "made_up", 1) or self._keep(st, "made_up", 1, Reason(
                    "enumeration", f"Extension hunting: {_name(st)} asked for the account "
                                   f"\u201c{_short(account)}\u201d, which does not exist on your PBX; one digit "
                                   f"repeated is a name scanners make up, and this address never logged in.")))
        if account and (failed or (rec.challenge and stranger)) and kind is not Kind.CALL:
            self._accounts(st, account, now, failed, stranger, reasons)
        return reasons

    def _failure(self, st: SourceState, rec: Record, now: float, stranger: bool, address: bool,
                 reasons: list[Reason]) -> None:
        t = self.t
        tags = rec.tags
        fired = False  # one brute_force reason per attempt: the fastest scale that fired speaks
        # Fast: CrowdSec asterisk_bf's leaky bucket.
        if not GUESS_TAGS.isdisjoint(tags):
            level = st.bf_level - (now - st.bf_time) / t.brute_force_leak_seconds
            if level <= 0.0:
                level, st.bf_start, st.bf_count = 0.0, now, 0
            st.bf_level = level = level + 1
            st.bf_time = now
            st.bf_count += 1
            if level > t.brute_force_capacity:
                fired = True
                reason = self._reuse(st, "bf", st.bf_count)
                if reason is None:
                    reason = self._keep(st, "bf", st.bf_count, Reason(
                        "brute_force", f"Password guessing: {st.bf_count} failed logins from {_name(st)} in "
                                       f"{span(now - st.bf_start)} (CrowdSec's asterisk_bf: more than "
                                       f"{t.brute_force_capacity}, faster than one every "
                                       f"{t.brute_force_leak_seconds:g} seconds)."))
                reasons.append(reason)
        # A run of failures (fail2ban's view): how many, over how long, and whether one name is retried.
        if now - st.last_fail > t.jail_window_seconds:
            st.run_start, st.run_count, st.run_guess = now, 0, False
        st.run_count += 1
        if "auth_failure" in tags:
            st.run_guess = True
        account = rec.extension
        if account is not None and account == st.run_account:
            st.run_same += 1
        else:
            st.run_account, st.run_same = account, 1
        before = st.last_fail
        gap = now - before
        st.last_fail = now
        jail = st.jail
        if jail is None and before != _NEVER:
            jail = st.jail = [_NEVER] * t.jail_failures
            jail[0], st.jail_i = before, 1 % len(jail)
        if jail is not None:
            i = st.jail_i
            jail[i] = now
            i += 1
            st.jail_i = i = 0 if i == len(jail) else i  # jail[i] is now the oldest of the last `jail_failures`
        if address:
            if now - st.week_start > t.compromise_window_seconds:
                st.week_start, st.week_count = now, 0
            st.week_count += 1
        if not stranger:
            return  # an office phone, a trusted peer, or a device that logged in before: a stale password, not guessing
        # Medium: fail2ban's stock jail.
        if jail is not None and now - jail[st.jail_i] <= t.jail_window_seconds and not fired:
            fired = True
            # Refusals of several unknown accounts are a hunt; wrong passwords, or one name again and again, guessing.
            code = "brute_force" if st.run_guess or st.run_same == st.run_count else "enumeration"
            reason = self._reuse(st, code, st.run_count)
            if reason is None:
                reason = self._keep(st, code, st.run_count, Reason(code, self._jail_text(st, now, code)))
            reasons.append(reason)
        # Slow: bursts of failures an hour or more apart.
        bursts = st.bursts
        if before == _NEVER:
            st.burst0 = now
        elif gap >= t.persistence_gap_seconds:
            if bursts is None:
                bursts = st.bursts = [st.burst0]
            bursts.append(now)
            horizon = now - t.persistence_window_seconds
            while bursts and bursts[0] < horizon:
                del bursts[0]
            if len(bursts) > t.persistence_bursts:
                del bursts[0]
        if bursts is not None and len(bursts) >= t.persistence_bursts and not fired:
            reason = self._reuse(st, "persist", len(bursts))
            if reason is None:
                reason = self._keep(st, "persist", len(bursts), Reason(
                    "brute_force", f"Persistent attempts: refused logins from {_name(st)} in {len(bursts)} bursts "
                                   f"an hour or more apart over {span(now - bursts[0])}."))
            reasons.append(reason)

    def _jail_text(self, st: SourceState, now: float, code: str) -> str:
        t = self.t
        if code == "enumeration":
            text = (f"Extension hunting: {st.run_count} refused attempts on accounts that do not exist from "
                    f"{_name(st)} in {span(now - st.run_start)}")
        elif st.run_same == st.run_count and st.run_account:
            text = (f"The same account \u201c{_short(st.run_account)}\u201d was tried {st.run_count} times from "
                    f"{_name(st)} in {span(now - st.run_start)} and refused each time")
        else:
            text = f"Password guessing: {st.run_count} failed logins from {_name(st)} in {span(now - st.run_start)}"
        return text + f" (fail2ban's stock jail bans {t.jail_failures} within {span(t.jail_window_seconds)})."

    def _accounts(self, st: SourceState, account: str, now: float, failed: bool, stranger: bool,
                  reasons: list[Reason]) -> None:
        t = self.t
        if st.failed_accounts is None and st.asked is None:  # one account so far: nothing to count yet
            if st.acct1 is None or st.acct1 == account:
                st.acct1, st.acct1_time, st.acct1_failed = account, now, st.acct1_failed or failed
                return
            first, when = st.acct1, st.acct1_time  # a second account: from here on, the dicts
            if st.acct1_failed:
                st.failed_accounts = {first: when}
            if stranger:
                st.asked = {first: when}
            st.acct1 = None
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
                count = len(accounts)
                reason = self._reuse(st, "enum", count)
                if reason is None:
                    reason = self._keep(st, "enum", count, Reason(
                        "enumeration", f"Extension hunting: {count} different accounts tried from {_name(st)} within "
                                       f"{span(t.enumeration_window_seconds)} (CrowdSec's asterisk_user_enum: more "
                                       f"than {t.enumeration_distinct})."))
                reasons.append(reason)
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
            count = len(asked)
            reason = self._reuse(st, "hunt", count)
            if reason is None:
                reason = self._keep(st, "hunt", count, Reason(
                    "enumeration", f"Extension hunting: {count} different accounts tried from {_name(st)} within "
                                   f"{span(t.slow_hunt_window_seconds)}, never logging in."))
            reasons.append(reason)
            return
        if len(asked) < t.hunt_distinct:
            return
        # Short: scanner-typical names, or consecutive ones the PBX refused, within a minute (svwar). Consecutive
        # names only challenged are a branch office's phones as often as a hunt: they need a refusal.
        names = t.hunt_names
        recent = now - t.hunt_window_seconds
        refused = st.failed_accounts or {}
        typical = [n for n, when in asked.items() if when >= recent
                   and (n.lower() in names or _made_up(n, t.hunt_repeated_digits)
                        or (n in refused and _adjacent(n, asked)))]
        if len(typical) >= t.hunt_distinct:
            first = min(asked[n] for n in typical)
            st.hunt_until = now + t.hunt_window_seconds
            shown = ", ".join(_short(n) for n in typical[:6]) + (", \u2026" if len(typical) > 6 else "")
            reasons.append(self._keep(st, "hunt", len(typical), Reason(
                "enumeration", f"Extension hunting: {len(typical)} scanner-typical or consecutive account names "
                               f"({shown}) tried from {_name(st)} in {span(now - first)}, as SIPVicious svwar does.")))
            return
        # Slow: several accounts within minutes from an outside address that never logged in.
        if len(asked) >= t.slow_hunt_distinct:
            scattered = [n for n in asked if n in refused or not _adjacent(n, asked)]
            if len(scattered) >= t.slow_hunt_distinct:
                st.hunt_until = now + t.hunt_window_seconds
                first = asked[scattered[0]]
                reasons.append(self._keep(st, "hunt", len(scattered), Reason(
                    "enumeration", f"Extension hunting: {len(scattered)} different accounts tried from {_name(st)} "
                                   f"in {span(now - first)}, never logging in.")))

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

    @staticmethod
    def _reuse(st: SourceState, scale: str, number: float) -> Reason | None:
        """The reason one scale of this state last gave, while its number has not doubled or halved since (a long
        attack costs a few texts, not one per line; the numbers are those of the moment it was made: true lower
        bounds for the attempts after it)."""
        said = st.said
        if said is not None:
            made = said.get(scale)
            if made is not None and 2 * number > made[0] and number < 2 * made[0]:
                return made[1]
        return None

    @staticmethod
    def _keep(st: SourceState, scale: str, number: float, reason: Reason) -> Reason:
        if st.said is None:
            st.said = {}
        st.said[scale] = (number, reason)
        return reason
