"""The status strip's headline in plain words, from today's counts and today's worst source."""

from __future__ import annotations

from .text import display_text


def headline_words(totals: dict[str, int], worst_ip: str | None = None, worst_verdict: str | None = None,
                   worst_events: int = 0, ghosts_rang: int | None = None) -> str:
    """`ghosts_rang`: how many of today's ghost calls rang a phone (None: not known, said carefully)."""
    ghosts, attacks, suspicious = totals.get("ghost", 0), totals.get("attack", 0), totals.get("suspicious", 0)
    who = display_text(worst_ip, 45) if worst_ip else None
    if ghosts:
        if ghosts_rang is not None:
            return ghost_headline(ghosts_rang, ghosts - ghosts_rang)
        calls = "a ghost call" if ghosts == 1 else f"{ghosts} ghost calls"
        tail = f" (from {who})" if who and worst_verdict == "ghost" else ""
        return f"{calls.capitalize()} today{tail}: see the table for which rang a phone."
    if attacks and who:
        return f"{who} is attacking your PBX: {worst_events:,} attempts today, none got through."
    if attacks:
        return f"{attacks:,} attack attempts today; none reached a phone."
    if suspicious:
        return f"{suspicious:,} suspicious events today; nothing serious."
    return "Quiet today."


# -- an attempt named in words: titles of the detail pane, notifications, `watch` -----------------------------
_ATTACK_TITLES = {
    "compromise": "Possible break-in from {who}",
    "toll_fraud_attempt": "Toll-fraud attempt from {who}",
    "brute_force": "Password guessing from {who}",
    "enumeration": "Extension hunting from {who}",
    "flood": "Flood of SIP requests from {who}",
    "hacking_attempt": "Hacking attempt from {who}",
    "blocklisted": "Blocked address {who} is back",
    "log_injection": "Forged log lines from {who}",
}
_TOOLS = {"friendly-scanner": "SIPVicious", "sipvicious": "SIPVicious", "sipcli": "sipcli", "pplsip": "SIPPTS",
          "sipptk": "SIPPTS", "vaxsipuseragent": "VaxSIP scanner", "vaxipuseragent": "VaxSIP scanner"}
_KIND_NAMES = {"call": "Call", "auth_failure": "Failed login", "probe": "Probe", "registration": "Registration",
               "other": "Event"}


def rang(outcome: str | None) -> bool:
    """Whether a call reached a phone: it rang, or was answered (a rejected or unknown call did not)."""
    return outcome in ("rang", "answered")


def tool_name(user_agent: str | None) -> str | None:
    """The attack tool a user agent names (`friendly-scanner` -> SIPVicious), or None."""
    ua = (user_agent or "").lower()
    for needle, name in _TOOLS.items():
        if needle in ua:
            return name
    return None


def attempt_title(verdict: str, kind: str, outcome: str | None, source_ip: str | None, caller_id: str | None,
                  extension: str | None, reason_codes: tuple[str, ...] | list[str] = (),
                  user_agent: str | None = None) -> str:
    """What happened, named: "Ghost call from 1001 rang extension 101", "Blocked ghost call from 192.0.2.9
    (SIPVicious)", "Password guessing from 185.53.88.77". Never "Ghost call: call"."""
    verdict, kind = str(verdict), str(kind)
    outcome = None if outcome is None else str(outcome)
    ip = display_text(source_ip, 45) if source_ip else None
    caller = display_text(caller_id, 24) if caller_id else None
    ext = display_text(extension, 24) if extension else None
    tool = tool_name(user_agent)
    who = ip or caller or "an unknown address"
    if verdict == "ghost" and kind == "call":
        by = caller or ip or "an unknown caller"
        if outcome == "answered":
            return f"Ghost call from {by} was answered" + (f" at extension {ext}" if ext else "")
        if outcome == "rang":
            return f"Ghost call from {by} rang " + (f"extension {ext}" if ext else "a phone")
        if outcome == "rejected":
            return f"Blocked ghost call from {ip or by}" + (f" ({tool})" if tool else "")
        return f"Ghost call from {by} reached " + (f"extension {ext}" if ext else "your phones")
    if verdict == "attack":
        for code, words in _ATTACK_TITLES.items():
            if code in reason_codes:
                title = words.format(who=who) + (f" ({tool})" if tool and code != "compromise" else "")
                if code == "toll_fraud_attempt" and kind == "call" and outcome == "rejected":
                    title = "Blocked t" + title[1:]  # refused by the PBX: nothing was dialled, nothing paid
                return title
        if tool:
            return f"Scan by {tool} from {who}"
        if kind == "call":
            return f"Attack call from {who}" + (f" to {ext}" if ext else "")
        if kind == "probe":
            return f"Scan from {who}"
        if kind == "auth_failure":
            return f"Login attack from {who}" + (f" on {ext}" if ext else "")
        return f"Attack from {who}"
    name = _KIND_NAMES.get(kind, "Event")
    if verdict == "suspicious":
        name = f"Suspicious {name[0].lower()}{name[1:]}"
    if kind == "call":
        by = caller or ip
        return name + (f" from {by}" if by else "") + (f" to {ext}" if ext else "")
    if kind in ("auth_failure", "registration") and ext:
        return f"{name} as {ext} from {who}"
    return f"{name} from {who}" + (f" for {ext}" if ext and kind == "probe" else "")


def ghost_headline(rang_today: int, blocked_today: int) -> str:
    """Today's ghost calls, saying which rang a phone (or were let in towards one) and which the PBX stopped."""
    if rang_today:
        calls = "a ghost call" if rang_today == 1 else f"{rang_today} ghost calls"
        verb = "rang a phone" if rang_today == 1 else "rang phones"
        tail = f"; {blocked_today:,} more {'was' if blocked_today == 1 else 'were'} blocked by the PBX" \
            if blocked_today else ""
        return f"{calls.capitalize()} {verb} today with nobody there{tail}."
    calls = "a ghost call" if blocked_today == 1 else f"{blocked_today:,} ghost calls"
    return f"{calls.capitalize()} today, {'blocked' if blocked_today == 1 else 'all blocked'} by the PBX: " \
           f"no phone rang."
