"""Reading a FreeSWITCH configuration (`/etc/freeswitch`): `vars.xml` variables and the Sofia SIP profiles.

FreeSWITCH pre-processes its XML as text (`<X-PRE-PROCESS cmd="set" data="name=value"/>`, `$${name}` replaced
before the XML is parsed), so this reader works on lines too: it keeps file and line numbers for the evidence and
copes with files that are not well-formed XML. Read-only; junk and huge files give a problem note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .textfile import ConfigFiles

_SET = re.compile(r'<X-PRE-PROCESS\s+cmd="set"\s+data="(?P<name>[^"=]+)=(?P<value>[^"]*)"', re.IGNORECASE)
_PROFILE = re.compile(r'<profile\s+name="(?P<name>[^"]*)"', re.IGNORECASE)
_PARAM = re.compile(r'<param\s+name="(?P<name>[^"]*)"\s+value="(?P<value>[^"]*)"', re.IGNORECASE)
_USER = re.compile(r'<user\s+id="(?P<id>[^"]*)"', re.IGNORECASE)
_VAR = re.compile(r"\$\$\{([^}]*)\}")
MAX_PROFILE_FILES = 100


@dataclass(frozen=True)
class Param:
    name: str
    value: str          # with $${variables} resolved
    written: str        # as written
    file: str
    line: int


@dataclass
class Profile:
    name: str
    file: str
    line: int
    params: dict[str, Param] = field(default_factory=dict)

    def get(self, name: str) -> Param | None:
        return self.params.get(name)


@dataclass
class UserEntry:
    id: str
    password: Param | None
    file: str
    line: int


@dataclass
class FreeSwitchConf:
    root: Path
    files: ConfigFiles = field(init=False, repr=False)
    variables: dict[str, Param] = field(default_factory=dict)
    profiles: list[Profile] = field(default_factory=list)
    users: list[UserEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def resolve(self, text: str) -> str:
        return _VAR.sub(lambda m: self.variables[m.group(1)].value if m.group(1) in self.variables else m.group(0),
                        text)


def read_freeswitch(root: Path) -> FreeSwitchConf | None:
    """The configuration under `root`, or None when `root` holds no `vars.xml` / `freeswitch.xml`."""
    vars_xml = root / "vars.xml"
    if not vars_xml.is_file() and not (root / "freeswitch.xml").is_file():
        return None
    conf = FreeSwitchConf(root)
    conf.files = ConfigFiles(root)  # only regular files inside `root`, each once, one byte budget
    for number, line, path in _lines(vars_xml, conf):
        m = _SET.search(line)
        if m:
            name, value = m.group("name").strip(), m.group("value")
            conf.variables[name] = Param(name, conf.resolve(value), value, str(path), number)
    files = sorted((root / "sip_profiles").rglob("*.xml"))[:MAX_PROFILE_FILES]
    for path in files:
        _read_profiles(path, conf)
    for path in sorted((root / "directory").rglob("*.xml"))[:MAX_PROFILE_FILES]:
        _read_users(path, conf)
    return conf


def _lines(path: Path, conf: FreeSwitchConf):
    """(line number, text, path) of a file's lines outside XML comments."""
    if not path.exists():
        return
    try:
        text = conf.files.text(path, conf.problems)
    except PermissionError:
        raise  # a profile it cannot read would hide its weaknesses: the caller explains instead
    except OSError as exc:
        conf.problems.append(f"{path}: cannot read ({exc.strerror or exc})")
        return
    if text is None:
        return
    text = _blank_comments(text)
    for number, line in enumerate(text.splitlines(), 1):
        yield number, line, path


def _read_profiles(path: Path, conf: FreeSwitchConf) -> None:
    current: Profile | None = None
    for number, line, _ in _lines(path, conf):
        m = _PROFILE.search(line)
        if m:
            current = Profile(m.group("name"), str(path), number)
            conf.profiles.append(current)
        if current is None:
            continue
        for m in _PARAM.finditer(line):
            name, written = m.group("name"), m.group("value")
            current.params[name] = Param(name, conf.resolve(written), written, str(path), number)
        if "</profile>" in line:
            current = None


def _read_users(path: Path, conf: FreeSwitchConf) -> None:
    current: UserEntry | None = None
    for number, line, _ in _lines(path, conf):
        m = _USER.search(line)
        if m:
            current = UserEntry(m.group("id"), None, str(path), number)
            conf.users.append(current)
        if current is None:
            continue
        for m in _PARAM.finditer(line):
            if m.group("name") == "password":
                written = m.group("value")
                current.password = Param("password", conf.resolve(written), written, str(path), number)
        if "</user>" in line:
            current = None


def _blank_comments(text: str) -> str:
    """`<!-- ... -->` blanked out, their newlines kept so line numbers stay true (linear: no regex backtracking
    over a file of unclosed `<!--`)."""
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            out.append(text[pos:])
            return "".join(out)
        end = text.find("-->", start + 4)
        if end < 0:  # never closed: left as written (as the regular expression this replaces did)
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos:start])
        out.append("\n" * text.count("\n", start, end))
        pos = end + 3
