"""Start-up benchmark: how long `pmo --help` and `pmo snapshots` take against a bare
`python -c "import duckdb"` (the floor any DuckDB command pays), in one run.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 15]

Each command runs --repeat times, interleaved so that a busy moment of the machine falls on all of
them alike; prints the median and the best wall-clock time of each and the ratios to the floor
(target: at most 1.5x). `pmo snapshots` reads a small database built first (the demo's first two
months), so what is measured is start-up, not the query.

The commands run as a user's Python runs them, with compiled bytecode cached (__pycache__, as pip
writes for an installed wheel): PYTHONDONTWRITEBYTECODE is removed from their environment, and each
runs once before the clock. (This machine's environment sets it, which recompiles the workbench's
modules at every start, about 10 ms; DuckDB's, compiled by pip, are unaffected.)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def commands(db: Path) -> dict[str, list[str]]:
    return {
        "python -c 'import duckdb'": [sys.executable, "-c", "import duckdb"],
        "pmo --help": [str(BIN / "pmo"), "--help"],
        "pmo snapshots": [str(BIN / "pmo"), "snapshots", "--db", str(db)],
    }


def build(folder: Path) -> Path:
    """A database of two small snapshots for `pmo snapshots` to list."""
    exports = folder / "exports"
    subprocess.run([str(BIN / "pmo"), "sample", str(exports), "--projects", "20", "--months", "2", "--history"],
                   check=True, capture_output=True)
    db = folder / "startup.duckdb"
    for month in sorted(p for p in exports.iterdir() if p.is_dir()):
        subprocess.run([str(BIN / "pmo"), "load", str(month), "--as-of", month.name, "--db", str(db)],
                       check=True, capture_output=True)
    return db


def measure(cmds: dict[str, list[str]], repeat: int) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for i in range(repeat + 1):  # the first round writes the bytecode and is not counted
        for name, argv in cmds.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            if i:
                times[name].append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per command (median and best reported)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(build(Path(tmp)))
        times = measure(cmds, args.repeat)
    floor = statistics.median(times["python -c 'import duckdb'"])
    print(f"{'command':<28} {'median':>8} {'best':>8} {'x floor':>8}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<28} {med * 1000:>6.0f}ms {min(ts) * 1000:>6.0f}ms {med / floor:>7.2f}x")
    worst = max(statistics.median(ts) for n, ts in times.items() if n.startswith("pmo")) / floor
    print(f"target: each pmo command at most 1.5x the floor; worst {worst:.2f}x "
          f"({'met' if worst <= 1.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
