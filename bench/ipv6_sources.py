"""Benchmark: `ghostwatch scan` of a log with 200,000 distinct IPv6 sources stays under 150 MiB peak RSS.

    python bench/ipv6_sources.py [--sources 200000] [--limit-mib 150]

An attacker rotating through IPv6 addresses makes every line a new source (issue 15: the correlation state kept
~1 KB per address and never forgot one). The generated log (bench/data/, not committed) is a res_pjsip `full` log:
one refused REGISTER per address, ten a second, the addresses spread over 2,000 /64s of 40 /56s, the office's phones
registering in between. Reports wall time, the peak summed RSS and PSS of the scan and its parsing child (sampled
every 20 ms, as bench/scan_throughput.py does) and whether the rotation was recognised per prefix.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scan_throughput import DATA, measure  # noqa: E402


def ensure_log(sources: int) -> Path:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"ipv6-{sources}.log"
    if path.exists():
        return path
    t0 = datetime(2026, 11, 24, 0, 0, 0)
    with open(path, "w") as fh:
        for k in range(sources):
            t = t0 + timedelta(seconds=k / 10)
            stamp = f"[{t:%Y-%m-%d %H:%M:%S}]"
            net56, net64, host = k % 40, (k // 40) % 50, k // 2000 + 1
            ip = f"2001:db8:{0x4a00 + net56:x}:{net64:x}::{host:x}"
            fh.write(f"{stamp} NOTICE[2290] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from "
                     f"'<sip:{100 + k % 900}@pbx.example.com>' failed for '[{ip}]:5060' (callid: r{k}) - "
                     f"Failed to authenticate\n")
            if k % 100 == 0:
                fh.write(f"{stamp} VERBOSE[2211] res_pjsip_registrar.c:     -- Added contact "
                         f"'sip:{101 + k % 12}@192.168.10.{11 + k % 12}:5060' to AOR '{101 + k % 12}' with "
                         f"expiration of 3600 seconds\n")
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=200_000)
    ap.add_argument("--limit-mib", type=float, default=150.0)
    args = ap.parse_args()
    log = ensure_log(args.sources)
    exe = str(Path(sys.executable).parent / "ghostwatch")
    out = DATA / f"ipv6-{args.sources}.json"
    cmd = [exe, "scan", "--json", "--region", "US", str(log)]
    wall, _, _ = measure(cmd, out)
    _, rss, pss = measure(cmd, out, sample=True)
    doc = json.loads(out.read_text())
    attack = sum(1 for e in doc["events"] if e["verdict"] == "attack")
    prefix_reasons = sum(1 for e in doc["events"] for r in e["reasons"] if "the addresses of 2001:db8:" in r["text"])
    lines = sum(1 for _ in open(log, "rb"))
    print("| sources | lines | wall s | peak RSS MiB (sum) | peak PSS MiB (sum) | events attack | "
          "reasons naming a prefix |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {args.sources:,} | {lines:,} | {wall:.2f} | {rss / 1024:.0f} | {pss / 1024:.0f} | {attack:,} | "
          f"{prefix_reasons:,} |")
    ok = rss / 1024 < args.limit_mib
    print(f"- peak RSS {'under' if ok else 'OVER'} {args.limit_mib:g} MiB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
