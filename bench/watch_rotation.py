"""Benchmark: `ghostwatch watch` under a day-long IPv6 rotating-address attack keeps its memory flat (issue 15).

    python bench/watch_rotation.py [--lines 345600] [--samples 8]

Writes a res_pjsip `full` log (bench/data/, not committed) of one refused REGISTER every 0.25 s for 24 hours of log
time, each from a new IPv6 address (spread over 4,000 /64s of 60 /56s), with the office's phones registering in
between; then runs the monitor over it as `ghostwatch watch --from-start --once` (the live pipeline: follow, parse,
join, judge, store; the history in a temporary folder) and samples the resident memory of the process every
0.2 s. Prints the memory at each eighth of the run: flat means the last eighths are no higher than the first ones
once the caches are warm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def ensure_log(lines: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"watch-rotation-{lines}.log"
    if path.exists():
        return path
    t0 = datetime(2026, 11, 24, 0, 0, 0)
    with open(path, "w") as fh:
        for n in range(lines):
            at = t0 + timedelta(milliseconds=250 * n)
            net56 = n % 60
            net64 = (n // 60) % 67
            ip = f"2001:db8:{0x4a00 + net56:x}:{net64:x}::{n % 65535 + 1:x}"
            fh.write(f"[{at:%Y-%m-%d %H:%M:%S}] NOTICE[2290] res_pjsip/pjsip_distributor.c: Request 'REGISTER' "
                     f"from '<sip:{100 + n % 900}@pbx.example.com>' failed for '[{ip}]:5060' (callid: r{n}) - "
                     f"Failed to authenticate\n")
            if n % 100 == 0:
                fh.write(f"[{at:%Y-%m-%d %H:%M:%S}] VERBOSE[2211] res_pjsip_registrar.c:     -- Added contact "
                         f"'sip:20{n % 6 + 1}@192.168.1.2{n % 6 + 1}:5060;transport=UDP' to AOR '20{n % 6 + 1}' "
                         f"with expiration of 3600 seconds\n")
    return path


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=345_600)  # 24 hours at four a second
    ap.add_argument("--samples", type=int, default=8)
    args = ap.parse_args()
    log = ensure_log(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / "logs"
        logs.mkdir()
        os.link(log, logs / "full") if os.stat(log).st_dev == os.stat(tmp).st_dev else \
            (logs / "full").write_bytes(log.read_bytes())
        cmd = [sys.executable, "-m", "ghostwatch", "watch", "--from-start", "--once", "--retention-days", "0",
               "--data-dir", str(Path(tmp) / "data"), str(logs)]
        started = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            samples.append((time.monotonic() - started, rss_mib(proc.pid)))
            time.sleep(0.2)
        wall = time.monotonic() - started
    samples = [s for s in samples if s[1] > 0]
    if proc.returncode != 0 or not samples:
        print(f"watch failed (exit {proc.returncode})")
        return 1
    print(f"{args.lines:,} refused logins from as many IPv6 addresses over 24 h of log time; `watch --from-start "
          f"--once` took {wall:.1f} s")
    print("| part of the run | RSS MiB (max in that part) |\n|---|---:|")
    per = max(1, len(samples) // args.samples)
    parts = [samples[i:i + per] for i in range(0, len(samples), per)][: args.samples]
    for i, part in enumerate(parts, 1):
        print(f"| {i}/{len(parts)} | {max(r for _, r in part):.0f} |")
    first = max(r for _, r in parts[1]) if len(parts) > 1 else parts[0][0][1]
    last = max(r for _, r in parts[-1])
    print(f"- growth from the second eighth to the last: {last / first:.2f}x "
          f"({'flat' if last <= first * 1.15 else 'GROWING'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
