"""Reading Asterisk `.conf` files as Asterisk does: sections, templates, inheritance and includes.

Syntax (main/config.c): `[name]`, `[name](!)` (a template), `[name](tmpl1,tmpl2)` (inherits, in order),
`[name](!,tmpl)`, `[name](+)` (adds to the section defined before); `key = value` and `key => value`; `;` comments
(`\\;` is a literal semicolon) and `;-- ... --;` block comments; `#include` / `#tryinclude` with a file name or a
glob, relative to the configuration directory. Read-only and defensive: binary junk, include loops and huge files
give a problem note, never an exception; includes resolve only inside the configuration folder and every file is
read once, within one byte budget (`textfile.ConfigFiles`).
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

from .textfile import ConfigFiles

MAX_INCLUDE_DEPTH = 12
MAX_FILES = 200


@dataclass(frozen=True)
class Option:
    key: str
    value: str
    file: str
    line: int
    text: str  # the line as written, for evidence


@dataclass
class Section:
    name: str
    file: str
    line: int
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    own: list[Option] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)  # inherited first, then own (filled by `ConfFile`)

    def get(self, key: str) -> Option | None:
        """The value that counts: the last one given (own lines override templates)."""
        key = key.lower()
        for opt in reversed(self.options):
            if opt.key == key:
                return opt
        return None

    def value(self, key: str, default: str | None = None) -> str | None:
        opt = self.get(key)
        return opt.value if opt is not None else default

    def all(self, key: str) -> list[Option]:
        key = key.lower()
        return [o for o in self.options if o.key == key]


@dataclass
class ConfFile:
    name: str
    sections: list[Section] = field(default_factory=list)
    files: list[str] = field(default_factory=list)        # every file read, the main one first
    problems: list[str] = field(default_factory=list)     # for people: what could not be read and why

    def find(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name and not s.is_template]

    def real(self) -> list[Section]:
        """Sections that are not templates."""
        return [s for s in self.sections if not s.is_template]

    def of_type(self, kind: str) -> list[Section]:
        """PJSIP style: the non-template sections whose `type=` is `kind`."""
        return [s for s in self.real() if (s.value("type") or "").lower() == kind]


def read_conf(config_dir: Path, name: str, files: ConfigFiles | None = None) -> ConfFile | None:
    """`config_dir/name` with its includes, or None when the file does not exist. One `files` for all the files of
    an audit reads each file once and keeps one byte budget."""
    path = config_dir / name
    if not path.is_file():
        return None
    conf = ConfFile(name)
    reader = _Reader(config_dir, conf, files or ConfigFiles(config_dir))
    reader.read(path, depth=0, optional=False)
    _resolve(conf)
    return conf


class _Reader:
    def __init__(self, config_dir: Path, conf: ConfFile, files: ConfigFiles) -> None:
        self.dir = config_dir
        self.conf = conf
        self.files = files
        self.current: Section | None = None
        self.stack: list[Path] = []

    def read(self, path: Path, depth: int, optional: bool) -> None:
        conf = self.conf
        try:
            real = path.resolve()
        except (OSError, RuntimeError):
            real = path
        if real in self.stack:
            conf.problems.append(f"{path.name}: includes itself (an include loop); read once")
            return
        if depth > MAX_INCLUDE_DEPTH or len(conf.files) >= MAX_FILES:
            conf.problems.append(f"{path.name}: includes nested too deep or too many files; not read")
            return
        try:
            text = self.files.text(path, conf.problems)
        except PermissionError:
            if depth == 0:
                raise  # the main file: no result is better than a wrong one (the caller explains)
            conf.problems.append(f"{path}: permission denied; its settings were not checked")
            return
        except OSError as exc:
            if not optional:
                conf.problems.append(f"{path}: cannot read ({exc.strerror or exc})")
            return
        if text is None:
            return
        conf.files.append(str(path))
        self.stack.append(real)
        try:
            self._lines(path, text, depth)
        finally:
            self.stack.pop()

    def _lines(self, path: Path, text: str, depth: int) -> None:
        in_block = False
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw
            if in_block:
                end = line.find("--;")
                if end < 0:
                    continue
                line = line[end + 3:]
                in_block = False
            start = line.find(";--")
            if start >= 0 and not _escaped(line, start):
                end = line.find("--;", start + 3)
                if end < 0:
                    in_block = True
                    line = line[:start]
                else:
                    line = line[:start] + line[end + 3:]
            line = _strip_comment(line).strip()
            if not line:
                continue
            if line.startswith("#"):
                self._directive(path, line, depth)
            elif line.startswith("["):
                self._section(path, number, line)
            elif self.current is not None:
                key, sep, value = line.partition("=")
                if not sep:
                    continue
                value = value[1:] if value.startswith(">") else value
                self.current.own.append(Option(key.strip().lower(), value.strip(), str(path), number, raw.strip()))

    def _directive(self, path: Path, line: str, depth: int) -> None:
        word, _, arg = line.partition(" ")
        word = word.lower()
        if word not in ("#include", "#tryinclude"):
            return  # #exec runs programs: never followed by a read-only audit
        arg = arg.strip().strip('"').strip("<>").strip()
        if not arg:
            return
        target = self.files.locate(arg, self.dir)
        if target is None:  # /dev/stdin, /etc/*: the auditor's own machine, not the configuration
            self.conf.problems.append(f"{path.name}: includes {arg}, outside the configuration folder; not read")
            return
        if any(c in arg for c in "*?["):
            matches = sorted(glob.glob(glob.escape(str(self.dir)) + "/" + str(target.relative_to(self.dir))
                                       if target.is_relative_to(self.dir) else str(target)))[:MAX_FILES]
        else:
            matches = [str(target)] if target.exists() else []
        if not matches and word == "#include":
            self.conf.problems.append(f"{path.name}: includes {arg}, which does not exist")
        for match in matches:
            if self.files.inside(Path(match)) is None:
                self.conf.problems.append(f"{path.name}: includes {match}, outside the configuration folder; "
                                          "not read")
                continue
            self.read(Path(match), depth + 1, optional=word == "#tryinclude")

    def _section(self, path: Path, number: int, line: str) -> None:
        close = line.find("]")
        if close < 0:
            return
        name = line[1:close].strip()
        rest = line[close + 1:].strip()
        templates: list[str] = []
        is_template = False
        append = False
        if rest.startswith("(") and ")" in rest:
            for item in rest[1:rest.find(")")].split(","):
                item = item.strip()
                if item == "!":
                    is_template = True
                elif item == "+":
                    append = True
                elif item:
                    templates.append(item)
        if append:
            for sec in reversed(self.conf.sections):
                if sec.name == name:
                    self.current = sec
                    return
        self.current = Section(name, str(path), number, is_template, templates)
        self.conf.sections.append(self.current)


def _resolve(conf: ConfFile) -> None:
    """Fill each section's effective options: its templates' (recursively, in order), then its own."""
    templates: dict[str, Section] = {}
    for sec in conf.sections:
        templates[sec.name] = sec  # Asterisk uses the latest definition of a name

    def effective(sec: Section, seen: tuple[str, ...]) -> list[Option]:
        out: list[Option] = []
        for name in sec.templates:
            tmpl = templates.get(name)
            if tmpl is None or name in seen or tmpl is sec:
                if tmpl is None:
                    conf.problems.append(f"[{sec.name}] inherits from [{name}], which is not defined")
                continue
            out.extend(effective(tmpl, (*seen, name)))
        out.extend(sec.own)
        return out

    for sec in conf.sections:
        sec.options = effective(sec, (sec.name,))


def _strip_comment(line: str) -> str:
    pos = line.find(";")
    while pos >= 0:
        if not _escaped(line, pos):
            return line[:pos].replace("\\;", ";")
        pos = line.find(";", pos + 1)
    return line.replace("\\;", ";")


def _escaped(line: str, pos: int) -> bool:
    return pos > 0 and line[pos - 1] == "\\"
