"""Per-event rules -> reasons -> verdict. Every verdict carries the reasons that led to it."""

from __future__ import annotations

from functools import lru_cache

from .correlate import Correlator
from .events import Event, Evidence, Kind, Outcome, Reason, Record, Verdict, make_event
from .netaddr import is_ip_literal, is_local
from .numbers import implausible, looks_international
from .settings import DetectionSettings
from .signatures import Signatures
from .text import ascii_int

# Reasons that alone make a call a ghost call (scanner hallmarks), when the source is not trusted.
GHOST_HALLMARKS = frozenset({"scanner_user_agent", "scanner_display_name", "scanner_caller_id", "scanner_from_host",
                             "scanner_sdp"})
# Behaviour that makes anything from a source an attack.
ATTACK_BEHAVIOUR = frozenset({"brute_force", "enumeration", "flood", "compromise", "blocklisted", "hacking_attempt",
                              "toll_fraud_attempt", "log_injection", "sql_injection"})
# Reasons that on their own make a non-trusted event worth a look.
SUSPICIOUS_ALONE = frozenset({"auth_failure", "no_matching_endpoint", "acl_reject", "untrusted_source",
                              "invalid_number", "anonymous_inbound", "unknown_extension", "suspicious_user_agent"})

_TAG_TEXT = {
    "auth_failure": "The PBX refused the password given for this account.",
    "no_matching_endpoint": "The PBX has no account or endpoint by this name: someone is guessing names.",
    "acl_reject": "The PBX's access list does not allow this address.",
    "untrusted_source": "The PBX refused a SIP connection from an address it does not know.",
    "hacking_attempt": "The PBX itself reported a hacking attempt from this address.",
    "flood": "The SIP proxy blocked this address for sending too many requests.",
    "unknown_extension": "The call asked for an extension that does not exist.",
    "log_injection": "The log line carries forged fields: someone wrote log text into a SIP header to mislead "
                     "log readers. No source address is trusted from it.",
    "scanner_sdp": "The call's media description names an attack tool (sipcli): a scanner's test call.",
    "sql_injection": "The caller's name carries an SQL injection ('or''='): an attack on the PBX's database, not a "
                     "caller.",
}


class Classifier:
    """Judges attempts. One instance per stream: it owns the correlation state.

    `core/judge.py` joins a PBX's lines into attempts and calls `judge` once per change of an attempt, with the
    behaviour reasons correlation gave it once; `classify` judges a single record on its own (tools, tests)."""

    def __init__(self, settings: DetectionSettings, signatures: Signatures) -> None:
        self.settings = settings
        self.signatures = signatures
        self.correlator = Correlator(settings.thresholds)
        # The settings are frozen: test the networks' emptiness once, not for every record.
        self._trusted = settings.trusted if settings.trusted else None
        self._blocklist = settings.blocklist if settings.blocklist else None

    def process(self, records: list[Record]) -> list[Event]:
        """Classify records one by one, each its own attempt (tests and tools; streams go through core/judge.py)."""
        return [self.classify(rec) for rec in records]

    def classify(self, rec: Record) -> Event:
        trusted = rec.source_ip in self._trusted if self._trusted is not None else False
        behaviour = self.correlator.observe(rec, trusted) if rec.source_ip is not None else ()
        return self.judge(rec, behaviour, trusted)

    def judge(self, rec: Record, behaviour: tuple[Reason, ...] | list[Reason], trusted: bool,
              evidence: tuple[Evidence, ...] = ()) -> Event:
        """The event of an attempt whose (merged) record is `rec`, given what correlation said of it."""
        reasons = self._rules(rec, trusted)
        if behaviour:
            if reasons:
                codes = {r.code for r in reasons}  # the log itself may already have said "flood"
                reasons.extend(r for r in behaviour if r.code not in codes)
            else:
                reasons = list(behaviour)
        if not reasons:
            return make_event((rec, Verdict.NORMAL, (), evidence))
        return make_event((rec, self._verdict(rec, reasons, trusted), tuple(reasons), evidence))

    # -- rules on the record itself ---------------------------------------------------------------------------
    def _rules(self, rec: Record, trusted: bool) -> list[Reason]:
        # Most records carry no user agent, display name or From host: each test is skipped unless it can match.
        sig = self.signatures
        why = _reason
        out: list[Reason] = []
        if rec.source_ip and self._blocklist is not None and rec.source_ip in self._blocklist:
            out.append(why("blocklisted", f"{rec.source_ip} is on your block list."))
        if rec.user_agent:
            match = sig.agent_match(rec.user_agent)
            if match and match[0] == "scanner":
                out.append(why("scanner_user_agent", f"The caller's software calls itself "
                                                     f"\u201c{rec.user_agent}\u201d, the signature of the attack tool "
                                                     f"\u201c{match[1]}\u201d."))
            elif match:
                out.append(why("suspicious_user_agent", f"User agent \u201c{rec.user_agent}\u201d is often faked by "
                                                        f"scanners (real products also send it)."))
        if rec.caller_name and sig.is_scanner_name(rec.caller_name):
            out.append(why("scanner_display_name", f"The caller's display name \u201c{rec.caller_name}\u201d is the "
                                                   f"default of the SIPVicious scanner."))
        is_call = rec.kind is Kind.CALL
        external = self._external(rec, trusted) if is_call else False
        if rec.caller_id and ((is_call and not _office_phone(rec)) or rec.method == "OPTIONS"):
            # an office phone whose extension is 1000 is no scanner
            if not trusted and sig.is_scanner_caller(rec.caller_id):
                out.append(why("scanner_caller_id", f"Caller ID {rec.caller_id} is what SIP scanners send by "
                                                    f"default; real outside callers never have it."))
        if rec.from_host and sig.is_scanner_host(rec.from_host):
            out.append(why("scanner_from_host", f"The call claims to come from {rec.from_host}, the fake address SIP "
                                                f"scanners put in their requests."))
        for tag in rec.tags:
            if tag == "unknown_extension" and is_call and not external:
                continue  # an office phone dialling a wrong number is nobody's business
            reason = _tag_reason(tag, rec.detail)
            if reason is not None:
                out.append(reason)
        if is_call:
            out.extend(self._call_rules(rec, trusted, external))
        elif (rec.kind is Kind.AUTH_FAILURE and rec.method == "INVITE" and rec.source_ip and not trusted
              and not is_local(rec.source_ip)
              and looks_international(rec.extension, self.settings.thresholds.toll_fraud_digits)):
            # FreeSWITCH names the number a refused INVITE dialled: "SIP auth failure (INVITE) ... for [810972...@"
            out.append(why("toll_fraud_attempt", f"An outsider without the password tried to dial {rec.extension} "
                                                 f"through your PBX: toll fraud (calls you would pay for)."))
        return out

    def _call_rules(self, rec: Record, trusted: bool, external: bool) -> list[Reason]:
        why = _reason
        out: list[Reason] = []
        if rec.anonymous and not trusted:
            if rec.outcome is Outcome.REJECTED:
                text = ("The PBX takes calls without a login (guest/anonymous callers); it refused this one, but the "
                        "door is open.")
            elif rec.outcome is not None:
                text = ("The PBX let this call in without a login (guest/anonymous caller) and put it through to "
                        "your phones.")
            else:
                text = "The PBX let this call in without a login (guest/anonymous caller)."
            out.append(why("anonymous_inbound", text))
        if external and rec.caller_id:
            problem = implausible(rec.caller_id, self.settings.home_region)
            if problem:
                out.append(why("invalid_number", problem + "."))
        if external and rec.ruri_host and is_ip_literal(rec.ruri_host) and (rec.anonymous or rec.source_ip):
            out.append(why("direct_ip_call", f"The call was addressed straight to the IP address {rec.ruri_host} "
                                             f"instead of a phone number at your provider."))
        # an outsider dialling abroad through the PBX: refused, or let into an internal dialplan context (someone
        # logged in on an extension from outside: FreeSWITCH's "Processing 1001 <1001>->00972... in context default")
        placed = (rec.outcome is not Outcome.REJECTED and rec.source_ip is not None and rec.context is not None
                  and rec.context not in self.signatures.inbound_contexts and rec.context != "public")
        refused = rec.outcome is Outcome.REJECTED and not rec.challenge  # a password challenge is no refusal: a
        # known phone's call abroad starts with one too (a stranger's challenged INVITE: core/correlate.py)
        if (external and not trusted and ((refused and (rec.anonymous or rec.source_ip)) or placed)
                and looks_international(rec.extension, self.settings.thresholds.toll_fraud_digits)):
            out.append(why("toll_fraud_attempt", f"An outsider tried to dial {rec.extension} through your PBX: "
                                                 f"toll fraud (calls you would pay for)."))
        if self._trusted is not None and rec.source_ip and not trusted:
            out.append(why("untrusted_source", f"{rec.source_ip} is not one of your trusted networks."))
        if rec.billsec == 0 and rec.duration is not None and rec.duration <= 5 and rec.outcome is Outcome.RANG:
            out.append(why("short_call", f"It rang for {rec.duration} seconds and nobody was there."))
        hours = self.settings.office_hours
        if hours and rec.time and len(rec.time) >= 13:
            hour = ascii_int(rec.time[11:13])
            if hour is not None and hour not in hours:
                out.append(why("out_of_hours", f"The call came at {rec.time[11:16]}, outside office hours."))
        return out

    def _external(self, rec: Record, trusted: bool) -> bool:
        """Whether a call came from outside the office (only then are outside-number rules fair)."""
        if trusted:
            return False
        if rec.external is not None:
            return rec.external
        if rec.source_ip:
            return not is_local(rec.source_ip) or self._trusted is not None
        return rec.anonymous or (rec.context or "") in self.signatures.inbound_contexts

    # -- verdict ----------------------------------------------------------------------------------------------
    def _verdict(self, rec: Record, reasons: list[Reason], trusted: bool) -> Verdict:
        codes = {r.code for r in reasons}
        if not codes:
            return Verdict.NORMAL
        hallmarks = codes & GHOST_HALLMARKS
        if rec.kind is Kind.CALL and not trusted and "toll_fraud_attempt" not in codes:
            if hallmarks or ("invalid_number" in codes and codes & {"anonymous_inbound", "direct_ip_call"}):
                return Verdict.GHOST
            if "anonymous_inbound" in codes and rec.outcome is not None and rec.outcome is not Outcome.REJECTED:
                return Verdict.GHOST  # an unauthenticated outsider's call got into the dialplan: it rings a phone
        if codes & ATTACK_BEHAVIOUR:
            return Verdict.ATTACK
        if hallmarks:
            return Verdict.SUSPICIOUS if trusted else Verdict.ATTACK
        if trusted:
            return Verdict.NORMAL
        if codes & SUSPICIOUS_ALONE:
            return Verdict.SUSPICIOUS
        if len(codes) >= 2:
            return Verdict.SUSPICIOUS
        return Verdict.NORMAL


def _office_phone(rec: Record) -> bool:
    """A call from a phone inside the office: the log says so, or it came from a LAN address. Not the loopback: a
    SIP proxy on the PBX's own host relays every outside call from 127.0.0.1."""
    if rec.external is not None:
        return not rec.external
    ip = rec.source_ip
    return ip is not None and is_local(ip) and not ip.startswith(("127.", "::1"))


# The reason that best says why in one line: the most serious first.
_HEADLINE_ORDER = ("compromise", "toll_fraud_attempt", "brute_force", "enumeration", "flood", "hacking_attempt",
                   "log_injection", "blocklisted", "scanner_user_agent", "scanner_caller_id", "scanner_display_name",
                   "scanner_from_host", "anonymous_inbound", "direct_ip_call", "invalid_number", "short_call")
_HEADLINE_RANK = {code: i for i, code in enumerate(_HEADLINE_ORDER)}


def headline(reasons: tuple[Reason, ...] | list[Reason]) -> Reason | None:
    """The one reason to show when there is room for one (the table's column, `watch`'s line, a notification)."""
    if not reasons:
        return None
    return min(reasons, key=lambda r: _HEADLINE_RANK.get(r.code, len(_HEADLINE_ORDER)))


@lru_cache(maxsize=2048)
def _reason(code: str, text: str) -> Reason:
    """One shared Reason per text: an attack repeats the same few thousand times, and shared objects let the JSON
    encoder and the report reuse their work."""
    return Reason(code, text)


@lru_cache(maxsize=4096)
def _tag_reason(tag: str, detail: str | None) -> Reason | None:
    """The reason for a tag the parser vouched for (None for a tag that is no reason); the same few texts repeat."""
    text = _TAG_TEXT.get(tag)
    if text is None:
        return None
    return Reason(tag, text + (f" ({detail})" if detail else ""))
