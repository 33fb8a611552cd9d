"""Prometheus metrics of one `ghostwatch watch` (`--metrics HOST:PORT`), served by `prometheus_client`.

Every series carries the `site` label; the other labels come from small fixed sets (verdict, kind, reason code,
outcome, state) or from the watched file's logical name (`messages`, `security`, `Master.csv`; capped). A source
address or caller ID is never a label: per-attacker detail travels in the forwarded events (`forward.py`).
An event is counted once, when first stored: later updates of the same event (same history id) are not recounted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Enum,
    Gauge,
    Histogram,
    Info,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .. import __version__
from ..core.events import Event, Kind, Outcome, Verdict
from ..core.memo import Memo
from ..core.notify_policy import Notice, NotifyPolicy
from . import FirstSeen

ACTIVE_WINDOW_SECONDS = 900.0     # a source that attacked within this is "active now"
MAX_ACTIVE_SOURCES = 100_000      # memory bound for a distributed scan (the oldest half is forgotten)
MAX_FILE_LABELS = 32              # more distinct log names than this are counted as file="other"
MAX_REASON_LABELS = 64
MAX_REMEMBERED = 50_000           # recent events whose counted verdict/reasons are kept (~100 B each) for updates
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
KNOWN_REASONS = ("scanner_user_agent", "scanner_caller_id", "scanner_display_name", "invalid_number",
                 "direct_ip_call", "untrusted_source", "unknown_extension", "no_matching_endpoint", "auth_failure",
                 "acl_reject", "brute_force", "enumeration", "flood", "short_call", "anonymous_inbound",
                 "compromise", "blocklisted", "out_of_hours")
STATES = ("starting", "watching", "waiting", "paused", "failing", "stopped")
MODES = ("native", "polling")
RANG = (Outcome.RANG, Outcome.ANSWERED)  # a phone rang (and maybe someone picked up)


def monitor_state(status: Any) -> str:
    """`MonitorStatus` in the fleet's words: watching / waiting (for a path to appear) / paused / failing / ..."""
    if status.state == "live":
        return "waiting" if status.waiting_for and not status.files else "watching"
    return status.state if status.state in STATES else "failing"


class WatchMetrics:
    """The metrics registry of one watch, fed by the monitor's callbacks (any thread).

    Two of its bounded tables are caches (`core/memo.py`: reason-code sets kept once, file labels by path); the
    others are state, not caches, and stay hand-bounded: what was counted per event (`_judgements`, oldest event
    forgotten first), active sources (`_active`, by recency and age) and lines counted per parser (`_read_to`)
    would count differently if an entry were dropped out of order, and the first label names win for good."""

    def __init__(self, site: str, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.site = site
        self.clock = clock
        self.monotonic = monotonic
        disable_created_metrics()  # no `_created` twin of every counter: half the series, nothing lost for alerts
        self.registry = r = CollectorRegistry()
        s = ("site",)
        self.events = Counter("ghostwatch_events", "Events stored, by verdict and kind", [*s, "verdict", "kind"],
                              registry=r)
        self.reasons = Counter("ghostwatch_event_reasons", "Events stored, by each reason code they carry",
                               [*s, "reason"], registry=r)
        self.changes = Counter("ghostwatch_verdict_changes", "Events whose verdict an update changed (e.g. an "
                               "attacker's first attempts, judged over its run)", [*s, "from", "to"], registry=r)
        self.rang = Counter("ghostwatch_ghost_calls_rang", "Ghost calls that made a phone ring",
                            [*s, "outcome"], registry=r)
        self.notifications = Counter("ghostwatch_notifications",
                                     "Notifications the desktop policy (level: ghost calls and attacks) would show",
                                     [*s, "urgent"], registry=r)
        self.lines = Counter("ghostwatch_lines_read", "Log lines read", [*s, "file", "format"], registry=r)
        self.skipped = Counter("ghostwatch_lines_skipped",
                               "Lines that looked security-relevant but matched no known wording",
                               [*s, "file", "format"], registry=r)
        self.state = Enum("ghostwatch_monitor_state", "What the monitor is doing", s, states=list(STATES),
                          registry=r)
        self.mode = Enum("ghostwatch_monitor_mode", "How it learns of changes: native notifications or polling",
                         s, states=list(MODES), registry=r)
        self.files = Gauge("ghostwatch_files_watched", "Log files being followed", s, registry=r)
        self.problems = Gauge("ghostwatch_file_problems", "Watched paths with a problem (unreadable, ...)", s,
                              registry=r)
        self.last_event = Gauge("ghostwatch_last_event_timestamp_seconds",
                                "Wall-clock time the last event was stored", s, registry=r)
        Gauge("ghostwatch_started_timestamp_seconds", "When this watch started", s, registry=r).labels(site).set(
            clock())
        self.delay = Gauge("ghostwatch_event_delay_seconds",
                           "Seconds from the last live event's log time to its storage (log time has 1 s steps)", s,
                           registry=r)
        self.commit = Histogram("ghostwatch_commit_seconds", "Duration of each history transaction", s,
                                buckets=COMMIT_BUCKETS, registry=r)
        Info("ghostwatch", "The GhostWatch that exports these metrics", s, registry=r).labels(site).info(
            {"version": __version__})
        r.register(_ActiveSources(self))
        self._lock = threading.RLock()
        self._first = FirstSeen()
        self._judgements: dict[int, tuple[Verdict | None, frozenset[str], bool]] = {}
        self._codesets: Memo[frozenset[str], frozenset[str]] = Memo(_itself, 4096)  # each set of codes once
        self._active: dict[str, float] = {}
        self._policy = NotifyPolicy("attack")
        self._file_labels: Memo[str, str] = Memo(self._new_file_label, 4 * MAX_FILE_LABELS)  # by path
        self._file_names: set[str] = set()
        self._read_to: dict[int, tuple[Any, int]] = {}
        self._reason_labels: set[str] = set(KNOWN_REASONS)
        self._extra: list[Collector] = []
        self._server = None
        self._server_thread: threading.Thread | None = None
        self._zero()

    def _zero(self) -> None:
        """Create the series alerts and rates need from 0, before their first increment."""
        site = self.site
        for v in Verdict:
            for k in Kind:
                self.events.labels(site, str(v), str(k))
        for code in KNOWN_REASONS:
            self.reasons.labels(site, code)
        for o in RANG:
            self.rang.labels(site, str(o))
        for urgent in ("false", "true"):
            self.notifications.labels(site, urgent)
        self.state.labels(site).state("starting")
        self.files.labels(site)
        self.problems.labels(site)
        self.last_event.labels(site)
        self.commit.labels(site)

    # -- subscribers (the monitor's threads) ----------------------------------------------------------------
    def on_batch(self, events: Iterable[Event], ids: Iterable[int] = (), new: Iterable[bool] | None = None) -> None:
        """Stored events with their history ids, and which were stored for the first time (`new`; without it, an
        id seen before is an update). An event counts once in `events` (under its first verdict); an update that
        changes its verdict counts in `verdict_changes`, and one that adds a reason or makes it ring counts those."""
        site, now, mono = self.site, self.clock(), self.monotonic()
        events, ids = list(events), list(ids)
        flags = list(new) if new is not None else []
        if len(flags) != len(events):
            flags = self._first.split(ids, len(events))
        fresh = [(ids[i] if i < len(ids) else 0, e) for i, e in enumerate(events) if flags[i]]
        with self._lock:
            sent = self._notify(fresh, mono)
            for i, event in enumerate(events):
                eid = ids[i] if i < len(ids) else 0
                if flags[i]:
                    self.events.labels(site, str(event.verdict), str(event.record.kind)).inc()
                self._judged(eid, event, flags[i], mono)
        self._after_batch(fresh, sent, now)

    def _judged(self, eid: int, event: Event, fresh: bool, mono: float) -> None:
        """Count what this version of the event adds to what was counted for it (lock held)."""
        site, r = self.site, event.record
        seen = self._judgements.pop(eid, None) if eid else None
        if seen is None:
            seen = (event.verdict if fresh else None, frozenset(), False)
        verdict, codes, rang = seen
        if verdict is not None and verdict is not event.verdict:
            self.changes.labels(site, str(verdict), str(event.verdict)).inc()
            if event.verdict in (Verdict.GHOST, Verdict.ATTACK) and r.source_ip:
                self._remember(r.source_ip, mono)
        new_codes = {x.code for x in event.reasons} - codes
        for code in new_codes:
            self.reasons.labels(site, self._reason(code)).inc()
        if not rang and event.verdict is Verdict.GHOST and r.outcome in RANG:
            self.rang.labels(site, str(r.outcome)).inc()
            rang = True
        if eid:
            both = codes | new_codes
            self._judgements[eid] = (event.verdict, self._codesets[both], rang)
            if len(self._judgements) > MAX_REMEMBERED:
                del self._judgements[next(iter(self._judgements))]

    def _after_batch(self, fresh: list[tuple[int, Event]], sent: list[bool], now: float) -> None:
        site = self.site
        for urgent in sent:
            self.notifications.labels(site, "true" if urgent else "false").inc()
        if fresh:
            self.last_event.labels(site).set(now)
            live = [e.record.epoch for _, e in fresh if e.record.epoch is not None]
            if live:
                local_now = now + (time.localtime(now).tm_gmtoff or 0)  # log times are local, read as UTC
                delay = local_now - max(live)
                if 0 <= delay < 300:  # older lines are an import or a backlog, not a delay
                    self.delay.labels(site).set(delay)

    def _notify(self, fresh: list[tuple[int, Event]], mono: float) -> list[bool]:
        out = []
        for eid, event in fresh:
            r = event.record
            if event.verdict in (Verdict.GHOST, Verdict.ATTACK) and r.source_ip:
                self._remember(r.source_ip, mono)
            notice = Notice(eid, event.verdict, str(r.kind), r.source_ip, r.caller_id, r.extension, event.reasons)
            out.extend(n.urgent for n in self._policy.offer(notice, mono))
        out.extend(n.urgent for n in self._policy.flush(mono))
        return out

    def _remember(self, ip: str, mono: float) -> None:
        active = self._active
        active.pop(ip, None)
        active[ip] = mono  # insertion order is recency order
        if len(active) > MAX_ACTIVE_SOURCES:
            for key in list(active)[: MAX_ACTIVE_SOURCES // 2]:
                del active[key]

    def active_sources(self) -> int:
        with self._lock:
            horizon = self.monotonic() - ACTIVE_WINDOW_SECONDS
            active = self._active
            for ip in list(active):
                if active[ip] >= horizon:
                    break
                del active[ip]
            return len(active)

    def on_status(self, status: Any) -> None:
        site = self.site
        self.state.labels(site).state(monitor_state(status))
        if status.observer in ("polling", "inotify") or status.state != "starting":
            self.mode.labels(site).state("polling" if status.observer == "polling" else "native")
        self.files.labels(site).set(len(status.files))
        self.problems.labels(site).set(len(status.problems))

    def on_lines(self, ff: Any, chunk: Any, result: Any) -> None:
        """A followed file's parser read `chunk` (monitor hook): count its lines once, even when the monitor
        parses a held-back chunk again, and restart counting when the file is read anew (new parser)."""
        parser = ff.parser
        if parser is None:
            return
        end = chunk.line + result.lines
        with self._lock:
            _, done = self._read_to.get(id(parser), (parser, 0))
            if chunk.line - 1 >= done:            # a fresh chunk
                lines, skipped = result.lines, result.unrecognised
            else:                                 # parsed again after the merge held it back
                lines, skipped = max(0, end - 1 - done), 0
            if end - 1 > done:
                self._read_to.pop(id(parser), None)
                self._read_to[id(parser)] = (parser, end - 1)  # the parser is kept: its id is not reused
                if len(self._read_to) > 4 * MAX_FILE_LABELS:
                    del self._read_to[next(iter(self._read_to))]
            name = self._file_labels[str(Path(ff.path))]
        fmt = str(parser.format)
        if lines:
            self.lines.labels(self.site, name, fmt).inc(lines)
        if skipped:
            self.skipped.labels(self.site, name, fmt).inc(skipped)

    def _new_file_label(self, path: str) -> str:
        """The `file` label of a log path: its logical name, or "other" once MAX_FILE_LABELS names are in use."""
        from ..ingest.reader import logical_name

        name = logical_name(Path(path))
        if name not in self._file_names:
            if len(self._file_names) >= MAX_FILE_LABELS:
                return "other"
            self._file_names.add(name)
        return name

    def observe_commit(self, seconds: float) -> None:
        self.commit.labels(self.site).observe(seconds)

    def _reason(self, code: str) -> str:
        if code in self._reason_labels:
            return code
        with self._lock:
            if len(self._reason_labels) < MAX_REASON_LABELS:
                self._reason_labels.add(code)
                return code
        return "other"

    def add_collector(self, collector: Collector) -> None:
        """More series at scrape time (the forwarder's counts)."""
        self.registry.register(collector)

    # -- serving --------------------------------------------------------------------------------------------
    def serve(self, host: str, port: int) -> tuple[str, int]:
        """Serve /metrics on host:port (port 0: a free one); returns the address bound."""
        self._server, self._server_thread = start_http_server(port, host, registry=self.registry)
        bound = self._server.server_address
        return str(bound[0]), int(bound[1])

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._server_thread is not None:
                self._server_thread.join(timeout=5)
            self._server = self._server_thread = None


class _ActiveSources(Collector):
    def __init__(self, metrics: WatchMetrics) -> None:
        self.metrics = metrics

    def collect(self):
        g = GaugeMetricFamily("ghostwatch_attacking_sources",
                              f"Source addresses with a ghost call or attack in the last "
                              f"{ACTIVE_WINDOW_SECONDS / 60:.0f} minutes", labels=["site"])
        g.add_metric([self.metrics.site], self.metrics.active_sources())
        yield g


class TimedHistory:
    """The history as the monitor uses it, with each commit's duration reported to `observe`."""

    def __init__(self, history: Any, observe: Callable[[float], None]) -> None:
        self._history = history
        self._observe = observe

    def commit(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._history.commit(*args, **kwargs)
        finally:
            self._observe(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._history, name)


def parse_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:9477` for IPv6; `:PORT` means every address) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"give HOST:PORT, e.g. 127.0.0.1:9477 (got {text!r})")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


def forward_collector(forwarder: Any, site: str) -> Collector:
    """The forwarder's counts as series: sent, dropped, waiting in the spool, connected."""
    from prometheus_client.core import CounterMetricFamily

    class _Forward(Collector):
        def collect(self):
            sent = CounterMetricFamily("ghostwatch_forward_sent", "Events the collector confirmed", labels=["site"])
            sent.add_metric([site], forwarder.sent)
            dropped = CounterMetricFamily("ghostwatch_forward_dropped",
                                          "Events dropped because the buffer was full", labels=["site"])
            dropped.add_metric([site], forwarder.dropped)
            waiting = GaugeMetricFamily("ghostwatch_forward_buffered_bytes",
                                        "Bytes of events waiting for the collector", labels=["site"])
            waiting.add_metric([site], forwarder.spool.pending_bytes)
            up = GaugeMetricFamily("ghostwatch_forward_connected", "1 while connected to the collector",
                                   labels=["site"])
            up.add_metric([site], 1 if forwarder.connected else 0)
            yield from (sent, dropped, waiting, up)

    return _Forward()


def _itself(value: frozenset[str]) -> frozenset[str]:
    return value
