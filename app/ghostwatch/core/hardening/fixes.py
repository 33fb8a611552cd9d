"""The fix texts for what the checks find (`resources/hardening-fixes.toml`), with their blanks filled in."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path


class _Blanks(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # a text naming a field the check did not give stays readable


class Fixes:
    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self.texts = texts

    @classmethod
    def load(cls, path: Path) -> Fixes:
        with open(path, "rb") as fh:
            return cls(tomllib.load(fh))

    def section(self, pbx: str) -> Callable[..., str]:
        texts = self.texts.get(pbx, {})

        def fix(name: str, /, **fields: object) -> str:
            text = texts.get(name)
            if text is None:
                raise KeyError(f"hardening-fixes.toml has no [{pbx}] {name}")
            return text.format_map(_Blanks({k: str(v) for k, v in fields.items()}))

        return fix
