"""Benchmark: live-follow latency (native and polling observers) and a 10,000 lines/s flood.

    python bench/live_monitor.py [--appends 1000] [--rate 50] [--flood-seconds 60] [--flood-rate 10000]

Latency: one line appended every 1/rate s; time from just before the write to the batch callback that carries
its event. Flood: a SIPVicious-style burst of failed requests from many addresses appended in 100 ms slices;
reports how far behind the monitor falls, how long after the flood it catches up, and resident memory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from ghostwatch.core.settings import DetectionSettings  # noqa: E402
from ghostwatch.core.signatures import Signatures  # noqa: E402
from ghostwatch.ingest.pipeline import POLLING_INTERVAL, Batch, Monitor  # noqa: E402
from ghostwatch.paths import resources_dir  # noqa: E402
from ghostwatch.store.history import History  # noqa: E402

SIGS = Signatures.load(resources_dir() / "signatures.toml")


def line(n: int) -> bytes:
    """Line n of a scanning run: time moves forward (a thousand lines a second), as in a real log."""
    ip = f"203.0.113.{n % 8}"  # a scanning run comes from a handful of addresses
    sec = 36000 + n // 1000
    return (f"[2026-11-26 {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}] NOTICE[1] "
            f"res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:{n % 500}@pbx.example>' failed for "
            f"'{ip}:5060' (callid: c{n}) - No matching endpoint found\n").encode()


def rss_mib() -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


class Rig:
    def __init__(self, polling: bool, track: bool = True) -> None:
        self.track = track
        self.dir = Path(tempfile.mkdtemp(prefix="gw-bench-"))
        self.log = self.dir / "messages"
        self.log.write_bytes(b"")
        self.history = History(self.dir / "history.sqlite3")
        self.received: dict[str, float] = {}
        self.count = 0
        self.cond = threading.Condition()
        self.monitor = Monitor([self.log], DetectionSettings(home_region="US"), SIGS, self.history, self.on_batch,
                               polling=polling, retention_days=0)

    def on_batch(self, batch: Batch) -> None:
        now = time.perf_counter()
        with self.cond:
            if self.track:
                for ev in batch.events:
                    self.received.setdefault(ev.record.call_id, now)
            self.count += len(batch.events)
            self.cond.notify_all()

    def __enter__(self) -> Rig:
        self.monitor.start()
        self.monitor.settle()
        return self

    def __exit__(self, *exc) -> None:
        self.monitor.stop()
        self.history.close()


def latency(polling: bool, appends: int, rate: float) -> dict:
    with Rig(polling) as rig:
        sent: dict[str, float] = {}
        period = 1.0 / rate
        start = time.perf_counter()
        with open(rig.log, "ab", buffering=0) as fh:
            for n in range(appends):
                due = start + n * period
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent[f"c{n}"] = time.perf_counter()
                fh.write(line(n))
        with rig.cond:
            rig.cond.wait_for(lambda: len(rig.received) >= appends, timeout=30)
        lat = sorted((rig.received[k] - t) * 1000 for k, t in sent.items() if k in rig.received)
    q = statistics.quantiles(lat, n=100)
    return {"observer": "polling" if polling else "native", "n": len(lat), "p50": q[49], "p95": q[94],
            "max": lat[-1]}


WRITER = """
import sys, time
sys.path.insert(0, {bench!r})
from live_monitor import line
path, seconds, rate = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
per_slice = rate // 10
n = 0
start = time.perf_counter()
with open(path, "ab", buffering=0) as fh:
    for i in range(int(seconds * 10)):
        delay = start + i * 0.1 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        fh.write(b"".join(line(k) for k in range(n, n + per_slice)))
        n += per_slice
print(n, flush=True)
"""


def flood(seconds: float, rate: int) -> dict:
    """The PBX is another process: the flood is written by a child, as a real PBX would write it."""
    import subprocess

    with Rig(False, track=False) as rig:
        code = WRITER.format(bench=str(Path(__file__).resolve().parent))
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", code, str(rig.log), str(seconds), str(rate)],
                                 stdout=subprocess.PIPE, text=True)
        behind_max = 0.0
        rss = []
        while child.poll() is None:
            time.sleep(0.5)
            elapsed = time.perf_counter() - start
            with rig.cond:
                behind_max = max(behind_max, min(rate * seconds, rate * elapsed) - rig.count)
            rss.append(rss_mib())
        n = int(child.stdout.read().strip())
        stopped = time.perf_counter()
        with rig.cond:
            lag_at_stop = (n - rig.count) / rate
            rig.cond.wait_for(lambda: rig.count >= n, timeout=300)
        caught_up = time.perf_counter() - stopped
        got = rig.count
    return {"lines": n, "seconds": stopped - start, "events": got, "max_behind_lines": int(behind_max),
            "max_behind_s": behind_max / rate, "lag_at_stop_s": lag_at_stop, "caught_up_after_s": caught_up,
            "rss_first": rss[min(4, len(rss) - 1)], "rss_last": rss[-1], "rss_max": max(rss)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--appends", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--flood-seconds", type=float, default=60.0)
    ap.add_argument("--flood-rate", type=int, default=10000)
    args = ap.parse_args()
    print("| observer | appends | p50 ms | p95 ms | max ms | target p95 |")
    print("|---|---:|---:|---:|---:|---|")
    for polling in (False, True):
        r = latency(polling, args.appends, args.rate)
        target = f"< {POLLING_INTERVAL * 1000 + 250:.0f} ms" if polling else "< 250 ms"
        print(f"| {r['observer']} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {target} |",
              flush=True)
    if args.flood_seconds > 0:
        f = flood(args.flood_seconds, args.flood_rate)
        print()
        print(f"Flood: {f['lines']:,} lines in {f['seconds']:.1f} s ({f['lines'] / f['seconds']:,.0f}/s); "
              f"{f['events']:,} events stored; furthest behind {f['max_behind_lines']:,} lines "
              f"({f['max_behind_s']:.2f} s); behind by {f['lag_at_stop_s']:.2f} s when the flood stopped, "
              f"caught up {f['caught_up_after_s']:.2f} s later; RSS {f['rss_first']:.0f} MiB after 2 s, "
              f"{f['rss_last']:.0f} MiB at the end (max {f['rss_max']:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
