"""Benchmark: `ghostwatch scan --json` against fail2ban-regex (asterisk filter) and a bare Python read loop.

    python bench/scan_throughput.py [--lines 1000000] [--small 100000] [--runs 3]

Generates the logs once into bench/data/ (deterministic), runs each tool as a subprocess, sampling the memory of
the process and its children every 20 ms in a separate run (summed RSS and PSS), checks GhostWatch's findings
against the ground truth, and prints a Markdown table. GhostWatch runs `--runs` times (median reported), as it
ships (a parsing child on two or more cores, see ingest/parse_worker.py) and with everything in one process.
Bytecode caching is left on (PYTHONDONTWRITEBYTECODE removed from the environment), as in any installed copy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
F2B_FILTER = Path("/etc/fail2ban/filter.d/asterisk.conf")


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants (a scan may fork a parsing child)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return found


def _memory(pids: list[int]) -> tuple[int, int]:
    """Summed RSS and PSS (KiB) of `pids`; PSS counts pages a forked child shares with its parent once."""
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def measure(cmd: list[str], stdout: Path | None = None, env: dict | None = None,
            sample: bool = False) -> tuple[float, int, int]:
    """Wall seconds, and with `sample` the peak summed RSS and PSS (KiB) of the command and its children.

    Sampling costs CPU, so times come from unsampled runs and memory from a separate sampled one.
    """
    with open(stdout or os.devnull, "w") as sink:
        t0 = time.perf_counter()
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, text=True, env={**environ, **(env or {})})
        peak_rss = peak_pss = 0
        while sample and proc.poll() is None:
            rss, pss = _memory(_tree(proc.pid))
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.02)
        err = proc.stderr.read()
        proc.wait()
        wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed: {err[-2000:]}")
    return wall, peak_rss, peak_pss


def median_run(cmd: list[str], stdout: Path, runs: int, env: dict | None = None) -> tuple[float, int, int]:
    """The median wall time of `runs` (this machine's timings wander by 20%), and memory from one sampled run."""
    walls = sorted(measure(cmd, stdout, env)[0] for _ in range(runs))
    _, rss, pss = measure(cmd, stdout, env, sample=True)
    return walls[len(walls) // 2], rss, pss


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
    ap.add_argument("--runs", type=int, default=3, help="runs of each ghostwatch scan; the median is reported")
    args = ap.parse_args()
    gw = [str(Path(sys.executable).with_name("ghostwatch")), "scan", "--json"]
    big, small = ensure_log(args.lines), ensure_log(args.small)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    rows = []
    gw_big = median_run([*gw, str(big)], out / "scan-big.json", args.runs)
    gw_one = median_run([*gw, str(big)], out / "scan-big-1core.json", args.runs, {"GHOSTWATCH_SCAN_WORKERS": "0"})
    # The small file is below the size that gets a parsing child: force one, to compare like with like.
    gw_small = median_run([*gw, str(small)], out / "scan-small.json", args.runs, {"GHOSTWATCH_SCAN_WORKERS": "always"})
    loop = median_run([sys.executable, "-c", f"n=0\nfor _ in open({str(big)!r}, 'rb'): n += 1\nprint(n)"],
                      out / "loop.txt", 1)
    rows.append(("ghostwatch scan --json", args.lines, *gw_big))
    rows.append(("ghostwatch scan --json, parsing in one process", args.lines, *gw_one))
    rows.append(("ghostwatch scan --json (parsing child forced)", args.small, *gw_small))
    rows.append(("bare Python read loop", args.lines, *loop))
    if shutil.which("fail2ban-regex") and F2B_FILTER.exists():
        f2b = median_run(["fail2ban-regex", str(big), str(F2B_FILTER)], out / "fail2ban.txt", 1)
        rows.append(("fail2ban-regex (asterisk filter)", args.lines, *f2b))
    else:
        f2b = None
    truth = check_truth(big, out / "scan-big.json")
    print("| tool | lines | wall s | lines/s | peak RSS MiB (sum) | peak PSS MiB (sum) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, n, wall, rss, pss in rows:
        print(f"| {name} | {n:,} | {wall:.2f} | {n / wall:,.0f} | {rss / 1024:.0f} | {pss / 1024:.0f} |")
    print()
    if f2b:
        print(f"- speed vs fail2ban-regex: {f2b[0] / gw_big[0]:.1f}x ({f2b[0] / gw_one[0]:.1f}x in one process); "
              f"peak memory ratio (ghostwatch / fail2ban), RSS {gw_big[1] / f2b[1]:.2f}, PSS {gw_big[2] / f2b[2]:.2f}")
    print(f"- memory growth {args.small:,} -> {args.lines:,} lines: RSS {gw_big[1] / gw_small[1]:.2f}x, "
          f"PSS {gw_big[2] / gw_small[2]:.2f}x")
    print(f"- ground truth: {truth['found_with_ip']:,} of {truth['attack_lines']:,} attack lines flagged with their "
          f"source IP; {truth['benign_flagged']} benign lines flagged; verdicts {truth['verdicts']}")
    (out / "results.json").write_text(json.dumps({"rows": rows, "truth": truth}, indent=2))
    if (out / "scan-big.json").read_bytes() != (out / "scan-big-1core.json").read_bytes():
        print("- WARNING: parsing in a child and in one process printed different JSON")
        return 1
    print("- parsing in a child and in one process printed byte-identical JSON")
    ok = truth["found_with_ip"] == truth["attack_lines"] and truth["benign_flagged"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
