"""The monitor: watchdog marks paths dirty; a pipeline thread follows, parses and classifies; one writer thread stores.

```
observer thread            pipeline thread                       writer thread         caller (CLI, GUI bridge)
on_any_event: mark dirty -> wait ~80 ms to coalesce; read new  -> events + file       on_batch(Batch)
                            complete lines; parse -> merge by     positions in ONE    on_status(MonitorStatus)
                            time -> classify (bounded queue)      transaction         on_progress(Progress)
```
Callbacks run on the monitor's threads and receive frozen data only (`on_batch` after the commit).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..core.episodes import Restored
from ..core.events import Event
from ..core.judge import Judge
from ..core.logfiles import now_epoch
from ..core.settings import DetectionSettings
from ..core.signatures import Signatures
from ..store.disk import WriteFailed
from ..store.history import History, Position
from .follow import Chunk, FollowedFile, Follower, Problem
from .merge import Held, release
from .reader import rotation_key

log = logging.getLogger(__name__)


def _not_the_stop_race(record: logging.LogRecord) -> bool:
    """watchdog logs an *error* when a change arrives while its inotify thread is stopping ("queue_events() called
    when the thread is inactive"): harmless at shutdown, but printed, it would sit under the one line that says why
    the monitor stopped."""
    return "called when the thread is inactive" not in str(record.msg)


logging.getLogger("watchdog.observers.inotify").addFilter(_not_the_stop_race)

COALESCE_SECONDS = 0.03       # observer events arriving together become one batch (bench/live_monitor.py)
SAFETY_POLL_SECONDS = 1.0     # also look without an event (missed events, directories appearing, permissions)
POLLING_INTERVAL = 1.0        # PollingObserver's interval on network shares
MAX_EVENTS_PER_COMMIT = 5000
PENDING_FLUSH_SECONDS = 1.5  # a multi-line record (SIP trace) unfinished this long is parsed as it is
REPLAY_SECONDS = 120.0        # correlation windows are shorter than this; failures are replayed for a week
OBSERVER_WORDS = {"InotifyObserver": "inotify", "PollingObserver": "polling", "FSEventsObserver": "FSEvents",
                  "WindowsApiObserver": "Windows change notifications", "KqueueObserver": "kqueue"}


@dataclass(frozen=True)
class Batch:
    """Events stored by one transaction, with their history ids and the epoch each is filed under.

    An attempt's event is stored when its first line arrives and updated in place as its other lines arrive or its
    source's run turns out to be an attack: `new[i]` says whether `ids[i]` was stored for the first time."""

    events: tuple[Event, ...]
    ids: tuple[int, ...]
    epochs: tuple[float, ...]
    new: tuple[bool, ...] = ()

    def is_new(self, i: int) -> bool:
        return self.new[i] if self.new else True


@dataclass(frozen=True)
class Progress:
    """History import progress, for a progress bar."""

    files: int
    files_total: int
    bytes_done: int
    bytes_total: int
    lines: int
    events: int
    done: bool


@dataclass(frozen=True)
class MonitorStatus:
    state: str                       # starting | live | paused | failing | stopped
    observer: str                    # inotify | polling | ...
    files: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    waiting_for: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The status in plain words."""
        if self.state == "paused":
            return "Monitoring is paused."
        if self.problems:
            return self.problems[0].message
        if self.waiting_for:
            return f"Waiting for {self.waiting_for[0]} to appear."
        if self.state == "live":
            n = len(self.files)
            how = " (checking every second, as for a network folder)" if self.observer == "polling" else ""
            return f"Watching {n} log file{'s' if n != 1 else ''}{how}."
        return self.state.capitalize() + "."


WATCH_MARK_SECONDS = 60.0
"""How often a live monitor tells the history it is watching (a ring is looked up to within minutes)."""


class _Watching(NamedTuple):
    """A writer item: this session watched from `since` until `until` (log-time epochs)."""

    since: float
    until: float


class _WriterStopped(Exception):
    """The history writer failed (its status says why); the pipeline thread stops reading."""


class Monitor:
    """Follows `paths` live into `history`; see the module docstring."""

    def __init__(self, paths: Iterable[str | Path], settings: DetectionSettings, signatures: Signatures,
                 history: History, on_batch: Callable[[Batch], None] | None = None,
                 clock: Callable[[], datetime] = datetime.now, *, polling: bool = False,
                 import_history: bool = False, retention_days: int = 400,
                 on_status: Callable[[MonitorStatus], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_warning: Callable[[str], None] | None = None) -> None:
        self.paths = [Path(p).absolute() for p in paths]
        self.settings = settings
        self.signatures = signatures
        self.history = history
        self.on_batch = on_batch
        self.on_status = on_status
        self.on_progress = on_progress
        self.on_warning = on_warning
        self.on_lines: Callable[[FollowedFile, Chunk, object], None] | None = None  # (file, chunk, FeedResult)
        self.clock = clock
        self.polling = polling
        self.import_history = import_history
        self.retention_days = retention_days
        self.judge = Judge(settings, signatures, start_id=history.next_id())
        self.classifier = self.judge.classifier
        self._stored: dict[int, tuple] = {}  # attempt id -> what its stored row counts (see History.commit)
        self.follower: Follower | None = None
        self.observer = None
        self.observer_kind = "polling" if polling else "none"
        self._scheduled: set[Path] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._rescan = threading.Event()
        self._thread: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._commits: queue.Queue = queue.Queue(maxsize=2)  # bounds memory when a flood outruns the disk
        self._held: dict[FollowedFile, Held] = {}   # the merge's state per file being read
        self._status: MonitorStatus | None = None
        self._progress_base: tuple[int, int] | None = None
        self._lines = 0
        self._events = 0
        self.failed: BaseException | None = None
        self._status_lock = threading.Lock()  # the writer's failure and the reader's "live" never cross
        self.cycles = 0
        self._cycled = threading.Condition()
        self._watch_since: float | None = None  # log-time epoch this session went live (History.mark_watching)
        self._marked_at = float("-inf")

    # -- life cycle -----------------------------------------------------------------------------------------
    def start(self) -> None:
        now = now_epoch(self.clock)
        if self.retention_days > 0:
            pruned = self.history.prune(now - self.retention_days * 86400.0)
            if pruned:
                log.info("retention: removed %d events older than %d days", pruned, self.retention_days)
        self._replay_correlation()
        self.follower = Follower(self.paths, self.signatures, self.history.positions(), self.import_history,
                                 self.clock, self._warn)
        self._start_observer()
        self._writer = threading.Thread(target=self._write_loop, name="ghostwatch-writer", daemon=False)
        self._writer.start()
        self._thread = threading.Thread(target=self._run, name="ghostwatch-pipeline", daemon=False)
        self._thread.start()

    def stop(self) -> None:
        """Stop observing, finish the current batch, close nothing the caller owns. No thread outlives this."""
        self._stop.set()
        self._wake.set()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=10)
            self.observer = None
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._writer is not None:
            if self._watch_since is not None and self.failed is None:
                self._mark_watching(force=True)  # watched until now
            self._commits.put(None)
            self._writer.join(timeout=30)
            self._writer = None
        self._set_status("stopped")

    def pause(self) -> None:
        self._paused.set()
        self._set_status("paused")

    def resume(self) -> None:
        self._paused.clear()
        self._wake.set()

    def poke(self) -> None:
        """Look at the files now (the observer does this by itself)."""
        self._wake.set()

    @property
    def status(self) -> MonitorStatus:
        return self._status or MonitorStatus("starting", self.observer_kind)

    # -- observer -------------------------------------------------------------------------------------------
    def _start_observer(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        observer = PollingObserver(timeout=POLLING_INTERVAL) if self.polling else Observer()
        self.observer = observer
        self.observer_kind = OBSERVER_WORDS.get(type(observer).__name__, type(observer).__name__)
        self._schedule_roots()
        observer.start()

    def _schedule_roots(self) -> None:
        from watchdog.observers.polling import PollingObserver

        handler = _Handler(self)
        for root in self.paths:
            target = root if root.is_dir() else root.parent
            if target in self._scheduled or not target.is_dir():
                continue
            try:
                self.observer.schedule(handler, str(target), recursive=root.is_dir())
            except OSError as exc:  # e.g. inotify watch limit, or a file system without notifications
                if isinstance(self.observer, PollingObserver):
                    raise
                self._warn(f"cannot watch {target} natively ({exc}); falling back to polling")
                self.observer.stop()
                self.observer.join(timeout=10)
                self.polling = True
                self._scheduled.clear()
                self._start_observer()
                return
            self._scheduled.add(target)

    def _dirty(self, structural: bool) -> None:
        if structural:
            self._rescan.set()
        self._wake.set()

    # -- the pipeline thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        assert self.follower is not None
        try:
            self.follower.rescan()
            self._cycle()
            while not self._stop.is_set():
                woke = self._wake.wait(SAFETY_POLL_SECONDS)
                if self._stop.is_set():
                    break
                if woke and not self.polling:  # the polling observer's events already come once per interval
                    self._stop.wait(COALESCE_SECONDS)
                self._wake.clear()
                if self._paused.is_set():
                    continue
                if self._rescan.is_set() or not woke or self.follower.missing_roots:
                    self._rescan.clear()
                    self.follower.rescan()
                    if self.observer is not None and len(self._scheduled) < len(self.paths):
                        self._schedule_roots()
                self._cycle()
        except _WriterStopped:
            return  # the writer has said why (its status stays): nothing more to add
        except BaseException as exc:  # noqa: BLE001 - reported to the caller, never silently lost
            self.failed = exc
            log.exception("monitoring stopped by an internal error")
            self._set_status("failing", extra=Problem("", f"Monitoring stopped by an internal error: {exc}"))

    def _cycle(self) -> None:
        follower = self.follower
        assert follower is not None
        importing = bool(follower.importing)
        if importing and self._progress_base is None:
            self._progress_base = self._import_size()
        while not self._stop.is_set() and not self._paused.is_set():
            busy = {k for k, h in self._held.items() if h.items}
            chunks = follower.poll(busy)
            got = {c.source for c in chunks}
            for k, h in self._held.items():
                if not h.items and not h.at_eof and k not in got:
                    h.at_eof = True  # nothing readable now (error, half-written line): do not block the merge
            if not chunks and not any(h.items for h in self._held.values()):
                break
            more = self._process(chunks)
            if not more:
                break
        if importing and not follower.importing:
            self._report_progress(done=True)
            self._progress_base = None
        self._set_status("live")
        self._mark_watching()
        with self._cycled:
            self.cycles += 1
            self._cycled.notify_all()

    def _mark_watching(self, force: bool = False) -> None:
        """Tell the history, about once a minute, that this session is watching (by the writer, in order)."""
        now = now_epoch(self.clock)
        if self._watch_since is None:
            self._watch_since = now
        if force or now - self._marked_at >= WATCH_MARK_SECONDS:
            self._marked_at = now
            self._commits.put(_Watching(self._watch_since, now))

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the pipeline has looked at the files at least once after this call (tests, tools)."""
        deadline = time.monotonic() + timeout
        for _ in range(2):  # the cycle running now may have missed what the caller just wrote
            with self._cycled:
                target = self.cycles + 1
            self._rescan.set()
            self._wake.set()
            with self._cycled:
                left = deadline - time.monotonic()
                if not self._cycled.wait_for(lambda t=target: self.cycles >= t or self._thread is None, left):
                    return False
        self._commits.join()  # and everything read so far is stored and reported
        return True

    def _process(self, chunks: list[Chunk]) -> bool:
        """Parse chunks, release records in time order, classify and commit. True if more input is waiting."""
        touched: set[FollowedFile] = set()
        for chunk in chunks:
            ff = chunk.source
            touched.add(ff)
            held = self._held.setdefault(ff, Held())
            held.items.clear()
            held.released = 0
            held.start = (chunk.offset, chunk.line)
            if ff.parser is None or not chunk.data:
                ff.advance(chunk, 0, 0)
                held.end, held.final, held.at_eof = (ff.offset, ff.line), chunk.final, chunk.at_eof
                continue
            res = ff.parser.feed(chunk.data, chunk.line, chunk.final)
            self._lines += res.lines
            if self.on_lines is not None:
                self.on_lines(ff, chunk, res)
            records = res.records
            if ff.skip > 0:  # resuming inside a chunk whose first records are already stored
                held.released = min(ff.skip, len(records))
                records = records[held.released:]
            held.hold(records)
            consumed, lines = res.consumed, res.lines
            if consumed < len(chunk.data) and not chunk.final:
                # a multi-line record still being written: wait for it, but not forever
                if ff.stuck_at != chunk.offset + consumed:
                    ff.stuck_at, ff.stuck_since = chunk.offset + consumed, time.monotonic()
                elif time.monotonic() - ff.stuck_since > PENDING_FLUSH_SECONDS:
                    tail = ff.parser.feed(chunk.data[consumed:], chunk.line + lines, True)
                    held.hold(tail.records)
                    consumed, lines = len(chunk.data), lines + tail.lines
            end = chunk.offset + (chunk.span if consumed >= len(chunk.data) else consumed)
            held.end, held.final, held.at_eof = (end, chunk.line + lines), chunk.final, chunk.at_eof
            if not held.items:
                ff.offset, ff.line, ff.skip = held.end[0], held.end[1], 0
                if ff.rotated and chunk.final:
                    ff.done = True

        # merge: release records in time order while no file that may hold earlier records is waiting for input;
        # equal times: files in the order `scan` reads them, so live and scan keep the same sighting of a call
        # that two logs report (the dialplan line or the CDR row)
        order = {ff: rotation_key(ff.path) for ff, h in self._held.items() if h.items}
        released = release(self._held, order, MAX_EVENTS_PER_COMMIT)
        touched.update(ff for _rec, _key, ff in released)
        now = now_epoch(self.clock)
        changed: dict[int, tuple] = {}
        feed, stored = self.judge.feed, self._stored
        for rec, key, _k in released:
            for attempt, _created in feed(rec):
                if attempt.first == float("-inf"):  # an undated first line: filed under the time around it
                    attempt.first = key if key != float("-inf") else now
                before = changed.get(attempt.id)  # changed twice in one batch: still new, or one update
                previous = before[3] if before is not None else stored.get(attempt.id)
                changed[attempt.id] = (attempt.event, attempt.first, attempt.id, previous)
                stored[attempt.id] = History.counted(attempt.event, attempt.first)
        events = list(changed.values())
        for attempt in self.judge.expire():  # no later line can join these: forget what their rows count
            if not attempt.pending:
                stored.pop(attempt.id, None)
        if len(stored) > 200_000:  # a run still pending that long is final as it stands
            for key in list(stored)[:100_000]:
                del stored[key]
        positions: list[Position] = []
        for ff in touched:
            held = self._held.get(ff)
            if held is None:
                continue
            if held.items:
                ff.offset, ff.line = held.start
                ff.skip = held.released
            else:
                ff.offset, ff.line = held.end
                ff.skip = 0
                if ff.rotated and held.final:
                    ff.done = True
            positions.append(ff.position())
        for ff in self.follower.draining:  # a rotated file's place is saved with the live file's new one
            if ff not in touched and not ff.done:
                positions.append(ff.position())
        if not events and not positions:
            return False
        self._enqueue(events, positions)
        for ff in touched:
            if ff.done:
                self.follower.finished(ff)
                self._held.pop(ff, None)
        self._events += len(events)
        if self._progress_base is not None:
            self._report_progress(done=False)
        waiting_input = any(not h.at_eof for h in self._held.values())
        return waiting_input or any(h.items for h in self._held.values())

    # -- the writer thread: SQLite works (without the GIL) while the next lines are parsed -------------------
    def _enqueue(self, events: list[tuple], positions: list[Position]) -> None:
        while True:  # a bounded queue: when the disk is slower than the log, parsing waits
            if self.failed is not None:
                raise _WriterStopped from self.failed
            try:
                self._commits.put((events, positions), timeout=0.5)
                return
            except queue.Full:
                continue

    def _write_loop(self) -> None:
        while True:
            item = self._commits.get()
            try:
                if item is None:
                    return
                if self.failed is not None:
                    continue  # after a failed commit nothing later may be stored, or lines would be skipped
                if item.__class__ is _Watching:
                    self.history.mark_watching(item.since, item.until)
                    continue
                events, positions = item
                ids = self.history.commit(events, positions, time.time())
                if events and self.on_batch is not None:
                    self.on_batch(Batch(tuple(e[0] for e in events), tuple(ids), tuple(e[1] for e in events),
                                        tuple(e[3] is None for e in events)))
            except WriteFailed as exc:  # disk full, read-only, I/O error: one clear line, no traceback
                log.info("%s", exc)  # the status carries it to the user: one line, not two
                with self._status_lock:
                    self.failed = exc
                    self._set_status_locked("failing", Problem("", str(exc)))
            except BaseException as exc:  # noqa: BLE001 - anything else: say so, stop storing
                self.failed = exc
                log.exception("cannot store events")
                self._set_status("failing", extra=Problem("", f"Cannot store events in the history: {exc}"))
            finally:
                self._commits.task_done()

    # -- correlation across restarts ------------------------------------------------------------------------
    def _replay_correlation(self) -> None:
        latest = self.history.latest_epoch()
        if latest is None:
            return
        week = self.settings.thresholds.compromise_window_seconds
        trusted = self.settings.trusted
        for rec in self.history.replay_records(latest - REPLAY_SECONDS, latest - week):  # one per attempt
            self.classifier.correlator.observe(rec, rec.source_ip in trusted)
        # the runs going on when the monitor stopped: an attacker's attempts from before the restart are upgraded
        # too when its run turns out to be an attack after it
        episodes = self.judge.episodes
        for eid, epoch, event in self.history.flagged_since(latest - episodes.gap):
            restored = Restored(eid, epoch, event)
            episodes.see(restored, event, epoch, True, event.record.source_ip in trusted)
            self._stored[eid] = History.counted(event, epoch)

    # -- reporting ------------------------------------------------------------------------------------------
    def _import_size(self) -> tuple[int, int]:
        follower = self.follower
        assert follower is not None
        total = 0
        for ff in follower.importing:
            try:
                total += ff.path.stat().st_size
            except OSError:
                pass
        return len(follower.importing), total

    def _report_progress(self, done: bool) -> None:
        if self.on_progress is None or self._progress_base is None or self.follower is None:
            return
        files_total, bytes_total = self._progress_base
        left = 0
        for ff in self.follower.importing:
            try:
                left += max(0, ff.path.stat().st_size - ff.offset) if not ff.gz else 0
            except OSError:
                pass
        remaining = len(self.follower.importing)
        self.on_progress(Progress(files_total - remaining, files_total, max(0, bytes_total - left), bytes_total,
                                  self._lines, self._events, done))

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        if self.on_warning is not None:
            self.on_warning(message)

    def _set_status(self, state: str, extra: Problem | None = None) -> None:
        with self._status_lock:
            if self.failed is not None and extra is None:
                return  # a monitor that stopped storing keeps saying why; it is never "live" again
            self._set_status_locked(state, extra)

    def _set_status_locked(self, state: str, extra: Problem | None) -> None:
        follower = self.follower
        if self._paused.is_set() and state == "live":
            state = "paused"
        if follower is not None:
            st = follower.status()
            problems = tuple(st.problems) + ((extra,) if extra else ())
            status = MonitorStatus("failing" if problems and state == "live" else state, self.observer_kind,
                                   tuple(st.files), problems, tuple(st.waiting_for))
        else:
            status = MonitorStatus(state, self.observer_kind, problems=(extra,) if extra else ())
        if status != self._status:
            self._status = status
            if self.on_status is not None:
                self.on_status(status)


class _Handler:
    """watchdog handler: no I/O, no parsing; only marks the monitor dirty."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def dispatch(self, event) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        self.monitor._dirty(structural=kind in ("created", "moved", "deleted"))
