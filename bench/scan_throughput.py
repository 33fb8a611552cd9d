"""Benchmark: `ghostwatch scan --json` against fail2ban-regex (asterisk filter) and a bare Python read loop.

    python bench/scan_throughput.py [--lines 1000000] [--small 100000]

Generates the logs once into bench/data/ (deterministic), runs each tool as a subprocess under /usr/bin/time for
wall time and peak RSS, checks GhostWatch's findings against the ground truth, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
F2B_FILTER = Path("/etc/fail2ban/filter.d/asterisk.conf")


def measure(cmd: list[str], stdout: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command."""
    out = open(stdout, "w") if stdout else subprocess.DEVNULL
    with out if stdout else open("/dev/null", "w") as sink:
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=sink, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed: {proc.stderr[-2000:]}")
    return wall, int(proc.stderr.strip().splitlines()[-1])


def ensure_log(lines: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"full-{lines}.log"
    if not path.exists() or not Path(str(path) + ".truth").exists():
        subprocess.run([sys.executable, str(HERE / "gen_full_log.py"), str(path), str(lines)], check=True)
    return path


def check_truth(log: Path, result: Path) -> dict:
    truth = {}
    for row in Path(str(log) + ".truth").read_text().split("\n"):
        if row:
            n, ip = row.split()
            truth[int(n)] = ip
    doc = json.loads(result.read_text())
    flagged = {(e["line"], e["source_ip"]) for e in doc["events"] if e["verdict"] != "normal"}
    found = sum(1 for n, ip in truth.items() if (n, ip) in flagged)
    false_alarms = sum(1 for line, _ip in flagged if line not in truth)
    return {"attack_lines": len(truth), "found_with_ip": found, "benign_flagged": false_alarms,
            "events": doc["summary"]["events"], "verdicts": doc["summary"]["verdicts"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    args = ap.parse_args()
    gw = [str(Path(sys.executable).with_name("ghostwatch")), "scan", "--json"]
    big, small = ensure_log(args.lines), ensure_log(args.small)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    rows = []
    gw_big = measure([*gw, str(big)], out / "scan-big.json")
    gw_small = measure([*gw, str(small)], out / "scan-small.json")
    loop = measure([sys.executable, "-c", f"n=0\nfor _ in open({str(big)!r}, 'rb'): n += 1\nprint(n)"])
    rows.append(("ghostwatch scan --json", args.lines, *gw_big))
    rows.append(("ghostwatch scan --json", args.small, *gw_small))
    rows.append(("bare Python read loop", args.lines, *loop))
    if shutil.which("fail2ban-regex") and F2B_FILTER.exists():
        f2b = measure(["fail2ban-regex", str(big), str(F2B_FILTER)])
        rows.append(("fail2ban-regex (asterisk filter)", args.lines, *f2b))
    else:
        f2b = None
    truth = check_truth(big, out / "scan-big.json")
    print("| tool | lines | wall s | lines/s | peak RSS MiB |\n|---|---:|---:|---:|---:|")
    for name, n, wall, rss in rows:
        print(f"| {name} | {n:,} | {wall:.2f} | {n / wall:,.0f} | {rss / 1024:.0f} |")
    print()
    if f2b:
        print(f"- speed vs fail2ban-regex: {f2b[0] / gw_big[0]:.1f}x; peak memory ratio (ghostwatch / fail2ban): "
              f"{gw_big[1] / f2b[1]:.2f}")
    print(f"- memory growth {args.small:,} -> {args.lines:,} lines: {gw_big[1] / gw_small[1]:.2f}x")
    print(f"- ground truth: {truth['found_with_ip']:,} of {truth['attack_lines']:,} attack lines flagged with their "
          f"source IP; {truth['benign_flagged']} benign lines flagged; verdicts {truth['verdicts']}")
    (out / "results.json").write_text(json.dumps({"rows": rows, "truth": truth}, indent=2))
    ok = truth["found_with_ip"] == truth["attack_lines"] and truth["benign_flagged"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
