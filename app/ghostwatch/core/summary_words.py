"""The status strip's headline in plain words, from today's counts and today's worst source."""

from __future__ import annotations

from .text import display_text


def headline_words(totals: dict[str, int], worst_ip: str | None = None, worst_verdict: str | None = None,
                   worst_events: int = 0) -> str:
    ghosts, attacks, suspicious = totals.get("ghost", 0), totals.get("attack", 0), totals.get("suspicious", 0)
    who = display_text(worst_ip, 45) if worst_ip else None
    if ghosts:
        calls = "a ghost call" if ghosts == 1 else f"{ghosts} ghost calls"
        tail = f" (from {who})" if who and worst_verdict == "ghost" else ""
        return f"{calls.capitalize()} today{tail}: phones rang with nobody there."
    if attacks and who:
        return f"{who} is attacking your PBX: {worst_events:,} attempts today, none got through."
    if attacks:
        return f"{attacks:,} attack attempts today; none reached a phone."
    if suspicious:
        return f"{suspicious:,} suspicious events today; nothing serious."
    return "Quiet today."
