"""Sizing a fleet (docs/fleet.md): series and bytes one site exports, what a real Prometheus spends per series, and
the syslog bytes per forwarded event.

    .venv/bin/python bench/fleet_sizing.py --sites 500 --seconds 90

A live `ghostwatch watch --metrics --forward` imports the demo office's night of attacks (a small TCP collector
here counts the forwarded bytes); then a real Prometheus (Debian's `prometheus`) scrapes that one endpoint as
`--sites` different sites (relabelled `site`, one target each), and its own heap and TSDB head statistics before
and after give the memory per series. Needs `prometheus` on the PATH; runs on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "app"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 - 127.0.0.1 only
        return r.read()


def query(port: int, expr: str) -> float:
    doc = json.loads(get(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
    result = doc["data"]["result"]
    return float(result[0]["value"][1]) if result else float("nan")


class Collector(threading.Thread):
    """A syslog TCP listener that only counts octet-counted messages and their bytes."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bytes = 0
        self.messages = 0

    def run(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            buf = b""
            while chunk := conn.recv(1 << 20):
                buf += chunk
                at = 0
                while True:
                    sp = buf.find(b" ", at)
                    if sp < 0 or len(buf) < sp + 1 + int(buf[at:sp]):
                        break
                    n = int(buf[at:sp])
                    self.messages += 1
                    self.bytes += n
                    at = sp + 1 + n
                buf = buf[at:]


def forward_throughput(n: int) -> None:
    """How fast one forwarder moves events to a TCP collector (submit in batches of 500, as a flood's commits)."""
    sys.path.insert(0, str(ROOT / "app"))
    from ghostwatch.core.events import Event, Kind, Reason, Record, Verdict
    from ghostwatch.fleet.forward import QUEUE_LIMIT, Forwarder, Target

    collector = Collector()
    collector.start()
    event = Event(Record("2026-11-26T10:00:00", "/var/log/asterisk/messages", 1, "asterisk", Kind.AUTH_FAILURE,
                         "203.0.113.7", 5060, extension="100", user_agent="friendly-scanner"), Verdict.ATTACK,
                  (Reason("brute_force", "Password guessing: 6 failed logins in 10 s."),))
    with tempfile.TemporaryDirectory() as tmp:
        f = Forwarder(Target("tcp", "127.0.0.1", collector.port), "office-1", Path(tmp), warn=lambda m: None)
        start = time.perf_counter()
        for i in range(0, n, 500):
            f.submit((event, j + 1, False) for j in range(i, min(n, i + 500)))
            while f._queued > QUEUE_LIMIT // 2:  # a monitor stores at most ~15,000 events/s: no faster than that
                time.sleep(0.001)
        submitted = time.perf_counter() - start
        while f.sent < n and time.perf_counter() - start < 120:
            time.sleep(0.01)
        took = time.perf_counter() - start
        f.close()
    print(f"forwarder: {n} events submitted in {submitted:.2f} s, {f.sent} confirmed at the collector after "
          f"{took:.2f} s ({f.sent / took:,.0f} events/s), {f.dropped} dropped")


def prometheus_config(path: Path, own: int, target: str, sites: int, interval: int) -> None:
    scrape = [{"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{own}"]}]}]
    if sites:
        scrape.append({"job_name": "ghostwatch", "static_configs": [
            {"targets": [target], "labels": {"fleet_site": f"office-{i:05d}"}} for i in range(sites)],
            "metric_relabel_configs": [
                {"source_labels": ["fleet_site"], "target_label": "site"},
                {"action": "labeldrop", "regex": "fleet_site"}]})
    path.write_text(json.dumps({"global": {"scrape_interval": f"{interval}s"}, "scrape_configs": scrape}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=90.0, help="how long Prometheus scrapes the sites")
    ap.add_argument("--interval", type=int, default=5, help="scrape interval, seconds")
    ap.add_argument("--forward-events", type=int, default=100_000, help="events for the forwarder's throughput")
    a = ap.parse_args()
    forward_throughput(a.forward_events)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        subprocess.run([sys.executable, "-m", "ghostwatch.demo.write", str(t / "logs")], env=ENV, check=True,
                       capture_output=True)
        collector = Collector()
        collector.start()
        watch = subprocess.Popen([sys.executable, "-m", "ghostwatch", "watch", str(t / "logs"), "--from-start",
                                  "--data-dir", str(t / "data"), "--site", "office-1", "--metrics", "127.0.0.1:0",
                                  "--forward", f"tcp://127.0.0.1:{collector.port}"], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        prom = None
        try:
            target = re.search(r"http://([0-9.:]+)/metrics", watch.stderr.readline()).group(1)
            time.sleep(6)  # the import settles and the forwarder confirms
            body = get(f"http://{target}/metrics")
            series = [ln for ln in body.decode().splitlines() if ln and not ln.startswith("#")]
            flagged = sum(float(ln.rsplit(" ", 1)[1]) for ln in series
                          if ln.startswith("ghostwatch_events_total") and 'verdict="normal"' not in ln)
            print(f"one site: {len(series)} series, /metrics {len(body)} bytes ({len(body) / len(series):.0f} B per "
                  f"series)")
            print(f"forwarded: {collector.messages} of {flagged:.0f} flagged events, {collector.bytes} bytes "
                  f"({collector.bytes / max(1, collector.messages):.0f} B per event, framing excluded)")
            own = free_port()
            conf = t / "prometheus.yml"
            prometheus_config(conf, own, target, 0, a.interval)
            prom = subprocess.Popen(["prometheus", f"--config.file={conf}", f"--storage.tsdb.path={t / 'tsdb'}",
                                     f"--web.listen-address=127.0.0.1:{own}"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(4 * a.interval)
            base_heap = query(own, 'go_memstats_heap_inuse_bytes{job="prometheus"}')
            base_series = query(own, "prometheus_tsdb_head_series")
            prometheus_config(conf, own, target, a.sites, a.interval)
            prom.send_signal(signal.SIGHUP)
            time.sleep(a.seconds)
            heap = query(own, 'go_memstats_heap_inuse_bytes{job="prometheus"}')
            rss = query(own, 'process_resident_memory_bytes{job="prometheus"}')
            head = query(own, "prometheus_tsdb_head_series")
            stats = json.loads(get(f"http://127.0.0.1:{own}/api/v1/status/tsdb"))["data"]
            per_site = query(own, 'count(ghostwatch_info) > 0 and on() vector(1)')
            samples = query(own, 'sum(scrape_samples_scraped{job="ghostwatch"})')
            print(f"prometheus: {a.sites} sites ({per_site:.0f} with ghostwatch_info), {samples:.0f} samples per "
                  f"scrape round every {a.interval} s, head {base_series:.0f} -> {head:.0f} series "
                  f"(tsdb status: {stats['headStats']['numSeries']}), heap in use {base_heap / 2**20:.0f} -> "
                  f"{heap / 2**20:.0f} MiB, resident {rss / 2**20:.0f} MiB after {a.seconds:.0f} s")
            print(f"heap per added series: {(heap - base_heap) / max(1.0, head - base_series):.0f} bytes")
            top = stats.get("seriesCountByMetricName", [])[:5]
            print("most series by metric:", ", ".join(f"{x['name']} {x['value']}" for x in top))
        finally:
            if prom is not None:
                prom.terminate()
                prom.wait(timeout=30)
            watch.terminate()
            watch.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
