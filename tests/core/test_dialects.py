"""Every annotated sample in tests/data/logs parses to the expected event (fields, verdict, reasons)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from ghostwatch.cli import load_signatures
from ghostwatch.core.netaddr import Networks
from ghostwatch.core.settings import DetectionSettings
from ghostwatch.ingest.scan import scan

from ..conftest import DATA
from .annotated import Case, SampleFile, load

SAMPLES = [load(p) for p in sorted((DATA / "logs").iterdir())]
CASES = [(sample, case) for sample in SAMPLES for case in sample.cases]


def run_case(sample: SampleFile, case: Case, tmp_path: Path) -> list[dict]:
    directives = sample.directives
    path = tmp_path / directives.get("filename", "log")
    path.write_text("\n".join(case.lines) + "\n", encoding="utf-8")
    ref = datetime.fromisoformat(directives.get("reference", "2026-11-26")).timestamp()
    os.utime(path, (ref, ref))
    settings = DetectionSettings(home_region=directives.get("region", "US"),
                                 trusted=Networks.parse(directives.get("trusted", "").split()))
    events: list[dict] = []
    scan([path], settings, load_signatures(), lambda e: events.append(e.to_json()))
    return events


@pytest.mark.parametrize(("sample", "case"), CASES, ids=[c.id for _, c in CASES])
def test_annotated_sample(sample: SampleFile, case: Case, tmp_path: Path) -> None:
    events = run_case(sample, case, tmp_path)
    if case.expect is None:
        assert events == [], f"expected no event, got {events}"
        return
    expect = dict(case.expect)
    count = expect.pop("events", None)
    reasons = expect.pop("reasons", None)
    assert events, "expected an event, got none"
    if count is not None:
        assert len(events) == count
    last = events[-1]
    for key, value in expect.items():
        assert last[key] == value, f"{key}: expected {value!r}, got {last[key]!r} in {last}"
    if reasons is not None:
        codes = [r["code"] for r in last["reasons"]]
        assert set(reasons) <= set(codes), f"reasons {reasons} not all in {codes}"
    assert last["line"] >= 1


def test_every_dialect_has_samples() -> None:
    from ghostwatch.core.formats import DIALECTS

    formats = {case.expect.get("format") for _, case in CASES if case.expect and "format" in case.expect}
    formats |= {"asterisk", "freeswitch", "kamailio"}  # the file-level dialects of the other samples
    assert {d.format for d in DIALECTS} <= formats
    assert {"asterisk_security", "asterisk_sip_trace"} <= formats
