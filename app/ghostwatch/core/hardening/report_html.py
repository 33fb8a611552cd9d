"""The hardening report as a self-contained HTML page the office can hand to its IT contractor.

Every piece of text is escaped: configuration lines are shown as written, never interpreted.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from .audit import StepResult
from .checklist import PBX_NAMES, PHONE_NAMES
from .findings import STATUS_WORDS, Status

_COLOURS = {Status.PASS: "#1e7b34", Status.FAIL: "#b42318", Status.UNKNOWN: "#8a6d00", Status.MANUAL: "#555555",
            Status.DONE: "#1e7b34"}


def render_report(states: list[StepResult], *, pbx: str = "", phone_brand: str = "", config_dir: str = "",
                  checked_at: str = "", now: datetime | None = None) -> str:
    when = (now or datetime.now()).strftime("%d %B %Y, %H:%M")
    counts: dict[Status, int] = {}
    for st in states:
        counts[st.status] = counts.get(st.status, 0) + 1
    tally = ", ".join(f"{n} {STATUS_WORDS[s].lower()}" for s, n in counts.items())
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>GhostWatch hardening report</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4;color:#222}"
        "h2{margin-top:2em;border-bottom:1px solid #ccc}.badge{display:inline-block;padding:.1em .6em;"
        "border-radius:.8em;color:#fff;font-size:.85em}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}"
        "table{border-collapse:collapse}td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}"
        "</style></head><body>",
        "<h1>Phone system hardening report</h1>",
        f"<p>Made by GhostWatch on {escape(when)}."
        + (f" Configuration checked: <code>{escape(config_dir)}</code> ({escape(checked_at)})." if config_dir else
           " No configuration was checked automatically.") + "</p>",
        f"<p>PBX: {escape(PBX_NAMES.get(pbx, pbx) or 'not chosen')}. Phones: "
        f"{escape(PHONE_NAMES.get(phone_brand, phone_brand) or 'not chosen')}. Summary: {escape(tally)}.</p>",
        "<table><tr><th>Step</th><th>Status</th></tr>",
    ]
    for st in states:
        out.append(f"<tr><td>{escape(st.step.title)}</td><td>{_badge(st.status)}</td></tr>")
    out.append("</table>")
    for st in states:
        step = st.step
        out.append(f'<h2 id="{escape(step.id)}">{escape(step.title)} {_badge(st.status)}</h2>')
        out.append(f"<p>{escape(step.why)}</p>")
        if st.findings:
            out.append("<h3>What GhostWatch found</h3><ul>")
            for f in st.findings:
                out.append(f"<li>{_badge(f.status)} {escape(f.summary)}")
                if f.evidence:
                    out.append("<pre>" + escape("\n".join(str(e) for e in f.evidence)) + "</pre>")
                if f.fix and f.status is Status.FAIL:
                    out.append("<p>How to fix:</p><pre>" + escape(f.fix) + "</pre>")
                out.append("</li>")
            out.append("</ul>")
        fixes = _ordered(step.pbx, pbx)
        if fixes:
            out.append("<h3>On the phone system</h3><ul>")
            out += [f"<li><b>{escape(PBX_NAMES.get(k, k))}:</b> {escape(v)}</li>" for k, v in fixes]
            out.append("</ul>")
        phones = _ordered(step.phones, phone_brand)
        if phones:
            out.append("<h3>On the phones</h3><ul>")
            out += [f"<li><b>{escape(PHONE_NAMES.get(k, k))}:</b> {escape(v)}</li>" for k, v in phones]
            out.append("</ul>")
        if step.caution:
            out.append(f"<p><b>Watch out:</b> {escape(step.caution)}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _badge(status: Status) -> str:
    return f'<span class="badge" style="background:{_COLOURS[status]}">{escape(STATUS_WORDS[status])}</span>'


def _ordered(texts: dict[str, str], first: str) -> list[tuple[str, str]]:
    """The user's own PBX or phone brand first, then the rest."""
    return sorted(texts.items(), key=lambda kv: kv[0] != first)
