"""Loader for annotated sample logs: a `# expect: {...}` comment above each sample (see tests/data/logs/)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Case:
    source: str
    lineno: int
    expect: dict | None
    lines: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.source}:{self.lineno}"


@dataclass
class SampleFile:
    path: Path
    directives: dict[str, str]
    cases: list[Case]


def load(path: Path) -> SampleFile:
    directives: dict[str, str] = {}
    cases: list[Case] = []
    current: Case | None = None
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if line.startswith("# expect:"):
            body = line[len("# expect:"):].strip()
            current = Case(path.name, n, None if body == "none" else json.loads(body))
            cases.append(current)
        elif line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if current is None and sep and key.strip().isidentifier():
                directives[key.strip()] = value.strip()
        elif current is not None:
            current.lines.append(line)
    for case in cases:  # trailing blank lines only separate cases; a SIP block at end of file is complete anyway
        while case.lines and not case.lines[-1].strip():
            case.lines.pop()
    return SampleFile(path, directives, cases)
