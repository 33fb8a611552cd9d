"""The field evaluation set as a test: every labelled attacker found, no benign address accused, no address an
attacker wrote into a log named as a source. Excerpts of ../shared/corpus are read there and skipped without it.

A miss that could not be fixed yet is `xfail(strict=True)` with its reason, so that it shows in every run and the
test fails the day it starts passing (then remove the mark).
"""

from __future__ import annotations

import ipaddress
from functools import cache

import pytest

from ghostwatch.core.signatures import Signatures
from ghostwatch.paths import resources_dir

from .evaluate import FIELD, AddressResult, Label, evaluate_one, load_labels

LABELS = load_labels()
KNOWN_MISSES: dict[tuple[str, str], str] = {}


@cache
def _signatures() -> Signatures:
    return Signatures.load(resources_dir() / "signatures.toml")


@cache
def _results(name: str) -> dict[tuple[str, str], AddressResult]:
    label = next(lb for lb in LABELS if lb.name == name)
    addresses, _lines, _unlabelled = evaluate_one(label, _signatures())
    return {(a.role, a.address): a for a in addresses}


def _cases() -> list:
    cases = []
    for label in LABELS:
        for role, addresses in (("attacker", label.attackers), ("benign", label.benign), ("forged", label.forged)):
            for address in addresses:
                marks = []
                reason = KNOWN_MISSES.get((label.name, address))
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                cases.append(pytest.param(label, role, address, marks=marks, id=f"{label.name}:{role}:{address}"))
    return cases


@pytest.mark.parametrize(("label", "role", "address"), _cases())
def test_labelled_address(label: Label, role: str, address: str) -> None:
    if label.log_path() is None:
        pytest.skip(f"{label.excerpt}: the shared corpus is not here (it is not copied into this repository)")
    result = _results(label.name)[(role, address)]
    assert result.ok, (f"{role} {address} in {label.name}: verdicts {sorted(set(result.verdicts))}, reasons "
                       f"{result.reasons}")


@pytest.mark.parametrize("label", LABELS, ids=[lb.name for lb in LABELS])
def test_labels_are_well_formed(label: Label) -> None:
    roles = [*label.attackers, *label.benign, *label.unjudged, *label.forged]
    assert len(roles) == len(set(roles)), "an address has two roles"
    for address in roles:
        ipaddress.ip_network(address, strict=False)  # an address or a prefix
    allowed = {"normal", "suspicious", "attack", "ghost", "flagged"}
    assert all(set(v.split("|")) <= allowed for v in label.lines.values())
    assert label.origin in ("field", "handwritten")
    if not label.excerpt.startswith("corpus:"):
        text = (FIELD / label.excerpt).read_text(encoding="utf-8")
        assert max(label.lines, default=0) <= text.count("\n")
        # committed field lines only under a licence that allows redistributing them: GPL-compatible ones, CC BY-SA
        # (Asterisk documentation) or MPL-1.1 (Kazoo), whose excerpts stay separate data files under their own
        # licence with attribution in their sidecar and README (aggregated, not merged into GPL-3.0+ code)
        if label.origin == "field":
            assert label.source.startswith("https://") and any(
                lic in label.licence for lic in ("GPL-2.0-or-later", "GPL-3.0", "MIT", "BSD", "Apache-2.0", "CC BY-SA",
                                                  "MPL-1.1"))
