"""Real log lines from public projects (../shared/corpus) give the reviewed expectations, and `scan --json` on each
file follows the output contract."""

from __future__ import annotations

import json
import tomllib

import jsonschema
import pytest

from ghostwatch.cli import main

from ..conftest import CORPUS, DATA

EXPECTATIONS = tomllib.loads((DATA / "corpus_expectations.toml").read_text())
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS} (it is not "
                                                            f"copied into this repository; its licences are unclear)")


def scan_json(capsys, *args: str) -> dict:
    code = main(["scan", "--json", *args])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_corpus_file(name: str, capsys, schema: dict) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} is no longer in the shared corpus")
    doc = scan_json(capsys, "--all", "--region", "US", str(path))
    jsonschema.validate(doc, schema)
    expected = EXPECTATIONS[name]
    assert doc["summary"]["files"][0]["format"] == expected["format"]
    # one event per attempt, by its first line (scan prints an attempt once it is final, not in line order)
    got = sorted([e["line"], e["kind"], e["source_ip"] or "", e["verdict"]] for e in doc["events"])
    if got != expected["events"] and expected.get("xfail"):
        pytest.xfail(expected["xfail"])  # a known mistake outside the parsers, with the right answer kept above
    assert got == expected["events"]
    assert doc["summary"]["files"][0]["unrecognised"] == 0


def test_every_corpus_file_has_expectations() -> None:
    files = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert files <= set(EXPECTATIONS), f"corpus files without expectations: {sorted(files - set(EXPECTATIONS))}"


def test_whole_corpus_scan_follows_contract(capsys, schema: dict) -> None:
    doc = scan_json(capsys, str(CORPUS))
    jsonschema.validate(doc, schema)
    assert all(e["verdict"] != "normal" for e in doc["events"])
    ips = {s["ip"] for s in doc["sources"]}
    assert "193.111.140.108" in ips  # the futel toll-fraud probe
    assert {s["ip"]: s["verdict"] for s in doc["sources"]}["20.77.253.72"] == "attack"
