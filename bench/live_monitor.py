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


def _append_paced(log: Path, appends: int, rate: float, sent: dict[str, float]) -> None:
    period = 1.0 / rate
    start = time.perf_counter()
    with open(log, "ab", buffering=0) as fh:
        for n in range(appends):
            due = start + n * period
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent[f"c{n}"] = time.perf_counter()
            fh.write(line(n))


def _summary(where: str, polling: bool, sent: dict[str, float], received: dict[str, float]) -> dict:
    lat = sorted((received[k] - t) * 1000 for k, t in sent.items() if k in received)
    q = statistics.quantiles(lat, n=100)
    return {"where": where, "observer": "polling" if polling else "native", "n": len(lat), "p50": q[49],
            "p95": q[94], "max": lat[-1]}


def stages(polling: bool, appends: int, rate: float) -> dict:
    """Where the time goes inside the monitor, per line: the stages' own methods are wrapped to take the time
    (observer event, start of the cycle that read the line, read done, parsed + classified and queued, committed,
    batch callback); each line's stage is the first such moment that carries it."""
    import re

    from ghostwatch.ingest import follow, pipeline
    from ghostwatch.store import history

    dispatch: list[float] = []
    polls: list[tuple[float, float, set[str]]] = []
    queued: dict[str, float] = {}
    committed: dict[str, float] = {}
    ids = re.compile(rb"callid: (c[0-9]+)")
    orig = (pipeline._Handler.dispatch, follow.Follower.poll, pipeline.Monitor._enqueue, history.History.commit)

    def dispatch_(self, event):
        dispatch.append(time.perf_counter())
        return orig[0](self, event)

    def poll_(self, *a, **k):
        t = time.perf_counter()
        chunks = orig[1](self, *a, **k)
        got = {m.decode() for c in chunks for m in ids.findall(c.data)}
        polls.append((t, time.perf_counter(), got))
        return chunks

    def enqueue_(self, events, positions):
        t = time.perf_counter()
        for row in events:  # (event, epoch, ...)
            queued.setdefault(row[0].record.call_id, t)
        return orig[2](self, events, positions)

    def commit_(self, events, *a, **k):
        out = orig[3](self, events, *a, **k)
        t = time.perf_counter()
        for row in events:
            committed.setdefault(row[0].record.call_id, t)
        return out

    pipeline._Handler.dispatch, follow.Follower.poll = dispatch_, poll_
    pipeline.Monitor._enqueue, history.History.commit = enqueue_, commit_
    try:
        with Rig(polling) as rig:
            sent: dict[str, float] = {}
            _append_paced(rig.log, appends, rate, sent)
            with rig.cond:
                rig.cond.wait_for(lambda: len(rig.received) >= appends, timeout=30)
            received = dict(rig.received)
    finally:
        pipeline._Handler.dispatch, follow.Follower.poll, pipeline.Monitor._enqueue, history.History.commit = orig
    import bisect

    parts: dict[str, list[float]] = {k: [] for k in
                                     ("observer", "wait to read", "read", "parse+classify", "commit", "callback")}
    for cid, t in sent.items():
        read = next(((a, b) for a, b, got in polls if cid in got), None)
        if read is None or cid not in received:
            continue
        i = bisect.bisect_left(dispatch, t)
        seen = dispatch[i] if i < len(dispatch) and dispatch[i] <= read[0] else read[0]  # polling: no event first
        marks = [t, seen, read[0], read[1], queued[cid], committed[cid], received[cid]]
        for name, a, b in zip(parts, marks, marks[1:], strict=False):
            parts[name].append((b - a) * 1000)
    return {k: (statistics.median(v), statistics.quantiles(v, n=20)[18]) for k, v in parts.items() if len(v) > 1}


def latency_watch(polling: bool, appends: int, rate: float) -> dict:
    """The same appends, timed to the event's JSON line on `ghostwatch watch --json` (a separate process)."""
    import json
    import subprocess

    work = Path(tempfile.mkdtemp(prefix="gw-bench-watch-"))
    log = work / "messages"
    log.write_bytes(b"")
    cmd = [sys.executable, "-m", "ghostwatch", "watch", "--json", "--all", "--retention-days", "0", "--data-dir",
           str(work / "data"), *(["--polling"] if polling else []), str(log)]
    env = dict(__import__("os").environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "app"))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    received: dict[str, float] = {}
    live = threading.Event()

    def read_out() -> None:
        for raw in proc.stdout:
            now = time.perf_counter()
            received.setdefault(json.loads(raw)["call_id"], now)

    def read_err() -> None:
        for raw in proc.stderr:
            if b"Watching" in raw:
                live.set()

    threads = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for t in threads:
        t.start()
    live.wait(30)
    sent: dict[str, float] = {}
    _append_paced(log, appends, rate, sent)
    deadline = time.monotonic() + 30
    while len(received) < appends and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.terminate()
    proc.wait(30)
    return _summary("watch --json", polling, sent, received)


def latency(polling: bool, appends: int, rate: float) -> dict:
    with Rig(polling) as rig:
        sent: dict[str, float] = {}
        _append_paced(rig.log, appends, rate, sent)
        with rig.cond:
            rig.cond.wait_for(lambda: len(rig.received) >= appends, timeout=30)
        return _summary("Monitor callback", polling, sent, dict(rig.received))


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
    ap.add_argument("--stages", action="store_true", help="first: where the time goes, stage by stage")
    args = ap.parse_args()
    if args.stages:
        print("| observer | " + " | ".join(("observer", "wait to read", "read", "parse+classify", "commit",
                                              "callback")) + " |  (median / p95 ms)")
        print("|---" * 7 + "|")
        for polling in (False, True):
            st = stages(polling, args.appends, args.rate)
            print(f"| {'polling' if polling else 'native'} | "
                  + " | ".join(f"{m:.1f} / {p:.1f}" for m, p in st.values()) + " |", flush=True)
        print()
    print("| observer | reaches | appends | p50 ms | p95 ms | max ms | target |")
    print("|---|---|---:|---:|---:|---:|---|")
    for polling in (False, True) if args.appends > 1 else ():
        for measure in (latency, latency_watch):
            r = measure(polling, args.appends, args.rate)
            target = f"p50 < {POLLING_INTERVAL * 1000 + 250:.0f} ms" if polling else "p95 < 250 ms"
            print(f"| {r['observer']} | {r['where']} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} "
                  f"| {target} |", flush=True)
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
