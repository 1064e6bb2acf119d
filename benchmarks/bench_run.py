"""Time the monthly run on a generated inbox and report wall time and peak memory.

Usage: python benchmarks/bench_run.py [--rows 1000000] [--repeat 3]
The inbox is generated once into benchmarks/.data/<rows>/ (not committed).
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generate import generate

HERE = Path(__file__).parent


def main() -> None:
    """Generate the inbox if needed, run the CLI `--repeat` times, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--trainees", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inbox = HERE / ".data" / str(args.rows)
    if not inbox.exists():
        generate(inbox, args.rows, args.trainees, files=20)
    timings = []
    for _ in range(args.repeat):
        out = Path(tempfile.mkdtemp())
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "balint_reports",
                "run",
                str(inbox),
                "--out",
                str(out),
                "--as-of",
                "2026-11-30",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        timings.append(time.perf_counter() - started)
        shutil.rmtree(out)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {platform.processor() or platform.machine()}, {platform.python_version()}")
    print(f"rows: {args.rows:,}, trainees: {args.trainees:,}")
    print(
        f"wall time: best {min(timings):.1f} s, median {sorted(timings)[len(timings) // 2]:.1f} s"
    )
    print(f"peak memory: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
