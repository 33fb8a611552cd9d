"""Audit of a hostile configuration archive: a ~4 KB .tar.gz whose sip.conf includes one 4 MiB file 200 times.

    python bench/audit_hostile.py [TIMES]

Builds the archive in a temporary folder, runs `ghostwatch audit --json ARCHIVE` as a child process and prints its
wall time and peak memory (the child's maximum resident set size). Target (issue 15): under 10 s and 200 MiB.
Before each file was read once within a byte budget, every include read and parsed the 4 MiB again (~60 GB).
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

SIP = "[general]\nallowguest=no\nalwaysauthreject=yes\n\n[100]\ntype=friend\nsecret=Xq9!vLr7#pT2\n"


def build(path: Path, times: int) -> None:
    big = (b"; filler\n" * ((4 << 20) // 9 + 1))[: 4 << 20]
    files = {"conf/sip.conf": (SIP + "#include big.conf\n" * times).encode(), "conf/big.conf": big}
    with tarfile.open(path, "w:gz", compresslevel=9) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def main() -> int:
    times = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "hostile.tgz"
        build(archive, times)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "ghostwatch", "audit", "--json", str(archive)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"archive {archive.stat().st_size:,} bytes, {times} includes of a 4 MiB file: exit {proc.returncode}, "
              f"{wall:.2f} s, peak RSS {peak:.0f} MiB (targets: < 10 s, < 200 MiB)")
        if proc.returncode not in (0, 1):
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        return 0 if wall < 10 and peak < 200 else 1


if __name__ == "__main__":
    sys.exit(main())
