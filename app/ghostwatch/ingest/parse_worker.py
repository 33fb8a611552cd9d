"""Parsing a big file in a child process while this one classifies: `scan` on two cores.

Parsing is most of a scan's work and needs nothing from classification, so for a large file a forked child reads
and parses while the parent classifies, aggregates and prints what arrives. Records travel field by field (one
list per field per batch, about a thousand records per 1 MiB chunk); the child's file counts come last. Used only
where it is safe and pays: a POSIX `fork`, no other thread running (forking a threaded process can deadlock the
child), two or more usable cores, and a file big enough to be worth a process.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import sys
import threading
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path

from ..core.events import Kind, Outcome, Record
from ..core.formats import Parser
from .reader import FileStats, iter_batches

log = logging.getLogger(__name__)

MIN_BYTES = 16 << 20
"""Files smaller than this are parsed in-process: a child costs about 10 ms and some memory."""
ENV_SWITCH = "GHOSTWATCH_SCAN_WORKERS"
"""`0`: parse everything in-process (benchmarks compare both); `always`: a child for every file (tests)."""

_FIELDS = tuple(f.name for f in dataclasses.fields(Record))
_GETTERS = tuple(attrgetter(name) for name in _FIELDS)
_KIND_AT = _FIELDS.index("kind")
_OUTCOME_AT = _FIELDS.index("outcome")
_RAW_AT = _FIELDS.index("raw")
_KINDS = {k.value: k for k in Kind}
_KIND_VALUES = {k: k.value for k in Kind}
_OUTCOMES = {o.value: o for o in Outcome}
_OUTCOME_VALUES = {o: o.value for o in Outcome}


def _columns(batch: list[Record], keep_raw: bool) -> list[list]:
    """A batch as one list per field (C-speed `map`s; enums as their text, which pickles small)."""
    cols = [list(map(get, batch)) for get in _GETTERS]
    cols[_KIND_AT] = list(map(_KIND_VALUES.__getitem__, cols[_KIND_AT]))
    cols[_OUTCOME_AT] = list(map(_OUTCOME_VALUES.get, cols[_OUTCOME_AT]))
    if not keep_raw:
        cols[_RAW_AT] = None
    return cols


def _records_from(cols: list, n: int) -> Iterator[Record]:
    cols = list(cols)
    cols[_KIND_AT] = map(_KINDS.__getitem__, cols[_KIND_AT])
    cols[_OUTCOME_AT] = map(_OUTCOMES.get, cols[_OUTCOME_AT])
    if cols[_RAW_AT] is None:
        cols[_RAW_AT] = ((),) * n
    for values in zip(*cols, strict=True):
        yield Record(*values)


class CannotFork(Exception):
    """No child process could be started; nothing was read yet."""


def usable(path: Path) -> bool:
    """Whether parsing `path` in a child process is possible here and worth it."""
    switch = os.environ.get(ENV_SWITCH, "")
    if switch == "0" or not hasattr(os, "fork") or threading.active_count() != 1:
        return False
    if switch == "always":
        return True
    try:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        size = path.stat().st_size
    except OSError:
        return False
    if path.name.endswith(".gz"):
        size *= 8  # compressed logs inflate about tenfold
    return cores >= 2 and size >= MIN_BYTES


def records(path: Path, parser: Parser, stats: FileStats, keep_raw: bool = True) -> Iterator[Record]:
    """Records of `path` as the child parses them; counts and errors land in `stats` at the end.

    Without `keep_raw` the evidence lines stay in the child (`scan` prints none): half the bytes to move.
    Raises CannotFork before yielding anything when no child can be started.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    # The child inherits unwritten output buffers, and multiprocessing flushes the standard streams when a child
    # ends: flush them first, or the parent's output would appear twice.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    proc = ctx.Process(target=_child, args=(path, parser, send, keep_raw), name="ghostwatch-parse", daemon=True)
    try:
        proc.start()
    except OSError as exc:  # out of processes or memory: the caller parses in-process instead
        recv.close()
        send.close()
        raise CannotFork(str(exc)) from exc
    send.close()
    finished = False
    try:
        while True:
            try:
                kind, payload = pickle.loads(recv.recv_bytes())
            except EOFError:
                break
            if kind == "batch":
                n, cols = payload
                yield from _records_from(cols, n)
            else:
                child_stats, error = payload
                _merge(stats, child_stats)
                if error:
                    stats.error = error
                finished = True
                break
        if not finished:
            stats.error = stats.error or "the parser process ended unexpectedly"
            log.warning("parsing %s: %s", path, stats.error)
    finally:
        recv.close()
        if proc.is_alive():
            proc.terminate()
        proc.join(5)


def _child(path: Path, parser: Parser, conn, keep_raw: bool = True) -> None:
    stats = FileStats(str(path), parser.format)
    error: str | None = None
    try:
        for batch in iter_batches(path, parser, stats):
            payload = (len(batch), _columns(batch, keep_raw))
            conn.send_bytes(pickle.dumps(("batch", payload), pickle.HIGHEST_PROTOCOL))
    except (OSError, EOFError) as exc:  # unreadable, truncated .gz: the same words as parsing in-process
        from .scan import _describe

        error = _describe(exc)
    except Exception as exc:  # a parser bug must not lose the rest of the scan: report it as the file's error
        error = f"internal error while parsing: {type(exc).__name__}: {exc}"
    try:
        conn.send_bytes(pickle.dumps(("done", (stats, error)), pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # the parent stopped reading (output closed, Ctrl-C): nothing left to tell
    finally:
        conn.close()


def _merge(stats: FileStats, child: FileStats) -> None:
    stats.lines += child.lines
    stats.records += child.records
    stats.unrecognised += child.unrecognised
    stats.samples.extend(child.samples[: 3 - len(stats.samples)])
