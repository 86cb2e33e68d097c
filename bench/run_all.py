"""Run every benchmark in turn; each writes its own section of bench/RESULTS.md.

    python bench/run_all.py            # all (about an hour on 2 cores)
    python bench/run_all.py --quick    # the quick variants where a script has one

A failing script is reported and the others still run; the exit code is non-zero if any failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_plan.py",
    "bench_routes.py",
    "bench_sim.py",
    "bench_pvrp.py",
    "bench_large.py",
    "bench_prefecture.py",
    "bench_geocode.py",
    "bench_streets.py",
    "bench_real.py",
)
HAS_QUICK = {"bench_routes.py", "bench_sim.py", "bench_prefecture.py"}


def main() -> int:
    quick = "--quick" in sys.argv[1:]
    failed = []
    for script in SCRIPTS:
        args = [sys.executable, str(HERE / script)]
        if quick and script in HAS_QUICK:
            args.append("--quick")
        print(f"== {script} ==", flush=True)
        t0 = time.perf_counter()
        if subprocess.run(args).returncode:
            failed.append(script)
        print(f"== {script}: {time.perf_counter() - t0:.0f} s ==", flush=True)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
