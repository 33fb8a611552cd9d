"""One event as JSON text, fast: what `scan --json` and `watch --json` print for every event.

Byte for byte what `json.dumps(event.to_json())` gives, built from the C string encoder of the standard `json`
module. Values that repeat across thousands of events (addresses, extensions, file names, reason lists) are
encoded once.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _s  # type: ignore[attr-defined]

from .events import Event, Reason
from .memo import Memo

_MAX_CACHED = 1024


def _str(value: str | None) -> str:
    return "null" if value is None else _s(value)


# JSON text of strings (and None), kept for the values that repeat: `_TEXT[value]` is one dict lookup on a hit.
_TEXT: Memo[str | None, str] = Memo(_str, _MAX_CACHED)
# Keyed by the reasons' identities (most Reason objects are shared: a classifier makes each text once); the
# value keeps the tuple itself, so an identity cannot be reused by another object while its entry exists.
_REASONS: Memo[tuple[int, ...], tuple[tuple[Reason, ...], str]] = Memo(maxsize=_MAX_CACHED)


def _reasons(reasons: tuple[Reason, ...]) -> str:
    key = tuple(map(id, reasons))
    found = _REASONS.get(key)
    if found is not None:
        return found[1]
    text = "[" + ", ".join(f'{{"code": {_s(r.code)}, "text": {_s(r.text)}}}' for r in reasons) + "]"
    return _REASONS.keep(key, (reasons, text))[1]


def _evidence(event: Event) -> str:
    lines = event[3]
    t = _TEXT
    if not lines:
        record = event[0]
        return f'[{{"file": {t[record[1]]}, "line": {int(record[2])}, "format": {t[record[3]]}}}]'
    return "[" + ", ".join(f'{{"file": {t[e[0]]}, "line": {int(e[1])}, "format": {t[e[2]]}}}' for e in lines) + "]"


def event_json(event: Event, extra: str = "") -> str:
    """The event's JSON object; `extra` (`, "key": value` pairs, already encoded) is added at its end."""
    record, verdict, reasons = event[0], event[1], event[2]
    time, file, line, fmt, kind, ip, port, caller_id, caller_name, extension, user_agent, call_id, outcome = \
        record[:13]  # the contract's fields, in Record's order (checked in tests/core/test_event_json.py)
    t = _TEXT
    return (f'{{"time": {_str(time)}, "file": {t[file]}, "line": {int(line)}, "format": {t[fmt]}, '
            f'"kind": {t[kind]}, "source_ip": {t[ip]}, "source_port": {"null" if port is None else int(port)}, '
            f'"caller_id": {t[caller_id]}, "caller_name": {t[caller_name]}, "extension": {t[extension]}, '
            f'"user_agent": {t[user_agent]}, "call_id": {_str(call_id)}, "outcome": {t[outcome]}, '
            f'"verdict": {t[verdict]}, "reasons": {_reasons(reasons)}, "evidence": {_evidence(event)}{extra}}}')
