"""Benchmark: importing the 1,000,000-line log into an empty history vs `ghostwatch scan` on the same file.

    python bench/import_vs_scan.py [--lines 1000000]

Both run as subprocesses under /usr/bin/time (wall time, peak RSS) in the same run; target: import <= 2x scan.
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
from scan_throughput import ensure_log, measure  # noqa: E402

GW = [sys.executable, "-m", "ghostwatch"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    log = ensure_log(args.lines)
    work = Path(tempfile.mkdtemp(prefix="gw-import-"))
    try:
        logs = work / "logs"
        logs.mkdir()
        shutil.copy(log, logs / "full")
        scan_s, scan_kib = measure([*GW, "scan", "--json", str(logs)])
        data = work / "data"
        imp_s, imp_kib = measure([*GW, "watch", str(logs), "--from-start", "--once", "--data-dir", str(data),
                                  "--retention-days", "0"])
        db = data / "history.sqlite3"
        events = sqlite3.connect(db).execute("SELECT COUNT(*) FROM events").fetchone()[0]
        size = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| run | lines | wall s | lines/s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|")
    print(f"| ghostwatch scan --json | {args.lines:,} | {scan_s:.2f} | {args.lines / scan_s:,.0f} | "
          f"{scan_kib / 1024:.0f} |")
    print(f"| ghostwatch watch --from-start --once (import) | {args.lines:,} | {imp_s:.2f} | "
          f"{args.lines / imp_s:,.0f} | {imp_kib / 1024:.0f} |")
    print(f"\nImport / scan: {imp_s / scan_s:.2f}x (target <= 2x); {events:,} events stored; "
          f"database {size:.0f} MiB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
