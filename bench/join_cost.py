"""Benchmark: what joining lines into attempts and judging attackers over their runs costs a scan (issue 13).

    python bench/join_cost.py [--lines 1000000] [--runs 5]

Runs `ingest.scan.scan` in this process (parsing included, `GHOSTWATCH_SCAN_WORKERS=0`, JSON of every flagged
event encoded as `scan --json` does) on the generated `full` log of `bench/scan_throughput.py`, alternating two
variants, and reports the fastest CPU time of each:

- **attempts**: as shipped (core/judge.py: lines joined into attempts, runs judged as episodes);
- **joining only**: attempts as shipped, but no episodes (every attempt keeps its own verdict);
- **per line**: each record classified on its own the way release 1 did (`Classifier.classify`), no joining, no
  episodes. Same parser, same classifier, same report and JSON encoder.

The difference is the cost of issue 13's units. Each run is a fresh process (what one variant leaves in the heap
must not slow the next), and the variants alternate, so a machine whose speed wanders between minutes slows them
alike. The table gives the median and the fastest run of each.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "app"))
os.environ["GHOSTWATCH_SCAN_WORKERS"] = "0"

from ghostwatch.cli import load_signatures  # noqa: E402
from ghostwatch.core.classify import Classifier  # noqa: E402
from ghostwatch.core.event_json import event_json  # noqa: E402
from ghostwatch.core.events import Verdict  # noqa: E402
from ghostwatch.core.judge import Judge  # noqa: E402
from ghostwatch.core.settings import DetectionSettings  # noqa: E402
from ghostwatch.ingest import scan as scan_module  # noqa: E402


class _Line:
    """A record classified alone: an attempt that is closed and final at once."""

    __slots__ = ("event", "done", "pending", "closed")

    def __init__(self, event) -> None:
        self.event, self.done, self.pending, self.closed = event, False, False, True


class _Lines:
    """What `scan` needs of a joiner, for per-line classification: everything is final as soon as it is seen."""

    def __init__(self) -> None:
        self.now = float("-inf")
        self.joined = 0
        self.ready: list[_Line] = []

    def expire(self) -> list[_Line]:
        out, self.ready = self.ready, []
        return out

    drain = expire


class _NoRuns:
    worst: dict = {}

    def ended(self, now: float) -> list:
        return []


class PerLine:
    """Release 1's pipeline behind `Judge`'s interface: one event per record."""

    def __init__(self, settings: DetectionSettings, signatures) -> None:
        self.classifier = Classifier(settings, signatures)
        self.joiner = _Lines()
        self.episodes = _NoRuns()

    def feed(self, rec) -> list:
        joiner = self.joiner
        if rec.epoch is not None and rec.epoch > joiner.now:
            joiner.now = rec.epoch
        line = _Line(self.classifier.classify(rec))
        joiner.ready.append(line)
        return [(line, True)]


class JoinOnly(Judge):
    """Attempts as shipped, runs not judged: an attempt's verdict is its own."""

    def __init__(self, settings: DetectionSettings, signatures) -> None:
        super().__init__(settings, signatures)
        self._see = lambda attempt, event, epoch, created, trusted: (event, ())


VARIANTS = {"attempts and episodes (as shipped)": None, "joining only (no episodes)": JoinOnly,
            "per line (release 1: no joining, no episodes)": PerLine}


def one_run(path: Path, variant: type | None) -> tuple[float, int]:
    settings, signatures = DetectionSettings(), load_signatures()
    printed = 0

    def on_event(event) -> None:
        nonlocal printed
        if event.verdict is not Verdict.NORMAL:
            event_json(event)
            printed += 1

    real = scan_module.Judge
    if variant is not None:
        scan_module.Judge = variant
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(20000, 50, 100)  # as `ghostwatch scan` sets it
    started = time.process_time()
    try:
        scan_module.scan([path], settings, signatures, on_event)
    finally:
        elapsed = time.process_time() - started
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        scan_module.Judge = real
    return elapsed, printed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one run of variant N in this process
    args = ap.parse_args()
    path = HERE / "data" / f"full-{args.lines}.log"
    if args.one is not None:
        elapsed, printed = one_run(path, list(VARIANTS.values())[args.one])
        print(elapsed, printed)
        return
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_full_log.py"), str(path), str(args.lines)], check=True)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    events: dict[str, int] = {}
    for _ in range(args.runs):
        for i, name in enumerate(VARIANTS):
            out = subprocess.run([sys.executable, __file__, "--one", str(i), "--lines", str(args.lines)], check=True,
                                 capture_output=True, text=True).stdout.split()
            times[name].append(float(out[0]))
            events[name] = int(out[1])
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"| pipeline | lines | CPU s, median of {args.runs} | fastest | lines/s (median) | flagged events |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in reversed(VARIANTS):
        print(f"| {name} | {args.lines:,} | {median[name]:.2f} | {min(times[name]):.2f} | "
              f"{args.lines / median[name]:,.0f} | {events[name]:,} |")
    shipped, joined, lines = median.values()
    print(f"\n- medians: joining costs {100 * (joined - lines) / joined:.1f}% of a scan's time without episodes; "
          f"joining and episodes together {100 * (shipped - lines) / shipped:.1f}% (issue 13: joining at most 15%)")

if __name__ == "__main__":
    main()
