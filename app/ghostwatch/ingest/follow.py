"""Following log files by byte offset: complete lines only, rotation, truncation, rewrite, permissions.

Plain Python without threads: `Follower.poll()` is called by the pipeline thread whenever something may have
changed; it opens each file, reads what is new and closes it again (so Windows can rotate the file).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..core.formats import Parser, sniff
from ..core.logfiles import is_rotated_name
from ..core.signatures import Signatures
from ..core.text import CUT_MARK
from ..core.timeparse import Clock
from ..store.history import Position
from .reader import LINE_CAP, SKIP_SUFFIXES, head_lines, logical_name, open_log, rotation_key

try:
    import grp  # POSIX only: names the group that may read a log, for the advice
except ImportError:  # Windows
    grp = None

log = logging.getLogger(__name__)

LIVE_CHUNK = 1 << 20         # bytes read from one file per cycle while following
IMPORT_CHUNK = 4 << 20       # ... while importing history
HEAD_BYTES = 1024            # the first line's first bytes identify a file's content
SNIFF_GIVE_UP = 64 << 10     # a file this big that no dialect recognises is not a PBX log
MAX_DEPTH = 2                # /var/log/asterisk/cdr-csv/Master.csv
ROTATED_QUIET_SECONDS = 10.0  # a file rotated away is still read until it has been this quiet (or is deleted):
                              # the PBX writes to it between logrotate's rename and its own reopen


@dataclass
class Chunk:
    """New complete lines of one file and where they sit; `final` when no more lines can complete a record."""

    source: FollowedFile
    data: bytes
    offset: int
    line: int
    final: bool
    at_eof: bool
    span: int = 0     # file bytes `data` stands for (more than its length when a huge line was cut)


@dataclass(eq=False)  # one object per file being read: compared (and hashed) by identity
class FollowedFile:
    """One file being read and its cursor: its identity, where reading stopped, its dialect's parser."""

    path: Path
    key: str                     # the position row's key (the live path, or the rotated file's own path)
    device: int = 0
    inode: int = 0
    head: str = ""
    offset: int = 0
    line: int = 1
    skip: int = 0
    parser: Parser | None = None
    rotated: bool = False        # draining a rotated file / importing history: read to its end, then drop it
    done: bool = False
    waiting: bool = False        # the live path is gone (rotated away); wait for it to be created again
    unrecognised: bool = False
    sniffed_size: int = -1       # size of the file when no dialect recognised it
    warned_utf8: bool = False
    last_size: int = -1
    last_mtime: int = -1
    quiet_polls: int = 0
    gz: bool = False
    stuck_at: int = -1           # where a multi-line record has been waiting for its end, and since when
    stuck_since: float = 0.0
    linger_until: float = 0.0    # rotated away from the live path: keep reading until quiet past this moment

    def position(self) -> Position:
        return Position(self.key, self.device, self.inode, self.head, self.offset, self.line, self.skip,
                        self.parser.format if self.parser else None, self.done)

    def advance(self, chunk: Chunk, consumed: int, lines: int) -> None:
        """Move past `consumed` bytes of `chunk` (the parser may leave a pending record)."""
        self.offset = chunk.offset + (chunk.span if consumed >= len(chunk.data) else consumed)
        self.line = chunk.line + lines
        self.skip = 0
        if self.rotated and chunk.final and consumed >= len(chunk.data):
            self.done = True


@dataclass
class Problem:
    path: str
    message: str


@dataclass
class FollowStatus:
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    waiting_for: list[str] = field(default_factory=list)


class Follower:
    """Tracks every log file under the watched paths and reads what is new in them."""

    def __init__(self, roots: Iterable[str | os.PathLike[str]], signatures: Signatures,
                 positions: dict[str, Position], import_history: bool = False,
                 clock: Callable[[], datetime] = datetime.now,
                 warn: Callable[[str], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.roots = [Path(r) for r in roots]
        self.signatures = signatures
        self.saved = dict(positions)
        self.import_history = import_history
        self.clock = clock
        self.monotonic = monotonic
        self.warn = warn or (lambda msg: log.warning("%s", msg))
        self.files: dict[str, FollowedFile] = {}        # live files by path
        self.draining: list[FollowedFile] = []          # rotated files being read to their end
        self.problems: dict[str, str] = {}
        self.missing_roots: list[Path] = []
        self.seen_inodes: set[tuple[int, int]] = {(p.device, p.inode) for p in positions.values() if p.inode}
        self._started = False

    # -- what to follow -------------------------------------------------------------------------------------
    def rescan(self) -> bool:
        """Look for new files below the roots; True when the set of followed files changed."""
        changed = False
        first = not self._started
        self.missing_roots = []
        for root in self.roots:
            if not root.exists():
                self.missing_roots.append(root)
                continue
            if not os.access(root, os.R_OK | (os.X_OK if root.is_dir() else 0)):
                self.problems[str(root)] = permission_advice(root)
                continue
            self.problems.pop(str(root), None)
            for path in self._candidates(root):
                key = str(path)
                if key in self.files:
                    continue
                self.files[key] = self._track(path, first)
                changed = True
        self._started = True
        return changed

    def _candidates(self, root: Path) -> list[Path]:
        if root.is_file():
            return [root]
        found: list[Path] = []
        base_depth = len(root.parts)
        for dirpath, dirs, names in os.walk(root):
            if len(Path(dirpath).parts) - base_depth >= MAX_DEPTH:
                dirs[:] = []
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names:
                if name.startswith(".") or name.endswith(SKIP_SUFFIXES) or is_rotated_name(name):
                    continue
                found.append(Path(dirpath) / name)
        return sorted(found)

    def _track(self, path: Path, at_start: bool) -> FollowedFile:
        key = str(path)
        saved = self.saved.pop(key, None)
        ff = FollowedFile(path, key)
        if saved is not None:
            ff.device, ff.inode, ff.head = saved.device, saved.inode, saved.head
            ff.offset, ff.line, ff.skip = saved.offset, saved.line, saved.skip
            self._resume_rotations(path)
            return ff
        if self.import_history and at_start:
            self._queue_history(path)
        elif at_start:
            ff.skip = -1  # "from now on": placed at the end on the first successful stat
        return ff

    def _resume_rotations(self, live: Path) -> None:
        """Rotated files whose draining or import was interrupted (a crash, kill -9) continue where they were."""
        for key, pos in list(self.saved.items()):
            p = Path(key)
            if p.parent != live.parent or logical_name(p) != logical_name(live) or pos.done:
                continue
            del self.saved[key]
            target = p if _same_file(p, pos.device, pos.inode) else self._find_inode(live, pos.device, pos.inode)
            if target is None:
                self.warn(f"{p}: the rotated file was removed before GhostWatch finished reading it")
                continue
            self.draining.append(FollowedFile(target, key, pos.device, pos.inode, pos.head, pos.offset, pos.line,
                                              pos.skip, rotated=True, gz=target.name.endswith(".gz")))

    def _queue_history(self, live: Path) -> None:
        siblings = [p for p in live.parent.iterdir()
                    if p != live and p.is_file() and is_rotated_name(p.name) and logical_name(p) == live.name]
        for p in sorted(siblings, key=rotation_key):
            saved = self.saved.pop(str(p), None)
            if saved is not None and saved.done:
                continue
            st = p.stat()
            ff = FollowedFile(p, str(p), st.st_dev, st.st_ino, rotated=True, gz=p.name.endswith(".gz"))
            if saved is not None:
                ff.offset, ff.line, ff.skip, ff.head = saved.offset, saved.line, saved.skip, saved.head
            self.draining.append(ff)

    @property
    def importing(self) -> list[FollowedFile]:
        """Rotated files read whole (history, or rotations GhostWatch missed): what a progress bar counts. A file
        just rotated away and still followed for late lines is not an import."""
        return [ff for ff in self.draining if ff.linger_until <= 0.0]

    # -- reading --------------------------------------------------------------------------------------------
    def poll(self, busy: set[FollowedFile] | frozenset[FollowedFile] = frozenset()) -> list[Chunk]:
        """One chunk of new complete lines from every file that has some, except the `busy` ones."""
        chunks: list[Chunk] = []
        for ff in list(self.draining):
            if ff in busy:
                continue
            chunk = self._read(ff, IMPORT_CHUNK)
            if chunk is not None:
                chunks.append(chunk)
        before = set(self.draining)
        for ff in list(self.files.values()):
            if ff in busy:
                continue
            chunk = self._read_live(ff)
            if chunk is not None:
                chunks.append(chunk)
        for ff in list(self.draining):  # rotated away just now: its rest belongs in the same transaction
            if ff not in before:
                chunk = self._read(ff, IMPORT_CHUNK)
                if chunk is not None:
                    chunks.append(chunk)
        return chunks

    def finished(self, ff: FollowedFile) -> None:
        """A rotated file was read to its end and its position committed: stop tracking it."""
        if ff in self.draining:
            self.draining.remove(ff)

    def _read_live(self, ff: FollowedFile) -> Chunk | None:
        try:
            st = os.stat(ff.path)
        except FileNotFoundError:
            self.problems.pop(ff.key, None)
            if ff.inode and not ff.waiting:
                self._rotated_away(ff)
            return None
        except PermissionError:
            self.problems[ff.key] = permission_advice(ff.path)
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        if ff.skip == -1:  # from now on: start after the last complete line present now
            return self._start_at_end(ff, st)
        if ff.waiting or (ff.inode and (st.st_dev, st.st_ino) != (ff.device, ff.inode)):
            if ff.inode and not ff.waiting:
                self._rotated_away(ff)
            self._restart(ff, st)
        elif st.st_size < ff.offset:
            self.warn(f"{ff.path} was truncated (copytruncate rotation); reading it again from the start")
            self._restart(ff, st)
        elif ff.inode and (st.st_size != ff.last_size or st.st_mtime_ns != ff.last_mtime) and ff.head:
            head = self._head(ff.path)
            if head and head != ff.head:
                self.warn(f"{ff.path} was rewritten; reading it again from the start")
                self._restart(ff, st)
        ff.device, ff.inode = st.st_dev, st.st_ino
        ff.last_size, ff.last_mtime = st.st_size, st.st_mtime_ns
        if ff.unrecognised and (ff.sniffed_size >= SNIFF_GIVE_UP or ff.sniffed_size == st.st_size):
            return None  # not a PBX log (or nothing new to sniff yet)
        return self._read(ff, LIVE_CHUNK, st.st_size)

    def _start_at_end(self, ff: FollowedFile, st: os.stat_result) -> Chunk | None:
        try:
            offset, lines = _end_of_complete_lines(ff.path, st.st_size)
        except PermissionError:
            self.problems[ff.key] = permission_advice(ff.path)
            return None
        ff.device, ff.inode, ff.offset, ff.line, ff.skip = st.st_dev, st.st_ino, offset, lines + 1, 0
        ff.head = self._head(ff.path) or ""
        ff.last_size, ff.last_mtime = st.st_size, st.st_mtime_ns
        # an empty chunk commits the starting position, so a restart does not start "from now" a second time
        return Chunk(ff, b"", offset, ff.line, False, True)

    def _restart(self, ff: FollowedFile, st: os.stat_result) -> None:
        ff.device, ff.inode, ff.head, ff.offset, ff.line, ff.skip = st.st_dev, st.st_ino, "", 0, 1, 0
        ff.waiting = False
        ff.parser = None
        ff.unrecognised = False
        ff.warned_utf8 = False

    def _rotated_away(self, ff: FollowedFile) -> None:
        """The live file was renamed: finish the old one (found by its inode) before the new one."""
        ff.waiting = True
        old = self._find_inode(ff.path, ff.device, ff.inode)
        if old is None:
            if ff.offset:
                self.warn(f"{ff.path} was rotated and the old file cannot be found; lines written to it after "
                          f"GhostWatch's last read are lost")
            return
        drain = FollowedFile(old, str(old), ff.device, ff.inode, ff.head, ff.offset, ff.line, ff.skip, ff.parser,
                             rotated=True, linger_until=self.monotonic() + ROTATED_QUIET_SECONDS)
        self.draining.append(drain)
        self.seen_inodes.add((ff.device, ff.inode))
        # rotated more than once since the last read (GhostWatch was off over a weekend): files rotated after
        # the old one were never seen at all, so they are read whole, in rotation order
        siblings = sorted((p for p in ff.path.parent.iterdir() if p.is_file() and p != ff.path
                           and is_rotated_name(p.name) and logical_name(p) == ff.path.name), key=rotation_key)
        after = siblings[siblings.index(old) + 1:] if old in siblings else []
        for p in after:
            try:
                st = p.stat()
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in self.seen_inodes:
                continue
            self.seen_inodes.add((st.st_dev, st.st_ino))
            self.warn(f"{p} was rotated before GhostWatch saw it; reading it whole")
            self.draining.append(FollowedFile(p, str(p), st.st_dev, st.st_ino, rotated=True, gz=p.name.endswith(".gz")))

    def _find_inode(self, live: Path, device: int, inode: int) -> Path | None:
        try:
            entries = list(os.scandir(live.parent))
        except OSError:
            return None
        names = sorted((e for e in entries if e.name != live.name and e.name.startswith(live.name)),
                       key=lambda e: e.name)
        for entry in names + [e for e in entries if e not in names]:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_ino == inode and st.st_dev == device:
                return Path(entry.path)
        return None

    def _read(self, ff: FollowedFile, limit: int, size: int | None = None) -> Chunk | None:
        if ff.done:
            return None
        span = 0
        lingering = ff.linger_until > 0.0 and self.monotonic() < ff.linger_until
        try:
            if ff.parser is None and not self._choose_parser(ff):
                return None
            with open_log(ff.path) as fh:
                if ff.rotated and ff.inode:
                    st = os.fstat(fh.fileno())
                    if (st.st_dev, st.st_ino) != (ff.device, ff.inode):
                        raise FileNotFoundError(ff.path)  # the name now holds the next rotation's file
                fh.seek(ff.offset)
                data = fh.read(limit)
                at_eof = len(data) < limit
                cut = data.rfind(b"\n") + 1
                if cut:
                    data = data[:cut]
                elif data and at_eof and (lingering or not ff.rotated):
                    return None  # a half-written line waits for its newline
                elif data and not at_eof:
                    rest, ended, tail = _skip_to_newline(fh)
                    if not ended and (lingering or not ff.rotated):
                        return None  # a huge line still being written (read in bounded blocks each time)
                    span = len(data) + rest
                    tail = (data + tail)[-(LINE_CAP // 2):] if len(tail) < LINE_CAP // 2 else tail
                    data = data[: LINE_CAP // 2] + CUT_MARK.encode() + tail + b"\n"
                    self.warn(f"{ff.path}:{ff.line}: a line of {span} bytes was cut to its first and last "
                              f"{LINE_CAP // 2} bytes")
                    at_eof = not ended or fh.read(1) == b""
        except PermissionError:
            self.problems[ff.key] = permission_advice(ff.path)
            return None
        except FileNotFoundError:
            if ff.rotated:
                return self._rotated_moved(ff)
            self.problems[ff.key] = f"cannot read {ff.path}: it was removed"
            return None
        except (OSError, EOFError) as exc:
            self.problems[ff.key] = f"cannot read {ff.path}: {exc}"
            return None
        self.problems.pop(ff.key, None)
        if not ff.head and ff.offset == 0 and b"\n" in data:
            ff.head = _hash_head(data[: data.find(b"\n") + 1])
        if not ff.warned_utf8 and data:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                ff.warned_utf8 = True
                self.warn(f"{ff.path} contains bytes that are not UTF-8; they are shown as \ufffd")
        if not data:
            ff.quiet_polls += 1
            if lingering:
                return None  # rotated away, but the PBX may still write to it until it reopens its log
            return Chunk(ff, b"", ff.offset, ff.line, True, True) if ff.rotated else None
        ff.quiet_polls = 0
        if ff.linger_until > 0.0:
            ff.linger_until = self.monotonic() + ROTATED_QUIET_SECONDS  # still being written: keep following
            lingering = True
        final = at_eof and ff.rotated and not lingering
        return Chunk(ff, data, ff.offset, ff.line, final, at_eof, span or len(data))

    def _rotated_moved(self, ff: FollowedFile) -> Chunk | None:
        """A rotated file we still follow was renamed again (messages.1 -> .2) or removed: find it by inode."""
        found = self._find_inode(ff.path, ff.device, ff.inode) if ff.inode else None
        if found is not None and found != ff.path:
            ff.path = found
            return None  # read from its new name on the next poll
        if ff.linger_until <= 0.0:
            self.warn(f"{ff.path} was removed before GhostWatch finished reading it")
        ff.linger_until = 0.0  # gone (or compressed): what was read is all there is
        return Chunk(ff, b"", ff.offset, ff.line, True, True)

    def _choose_parser(self, ff: FollowedFile) -> bool:
        lines = head_lines(ff.path)
        dialect = sniff(lines, logical_name(ff.path))
        if dialect is None:
            try:
                ff.sniffed_size = ff.path.stat().st_size
            except OSError:
                ff.sniffed_size = 0
            if not ff.unrecognised and lines:
                log.info("%s: not a log format GhostWatch knows; ignored", ff.path)
            ff.unrecognised = True
            return False
        ff.unrecognised = False
        ref = self.clock() if not ff.rotated else datetime.fromtimestamp(ff.path.stat().st_mtime)
        ff.parser = dialect(str(ff.path), Clock(ref), self.signatures)
        return True

    def _head(self, path: Path) -> str | None:
        try:
            with open(path, "rb") as fh:
                data = fh.read(HEAD_BYTES)
        except OSError:
            return None
        nl = data.find(b"\n")
        return _hash_head(data[: nl + 1]) if nl >= 0 else ""  # no complete first line yet

    # -- status ---------------------------------------------------------------------------------------------
    def status(self) -> FollowStatus:
        return FollowStatus(
            # an empty log (the PBX has written nothing yet) is watched too: its first lines are read as they come
            files=sorted(k for k, f in self.files.items() if f.parser is not None or f.sniffed_size == 0),
            problems=[Problem(p, m) for p, m in sorted(self.problems.items())],
            waiting_for=[str(r) for r in self.missing_roots])


def permission_advice(path: Path) -> str:
    """A clear, actionable message for a log GhostWatch may not read."""
    try:
        st = path.stat()
        group = grp.getgrgid(st.st_gid).gr_name if grp is not None else None
    except (OSError, KeyError):
        group = None
    if group and group != "root":
        return (f"Cannot read {path}: permission denied. Add your user to the '{group}' group "
                f"(sudo usermod -aG {group} $USER), then log out and back in. GhostWatch retries by itself.")
    return (f"Cannot read {path}: permission denied. Ask your administrator to let your user read the PBX logs "
            f"(for example: sudo setfacl -R -m u:$USER:rX {path}). GhostWatch retries by itself.")


def _hash_head(first_line: bytes) -> str:
    return hashlib.blake2b(first_line[:HEAD_BYTES], digest_size=8).hexdigest()


def _same_file(path: Path, device: int, inode: int) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (device, inode)


def _end_of_complete_lines(path: Path, size: int) -> tuple[int, int]:
    """(offset after the last complete line, number of lines before it): where "from now on" starts."""
    lines = 0
    offset = 0
    with open(path, "rb") as fh:
        pos = 0
        while pos < size:
            block = fh.read(min(8 << 20, size - pos))
            if not block:
                break
            lines += block.count(b"\n")
            nl = block.rfind(b"\n")
            if nl >= 0:
                offset = pos + nl + 1
            pos += len(block)
    return offset, lines


def _skip_to_newline(fh) -> tuple[int, bool, bytes]:
    """(bytes read up to and including the next newline or to the end of the file, whether a newline ended them,
    the line's last LINE_CAP/2 bytes); reads in bounded blocks."""
    skipped = 0
    tail = b""
    keep = LINE_CAP // 2
    while True:
        block = fh.read(1 << 20)
        if not block:
            return skipped, False, tail
        nl = block.find(b"\n")
        part = block[:nl] if nl >= 0 else block
        tail = (tail + part)[-keep:]
        if nl >= 0:
            return skipped + nl + 1, True, tail
        skipped += len(block)
