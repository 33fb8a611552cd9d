"""What `watch --site/--metrics/--forward` adds to the monitor: subscribers on its callbacks, nothing more."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.events import Event, Verdict
from . import FirstSeen

log = logging.getLogger(__name__)


class FleetHooks:
    """The fleet exports of one watch: metrics and/or forwarding, fed by the monitor's callbacks."""

    def __init__(self, site: str, metrics: Any = None, forwarder: Any = None, forward_all: bool = False) -> None:
        self.site = site
        self.metrics = metrics
        self.forwarder = forwarder
        self.forward_all = forward_all
        self._first = FirstSeen()

    def on_batch(self, batch: Any) -> None:
        try:
            self._on_batch(batch)
        except Exception:  # noqa: BLE001 - an export's bug must never stop the monitor that calls this
            log.exception("fleet exports: a batch was not counted or forwarded")

    def _on_batch(self, batch: Any) -> None:
        events: tuple[Event, ...] = batch.events
        ids = tuple(getattr(batch, "ids", ()) or ())
        new = tuple(getattr(batch, "new", ()) or ())
        if len(new) != len(events):  # a monitor that does not say: tell first sightings from updates by id
            new = tuple(self._first.split(ids, len(events)))
        if self.metrics is not None:
            self.metrics.on_batch(events, ids, new)
        if self.forwarder is not None:
            self.forwarder.submit(
                (e, ids[i] if i < len(ids) else 0, not new[i]) for i, e in enumerate(events)
                if self.forward_all or e.verdict is not Verdict.NORMAL)

    def on_status(self, status: Any) -> None:
        if self.metrics is not None:
            try:
                self.metrics.on_status(status)
            except Exception:  # noqa: BLE001 - as above
                log.exception("fleet exports: a status was not exported")

    def on_lines(self, ff: Any, chunk: Any, result: Any) -> None:
        if self.metrics is not None:
            try:
                self.metrics.on_lines(ff, chunk, result)
            except Exception:  # noqa: BLE001 - as above
                log.exception("fleet exports: lines were not counted")

    def history(self, history: Any) -> Any:
        """The history as the monitor should use it (commits timed when metrics are on)."""
        if self.metrics is None:
            return history
        from .metrics import TimedHistory

        return TimedHistory(history, self.metrics.observe_commit)

    def close(self) -> None:
        if self.forwarder is not None:
            self.forwarder.close()
        if self.metrics is not None:
            self.metrics.close()


def add_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("many offices (off unless asked for)")
    g.add_argument("--site", metavar="NAME", help="this office's name in metrics and forwarded events "
                                                  "(default: the host name)")
    g.add_argument("--metrics", metavar="HOST:PORT",
                   help="serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9477)")
    g.add_argument("--forward", metavar="URL", help="send events to a syslog collector: syslog://HOST:PORT (UDP), "
                                                    "tcp://HOST:PORT or tcp+tls://HOST:PORT")
    g.add_argument("--forward-ca", metavar="FILE", help="with tcp+tls://: trust this CA instead of the system's")
    g.add_argument("--forward-buffer-mb", type=int, default=64, metavar="MB",
                   help="disk buffer for an unreachable collector (default 64 MB; beyond it events are dropped "
                        "and counted)")


def default_site() -> str:
    import re
    import socket

    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname().split(".")[0])[:64].strip("-._")
    return name or "office"


def start(args: argparse.Namespace, data_dir: Path, warn: Callable[[str], None],
          usage_error: Callable[[str], Exception]) -> FleetHooks | None:
    """The hooks `watch` asked for, started (metrics served, forwarder connecting); None when none was."""
    if not (args.metrics or args.forward or args.site):
        return None
    from . import check_site

    try:
        site = check_site(args.site) if args.site else default_site()
    except ValueError as exc:
        raise usage_error(f"ghostwatch watch: --site: {exc}") from exc
    metrics = forwarder = None
    if args.metrics:
        from .metrics import WatchMetrics, parse_address

        try:
            host, port = parse_address(args.metrics)
            metrics = WatchMetrics(site)
            bound = metrics.serve(host, port)
        except (ValueError, OSError) as exc:
            raise usage_error(f"ghostwatch watch: --metrics: {exc}") from exc
        warn(f"metrics for site {site} at http://{bound[0]}:{bound[1]}/metrics")
    if args.forward:
        from .forward import Forwarder, parse_target

        if args.forward_buffer_mb < 1:
            raise usage_error("ghostwatch watch: --forward-buffer-mb: give at least 1")
        try:
            target = parse_target(args.forward)
            forwarder = Forwarder(target, site, data_dir / "forward-spool", max_bytes=args.forward_buffer_mb << 20,
                                  ca_file=args.forward_ca, warn=warn)
        except (ValueError, OSError) as exc:
            if metrics is not None:
                metrics.close()
            raise usage_error(f"ghostwatch watch: --forward: {exc}") from exc
        if metrics is not None:
            from .metrics import forward_collector

            metrics.add_collector(forward_collector(forwarder, site))
        warn(f"forwarding events of site {site} to {target}")
    return FleetHooks(site, metrics, forwarder, forward_all=bool(args.all))
