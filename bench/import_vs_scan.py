"""Benchmark: importing the 1,000,000-line log into an empty history vs `ghostwatch scan` on the same file.

    python bench/import_vs_scan.py [--lines 1000000]

Both run as subprocesses in the same run (median wall time of --runs runs, each import into a fresh, empty
history; peak memory of the process tree from one more, sampled run); target: import <= 2x scan.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scan_throughput import ensure_log, measure, median_run  # noqa: E402

GW = [sys.executable, "-m", "ghostwatch"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    log = ensure_log(args.lines)
    work = Path(tempfile.mkdtemp(prefix="gw-import-"))
    try:
        logs = work / "logs"
        logs.mkdir()
        shutil.copy(log, logs / "full")
        scan_s, scan_kib, _ = median_run([*GW, "scan", "--json", str(logs)], work / "scan.json", args.runs)
        one_s, one_kib, _ = median_run([*GW, "scan", "--json", str(logs)], work / "scan1.json", args.runs,
                                       {"GHOSTWATCH_SCAN_WORKERS": "0"})
        walls = []
        for n in range(args.runs + 1):
            data = work / f"data{n}"
            wall, rss, _ = measure([*GW, "watch", str(logs), "--from-start", "--once", "--data-dir", str(data),
                                    "--retention-days", "0"], sample=n == args.runs)
            if n < args.runs:
                walls.append(wall)
                shutil.rmtree(data)
        imp_s, imp_kib = sorted(walls)[len(walls) // 2], rss
        db = data / "history.sqlite3"
        events = sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
        size = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| run | lines | wall s | lines/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| ghostwatch scan --json | {args.lines:,} | {scan_s:.2f} | {args.lines / scan_s:,.0f} | "
          f"{scan_kib / 1024:.0f} |")
    print(f"| ghostwatch scan --json, parsing in one process | {args.lines:,} | {one_s:.2f} | "
          f"{args.lines / one_s:,.0f} | {one_kib / 1024:.0f} |")
    print(f"| ghostwatch watch --from-start --once (import) | {args.lines:,} | {imp_s:.2f} | "
          f"{args.lines / imp_s:,.0f} | {imp_kib / 1024:.0f} |")
    print(f"\nImport / scan: {imp_s / scan_s:.2f}x (target <= 2x); import / one-process scan: {imp_s / one_s:.2f}x; "
          f"{events:,} events stored; "
          f"database {size:.0f} MiB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
