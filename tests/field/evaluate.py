"""The field evaluation: scan each labelled excerpt of tests/data/field and compare with its labels.

`make eval` (or `python -m tests.field.evaluate`) prints, per dialect and origin (field / hand-written), the
attackers found and missed, the benign addresses falsely accused and the line verdicts right and wrong, then every
miss. Labels are TOML sidecars (see tests/data/field/README.md); excerpts named `corpus:...` are read from
../shared/corpus at run time (never copied here) and skipped when it is absent.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ghostwatch.core.settings import DetectionSettings
from ghostwatch.core.signatures import Signatures
from ghostwatch.ingest.scan import scan
from ghostwatch.paths import resources_dir

ROOT = Path(__file__).resolve().parents[2]
FIELD = ROOT / "tests" / "data" / "field"
ACCUSED = {"attack", "ghost"}
FLAGGED = {"suspicious", "attack", "ghost"}
RANK = {"none": 0, "normal": 0, "suspicious": 1, "attack": 2, "ghost": 3}


def corpus_dir() -> Path | None:
    """../shared/corpus beside the repository (or beside the worktree folder), or $GHOSTWATCH_CORPUS."""
    candidates = [Path(os.environ["GHOSTWATCH_CORPUS"])] if os.environ.get("GHOSTWATCH_CORPUS") else []
    candidates += [ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus"]
    return next((c for c in candidates if c.is_dir()), None)


@dataclass
class Label:
    path: Path              # the sidecar
    excerpt: str
    origin: str             # "field" or "handwritten"
    dialect: str
    region: str
    attackers: list[str]
    benign: list[str]
    unjudged: list[str]
    forged: list[str]
    lines: dict[int, str]
    line_dialects: dict[int, str]
    source: str = ""
    licence: str = ""

    @property
    def name(self) -> str:
        return str(self.path.relative_to(FIELD).with_suffix(""))

    def log_path(self) -> Path | None:
        if self.excerpt.startswith("corpus:"):
            base = corpus_dir()
            if base is None:
                return None
            p = base / self.excerpt.removeprefix("corpus:")
            return p if p.is_file() else None
        return FIELD / self.excerpt


def load_labels() -> list[Label]:
    labels = []
    for path in sorted(FIELD.rglob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        addr = data.get("addresses", {})
        labels.append(Label(path, data["excerpt"], data.get("origin", "field"), data["dialect"],
                            data.get("region", "US"), list(addr.get("attacker", [])), list(addr.get("benign", [])),
                            list(addr.get("unjudged", [])), list(addr.get("forged", [])),
                            {int(k): v for k, v in data.get("lines", {}).items()},
                            {int(k): v for k, v in data.get("line_dialects", {}).items()},
                            data.get("source", ""), data.get("licence", "")))
    return labels


@dataclass
class AddressResult:
    label: Label
    address: str
    role: str               # attacker | benign | forged
    dialect: str
    verdicts: list[str]
    reasons: list[str]

    @property
    def ok(self) -> bool:
        if self.role == "attacker":
            return bool(ACCUSED & set(self.verdicts))
        if self.role == "forged":
            return not self.verdicts  # never named as a source at all
        return not ACCUSED & set(self.verdicts)


@dataclass
class LineResult:
    label: Label
    line: int
    dialect: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return matches(self.expected, self.got)


def matches(expected: str, got: str) -> bool:
    for want in expected.split("|"):
        if want == "flagged" and got in FLAGGED:
            return True
        if want == "normal" and got in ("normal", "none"):
            return True
        if want == got:
            return True
    return False


@dataclass
class Outcome:
    addresses: list[AddressResult] = field(default_factory=list)
    lines: list[LineResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unlabelled_accused: list[str] = field(default_factory=list)


def evaluate_one(label: Label, signatures: Signatures) -> tuple[list[AddressResult], list[LineResult], list[str]]:
    path = label.log_path()
    assert path is not None
    events: list[dict] = []
    scan([path], DetectionSettings(home_region=label.region), signatures, on_event=lambda e: events.append(e.to_json()))
    by_line: dict[int, str] = {}
    by_addr: dict[str, list[dict]] = defaultdict(list)
    for ev in events:
        lines = {ev["line"]} | {e.get("line") for e in ev.get("evidence") or () if e.get("line") is not None}
        for n in lines:
            if RANK[ev["verdict"]] >= RANK.get(by_line.get(n, "none"), 0):
                by_line[n] = ev["verdict"]
        if ev["source_ip"]:
            by_addr[ev["source_ip"]].append(ev)
    lines_out = [LineResult(label, n, label.line_dialects.get(n, label.dialect), want, by_line.get(n, "none"))
                 for n, want in sorted(label.lines.items())]
    addrs_out = []
    for role, addresses in (("attacker", label.attackers), ("benign", label.benign), ("forged", label.forged)):
        for address in addresses:
            evs = [e for ip in members(address, by_addr) for e in by_addr[ip]]
            first = min((e["line"] for e in evs), default=None)
            dialect = label.line_dialects.get(first, label.dialect) if first is not None else label.dialect
            codes = sorted({r["code"] for e in evs for r in e["reasons"]})
            addrs_out.append(AddressResult(label, address, role, dialect, [e["verdict"] for e in evs], codes))
    labelled = (*label.attackers, *label.benign, *label.unjudged, *label.forged)
    known = {ip for a in labelled for ip in members(a, by_addr)}
    unlabelled = [f"{label.name}: {ip}" for ip, evs in by_addr.items()
                  if ip not in known and ACCUSED & {e["verdict"] for e in evs}]
    return addrs_out, lines_out, unlabelled


def members(label: str, by_addr: dict[str, list[dict]]) -> list[str]:
    """The addresses seen that a label names: itself, or those inside a labelled prefix (`2001:db8:4a:7::/64`)."""
    if "/" not in label:
        return [label] if label in by_addr else []
    net = ipaddress.ip_network(label, strict=False)
    out = []
    for ip in by_addr:
        try:
            if ipaddress.ip_address(ip) in net:
                out.append(ip)
        except ValueError:
            continue
    return out


def evaluate(labels: list[Label] | None = None) -> Outcome:
    signatures = Signatures.load(resources_dir() / "signatures.toml")
    out = Outcome()
    for label in labels if labels is not None else load_labels():
        if label.log_path() is None:
            out.skipped.append(f"{label.name} ({label.excerpt}: shared corpus not found)")
            continue
        addrs, lines, unlabelled = evaluate_one(label, signatures)
        out.addresses += addrs
        out.lines += lines
        out.unlabelled_accused += unlabelled
    return out


def table(out: Outcome) -> str:
    """The per-dialect table (Markdown), field rows first, then hand-written, each with a total."""
    rows = ["| origin | dialect | attackers found | missed | benign accused | benign | forged named | "
            "lines right | wrong |", "|---|---|---|---|---|---|---|---|---|"]
    for origin in ("field", "handwritten"):
        dialects = sorted({a.dialect for a in out.addresses if a.label.origin == origin}
                          | {ln.dialect for ln in out.lines if ln.label.origin == origin})
        total = [0] * 7
        for dialect in [*dialects, "all"]:
            if dialect == "all":
                cells = total
            else:
                a = [x for x in out.addresses if x.label.origin == origin and x.dialect == dialect]
                ln = [x for x in out.lines if x.label.origin == origin and x.dialect == dialect]
                cells = [sum(x.ok for x in a if x.role == "attacker"), sum(not x.ok for x in a if x.role == "attacker"),
                         sum(not x.ok for x in a if x.role == "benign"), sum(x.role == "benign" for x in a),
                         sum(not x.ok for x in a if x.role == "forged"), sum(x.ok for x in ln),
                         sum(not x.ok for x in ln)]
                total = [t + c for t, c in zip(total, cells, strict=True)]
            name = "**all**" if dialect == "all" else dialect
            rows.append(f"| {origin} | {name} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(rows)


def report(out: Outcome) -> str:
    parts = [table(out), ""]
    missed = [a for a in out.addresses if not a.ok]
    if missed:
        parts.append("Address mistakes:")
        for a in missed:
            what = {"attacker": "attacker missed", "benign": "benign accused", "forged": "forged address named"}
            parts.append(f"  {what[a.role]}: {a.address} in {a.label.name} [{a.dialect}] verdicts="
                         f"{sorted(set(a.verdicts)) or ['no event']} reasons={a.reasons}")
    wrong = [ln for ln in out.lines if not ln.ok]
    if wrong:
        parts.append("Line verdicts wrong:")
        for ln in wrong:
            parts.append(f"  {ln.label.name}:{ln.line} [{ln.dialect}] expected {ln.expected}, got {ln.got}")
    if out.unlabelled_accused:
        parts.append("Accused addresses without a label: " + ", ".join(out.unlabelled_accused))
    if out.skipped:
        parts.append("Skipped: " + "; ".join(out.skipped))
    return "\n".join(parts)


def main() -> int:
    out = evaluate()
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
