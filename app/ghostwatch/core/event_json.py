"""One event as JSON text, fast: what `scan --json` and `watch --json` print for every event.

Byte for byte what `json.dumps(event.to_json())` gives, built from the C string encoder of the standard `json`
module; a reason list, which repeats across thousands of events, is encoded once.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _s  # type: ignore[attr-defined]

from .events import Event, Reason

_REASONS: dict[tuple[Reason, ...], str] = {}
_MAX_CACHED = 4096


def _str(value: str | None) -> str:
    return "null" if value is None else _s(value)


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _reasons(reasons: tuple[Reason, ...]) -> str:
    text = _REASONS.get(reasons)
    if text is None:
        text = "[" + ", ".join(f'{{"code": {_s(r.code)}, "text": {_s(r.text)}}}' for r in reasons) + "]"
        if len(_REASONS) >= _MAX_CACHED:
            _REASONS.clear()
        _REASONS[reasons] = text
    return text


def event_json(event: Event) -> str:
    r = event.record
    outcome = r.outcome
    return (f'{{"time": {_str(r.time)}, "file": {_s(r.file)}, "line": {_int(r.line)}, "format": {_s(r.format)}, '
            f'"kind": {_s(r.kind)}, "source_ip": {_str(r.source_ip)}, "source_port": {_int(r.source_port)}, '
            f'"caller_id": {_str(r.caller_id)}, "caller_name": {_str(r.caller_name)}, '
            f'"extension": {_str(r.extension)}, "user_agent": {_str(r.user_agent)}, "call_id": {_str(r.call_id)}, '
            f'"outcome": {"null" if outcome is None else _s(outcome)}, "verdict": {_s(event.verdict)}, '
            f'"reasons": {_reasons(event.reasons)}}}')
