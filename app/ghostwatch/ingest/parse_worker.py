"""Parsing a big file in a child process while this one classifies: `scan` on two cores.

Parsing is most of a scan's work and needs nothing from classification, so for a large file a forked child reads
and parses while the parent classifies, aggregates and prints what arrives. Records travel field by field (one
list per field per batch, about a thousand records per 1 MiB chunk); the child's file counts come last. Used only
where it is safe and pays: a POSIX `fork`, no other thread running (forking a threaded process can deadlock the
child), two or more usable cores, and a file big enough to be worth a process.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from ..core.events import FIELDS, Kind, Outcome, Record, make_record
from ..core.formats import Parser
from .reader import FileStats, describe_error, iter_results

log = logging.getLogger(__name__)

MIN_BYTES = 16 << 20
"""Files smaller than this are parsed in-process: a child costs about 10 ms and some memory."""
DEFER_START = 4
"""Of every 8 lines the child could hand back, how many it hands back at first (see `_child`)."""
BUSY_PARENT_SECONDS = 0.002
"""Sending a batch that blocks longer than this means the parent was still busy: hand back fewer lines."""
DEFER_SWITCH = "GHOSTWATCH_SCAN_DEFER"
"""`0`-`8`: hand back a fixed share of lines (tests and benchmarks); unset: the share follows who waits."""
ENV_SWITCH = "GHOSTWATCH_SCAN_WORKERS"
"""`0`: parse everything in-process (benchmarks compare both); `always`: a child for every file (tests)."""

_KIND_AT = FIELDS.index("kind")
_OUTCOME_AT = FIELDS.index("outcome")
_RAW_AT = FIELDS.index("raw")
_KINDS = {k.value: k for k in Kind}
_KIND_VALUES = {k: k.value for k in Kind}
_OUTCOMES = {o.value: o for o in Outcome}
_OUTCOME_VALUES = {o: o.value for o in Outcome}


def _columns(batch: list[Record], keep_raw: bool) -> list:
    """A batch as one tuple per field (transposed at C speed; enums as their text, which pickles small)."""
    cols: list = list(zip(*batch, strict=True))
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
    return map(make_record, zip(*cols, strict=True))


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


def batches(path: Path, parser: Parser, stats: FileStats, keep_raw: bool = True) -> Iterator[list[Record]]:
    """Records of `path` in batches as the child parses them; counts and errors land in `stats` at the end.

    Without `keep_raw` the evidence lines stay in the child (`scan` prints none): half the bytes to move. Lines the
    child hands back (see `Parser.defer`) are parsed here, by this process's copy of the parser, in their place.
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
    samples: list[tuple[int, str]] = []  # unrecognised lines among those parsed here
    try:
        while True:
            try:
                kind, payload = pickle.loads(recv.recv_bytes())
            except EOFError:
                break
            if kind == "batch":
                n, cols, deferred = payload
                recs = _records_from(cols, n) if n else iter(())
                if not deferred:
                    yield list(recs)
                    continue
                try:
                    yield _with_deferred(recs, deferred, parser, stats, samples)
                except Exception as exc:  # as in the child: a parser bug ends this file with an error, not the scan
                    stats.error = f"internal error while parsing: {type(exc).__name__}: {exc}"
                    finished = True
                    break
            else:
                child_stats, error = payload
                _merge(stats, child_stats, samples)
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


def _with_deferred(recs: Iterator[Record], deferred: list[tuple[int, int, str]], parser: Parser, stats: FileStats,
                   samples: list[tuple[int, str]]) -> list[Record]:
    """The child's records with the handed-back lines parsed here and put in their place."""
    out: list[Record] = []
    done = 0
    for before, line_no, text in deferred:
        if before > done:
            out.extend(islice(recs, before - done))
            done = before
        found = parser.parse_line(text, line_no)
        if found is None:
            stats.unrecognised += 1
            if len(samples) < 3:
                samples.append((line_no, text))
        else:
            stats.records += len(found)
            out += found
    out.extend(recs)
    return out


def _child(path: Path, parser: Parser, conn, keep_raw: bool = True) -> None:
    stats = FileStats(str(path), parser.format)
    error: str | None = None
    # The parent classifies while this process parses; whichever waits for the other has time to spare. Lines
    # that need no parser state are handed back to the parent (parsed there, in place) in a share that follows
    # who waits: sending blocks when the parent is still busy with the batch before.
    fixed = os.environ.get(DEFER_SWITCH, "")
    adapt = not (fixed.isascii() and fixed.isdigit())
    parser.defer = DEFER_START if adapt else min(int(fixed), 8)
    try:
        for res in iter_results(path, parser, stats):
            batch = res.records
            payload = (len(batch), _columns(batch, keep_raw) if batch else None, res.deferred)
            data = pickle.dumps(("batch", payload), pickle.HIGHEST_PROTOCOL)
            started = time.perf_counter()
            conn.send_bytes(data)
            if not adapt:
                continue
            if time.perf_counter() - started > BUSY_PARENT_SECONDS:
                parser.defer = max(parser.defer - 1, 0)
            elif parser.defer < 8:
                parser.defer += 1
    except (OSError, EOFError) as exc:  # unreadable, truncated .gz: the same words as parsing in-process
        error = describe_error(exc)
    except Exception as exc:  # a parser bug must not lose the rest of the scan: report it as the file's error
        error = f"internal error while parsing: {type(exc).__name__}: {exc}"
    try:
        conn.send_bytes(pickle.dumps(("done", (stats, error)), pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # the parent stopped reading (output closed, Ctrl-C): nothing left to tell
    finally:
        conn.close()


def _merge(stats: FileStats, child: FileStats, samples: list[tuple[int, str]] = ()) -> None:
    stats.lines += child.lines
    stats.records += child.records
    stats.unrecognised += child.unrecognised
    stats.cut_lines += child.cut_lines
    if samples and len(child.sample_lines) == len(child.samples):  # the first three by line, wherever parsed
        merged = sorted([*zip(child.sample_lines, child.samples, strict=True), *samples])[:3]
        stats.sample_lines[:] = [line for line, _ in merged]
        stats.samples[:] = [text for _, text in merged]
    else:
        stats.samples.extend(child.samples[: 3 - len(stats.samples)])
        stats.sample_lines.extend(child.sample_lines[: 3 - len(stats.sample_lines)])
