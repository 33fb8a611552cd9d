"""What to do about an event, in plain words, with the hardening step that fixes it (texts in resources/)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .classify import headline
from .events import Reason


@dataclass(frozen=True)
class Advice:
    text: str
    step: str


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Advice]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {code: Advice(v["text"], v["step"]) for code, v in data.items()}


def advice_for(reasons: tuple[Reason, ...], resources: Path) -> Advice:
    table = _load(resources / "advice.toml")
    top = headline(reasons)
    return table.get(top.code, table["default"]) if top else table["default"]
