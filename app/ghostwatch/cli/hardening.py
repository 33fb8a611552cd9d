"""The hardening commands: `ghostwatch audit`, `ghostwatch selftest`, `ghostwatch rang`."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..core.firewall import FIREWALLS, allow_only
from ..core.text import display_text
from .options import EXIT_FOUND, EXIT_OK, UsageError, trusted_networks, trusted_texts

_MARKS = {"pass": "ok", "fail": "FIX", "cannot_tell": "??", "manual": "--", "done": "ok"}


def cmd_audit(args: argparse.Namespace, out: TextIO) -> int:
    from ..core.hardening.audit import AuditError, run_audit
    from ..core.hardening.progress import pbx_key, step_states
    from ..core.hardening.report_html import render_report
    from ..paths import resources_dir

    try:
        result = run_audit(Path(args.config_dir), resources_dir())
    except AuditError as exc:
        raise UsageError(f"ghostwatch audit: {exc}") from exc
    if args.firewall:
        trusted = trusted_texts(args.trusted)
        trusted_networks(trusted, "ghostwatch audit")  # a bad one is refused naming --trusted, as scan and watch do
        try:
            rules = allow_only(trusted, result.sip_ports or [5060], args.rtp, args.firewall)
        except ValueError as exc:
            raise UsageError(f"ghostwatch audit: --firewall: {exc}") from exc
        out.write(f"# {FIREWALLS[args.firewall]}: SIP on {', '.join(map(str, result.sip_ports or [5060]))} and RTP "
                  f"{args.rtp[0]}-{args.rtp[1]} only from {', '.join(trusted)}\n{rules}\n")
        return EXIT_OK
    if args.html:
        html = render_report(step_states([r.step for r in result.steps], result.to_json(), set()),
                             pbx=pbx_key(result), config_dir=result.config_dir, checked_at=result.checked_at)
        try:
            Path(args.html).write_text(html, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"ghostwatch audit: cannot write {args.html}: {exc.strerror or exc}") from exc
    if args.json:
        out.write(json.dumps(result.to_json(), indent=1) + "\n")
    else:
        _print_audit(result, out)
    return EXIT_FOUND if result.counts()["fail"] else EXIT_OK


def _print_audit(result, out: TextIO) -> None:
    from ..core.hardening.audit import PBX_LABELS

    variants = f" ({', '.join(result.variants)})" if result.variants else ""
    out.write(f"GhostWatch hardening audit of {display_text(result.config_dir)}: "
              f"{PBX_LABELS[result.pbx]}{variants}, {result.checked_at}\n\n")
    for row in result.steps:
        out.write(f"[{_MARKS[row.status.value]:>3}] {row.step.title}\n")
        for f in row.findings:
            out.write(f"        {_MARKS[f.status.value]:>3}  {display_text(f.summary)}\n")
            for ev in f.evidence[:3]:
                out.write(f"             {display_text(str(ev), 160)}\n")
            if f.fix and f.status.value == "fail":
                out.write("             How to fix:\n")
                for line in f.fix.splitlines():
                    out.write(f"               {display_text(line)}\n")
        if not row.findings:
            out.write("             (no automatic check: see the checklist in the app, Tools > Hardening)\n")
    for problem in result.problems:
        out.write(f"note: {display_text(problem)}\n")
    c = result.counts()
    out.write(f"\n{c['fail']} step(s) need fixing, {c['pass']} OK, {c['cannot_tell']} cannot tell, "
              f"{c['manual']} to check by hand.\n")


def cmd_selftest(args: argparse.Namespace, out: TextIO) -> int:
    from ..core.hardening.selftest import SelfTestRefused, check_target, run_selftest

    try:
        check_target(args.target)
        if not args.consent:
            raise SelfTestRefused("add --consent to confirm that you own this PBX and agree that GhostWatch sends "
                                  "it one SIP OPTIONS and one INVITE (a phone may ring for a moment)")
        result = run_selftest(args.target, consent=True)
    except SelfTestRefused as exc:
        raise UsageError(f"ghostwatch selftest: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"ghostwatch selftest: cannot send to {args.target}: {exc.strerror or exc}") from exc
    if args.json:
        out.write(json.dumps(result.to_json(), indent=1) + "\n")
    else:
        out.write(f"Self-test of {result.target}: {result.verdict.upper()}\n")
        for p in result.probes:
            answer = ", ".join(p.responses) or p.reason or "no answer"
            server = f" (server: {p.server})" if p.server else ""
            out.write(f"  {p.method:<8} {p.outcome:<11} {display_text(answer, 120)}{server}\n")
        out.write(f"\n{result.summary}\n")
    return EXIT_FOUND if result.verdict == "exposed" else EXIT_OK


def cmd_rang(args: argparse.Namespace, out: TextIO) -> int:
    from ..core.hardening.rang import explain_ring
    from ..paths import AppPaths
    from ..store.queries import HistoryReader
    from ..store.schema import StoreError

    when = _parse_when(args.when)
    if when is None:
        raise UsageError("ghostwatch rang: give the time as HH:MM (today) or YYYY-MM-DD HH:MM")
    try:
        epoch = when.timestamp()
        datetime.fromtimestamp(epoch)
    except (OverflowError, ValueError, OSError):
        epoch = None
    if epoch is None or not 1970 <= when.year <= 9998:
        raise UsageError(f"ghostwatch rang: {display_text(args.when.strip(), 40)} is not a time GhostWatch can have "
                          "seen (give a date between 1970 and 9998)")
    path = AppPaths.default(args.data_dir).database
    if not path.exists():
        raise UsageError(f"ghostwatch rang: no history yet in {path} (run the app or `ghostwatch watch` first)")
    try:
        reader = HistoryReader(path)
    except (StoreError, OSError) as exc:
        raise UsageError(f"ghostwatch rang: {exc}") from exc
    try:
        answer = explain_ring(reader, epoch)
    finally:
        reader.close()
    if args.json:
        out.write(json.dumps(answer.to_json(), indent=1) + "\n")
    else:
        out.write(display_text(answer.explanation) + "\n")
        for c in answer.calls[:10]:
            out.write(f"  {display_text(c.time or '?')}  {c.verdict}  from {display_text(c.caller_id or c.source_ip)}"
                      f" to {display_text(c.extension)}\n")
        if answer.steps:
            out.write("Steps to do: " + ", ".join(answer.steps) + " (Tools > Hardening in the app)\n")
    return EXIT_OK


def _parse_when(text: str) -> datetime | None:
    text = text.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        t = datetime.strptime(text, "%H:%M")
    except ValueError:
        return None
    return datetime.now().replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)
