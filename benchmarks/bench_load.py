"""Load benchmark: `pmo load` against DuckDB's raw reader and against pandas + to_sql, in one run.

    .venv/bin/python benchmarks/bench_load.py [--projects 5000] [--months 36] [--repeat 3]

Writes the sample once (timed), then times each way of getting the same CSV files into a database
file, each in its own process so peak memory (max RSS) is that variant's alone:
  pmo      - pmo_analytics.snapshots.load: staging, validation, atomic publish into DuckDB
  duckdb   - CREATE TABLE ... AS SELECT * FROM read_csv(file) per file, into a DuckDB file: no checks
  pandas   - what a pandas script does for the same job: read_csv with dates parsed, the same checks
             (required values, duplicate keys, references), then DataFrame.to_sql into SQLite
Prints one line per variant (median seconds over --repeat runs, peak MB) and the ratios. Imports are
done before the clock starts; the sample is written by a child process too, so that no measurement
inherits the parent's memory high-water mark (Linux keeps max RSS across fork and exec).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("projects", "budget_lines", "progress", "resources", "allocations", "risks", "milestones")


def run_variant(variant: str, folder: Path, out: Path) -> dict:
    import sqlite3

    import duckdb
    import pandas as pd

    from pmo_analytics import contract
    from pmo_analytics.snapshots import loading as snapshots

    start = time.perf_counter()
    if variant == "pmo":
        snapshots.load([folder], "2026-10", database=out)
    elif variant == "duckdb":
        con = duckdb.connect(str(out))
        for t in TABLES:
            con.sql(f"CREATE TABLE {t} AS SELECT * FROM read_csv('{folder / (t + '.csv')}')")
        con.close()
    elif variant == "pandas":
        frames = {}
        for t in TABLES:
            table = contract.TABLES[t]
            dates = [c.name for c in table.columns if c.type == contract.DATE]
            frame = pd.read_csv(folder / f"{t}.csv", parse_dates=dates, date_format="%Y-%m-%d")
            assert not frame[table.required].isna().any().any(), f"{t}: missing required values"
            assert not frame.duplicated(list(table.key)).any(), f"{t}: duplicate keys"
            for c in table.columns:
                if c.references:
                    ref_table, ref_col = c.references.split(".")
                    assert frame[c.name].isin(frames[ref_table][ref_col]).all(), f"{t}.{c.name}: unknown keys"
            frames[t] = frame
        con = sqlite3.connect(out)
        for t, frame in frames.items():
            frame.to_sql(t, con, index=False, chunksize=50_000)
        con.commit()
        con.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3, help="runs per variant (pandas runs once)")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:  # child process: one measurement, printed as JSON
        print(json.dumps(run_variant(args.variant, Path(args.folder), Path(args.out))))
        return

    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        folder = Path(tmp) / "exports"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pmo_analytics", "sample", str(folder), "--projects",
                        str(args.projects), "--months", str(args.months), "--seed", "1"],
                       check=True, capture_output=True)
        sample_s = time.perf_counter() - start
        sizes = {t: sum(1 for _ in open(folder / f"{t}.csv")) - 1 for t in TABLES}
        mb = sum((folder / f"{t}.csv").stat().st_size for t in TABLES) / 1e6
        print(f"pmo sample --projects {args.projects} --months {args.months}: {sample_s:.1f} s (whole command), "
              f"{sum(sizes.values()):,} rows, {mb:.0f} MB of CSV")
        print("  " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
        results = {}
        for variant in ("pmo", "duckdb", "pandas"):
            runs = []
            for i in range(1 if variant == "pandas" else args.repeat):
                out = Path(tmp) / f"{variant}-{i}.db"
                proc = subprocess.run([sys.executable, __file__, "--variant", variant, "--folder", str(folder),
                                       "--out", str(out)], capture_output=True, text=True, check=True)
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                out.unlink()
            results[variant] = {"seconds": statistics.median(r["seconds"] for r in runs),
                                "peak_mb": max(r["peak_mb"] for r in runs), "runs": len(runs)}
            r = results[variant]
            print(f"{variant:<7} {r['seconds']:7.2f} s (median of {r['runs']})  peak {r['peak_mb']:6.0f} MB")
        pmo, raw, pandas = (results[v]["seconds"] for v in ("pmo", "duckdb", "pandas"))
        print(f"pmo / duckdb raw reader = {pmo / raw:.2f}x (target <= 1.5x); "
              f"pandas / pmo = {pandas / pmo:.1f}x (target >= 5x)")


if __name__ == "__main__":
    main()
