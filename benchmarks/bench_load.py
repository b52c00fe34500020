"""Load benchmark: `pmo load` against DuckDB's raw reader and against pandas + to_sql, in one run.

    .venv/bin/python benchmarks/bench_load.py [--projects 5000] [--months 36] [--repeat 3]
    .venv/bin/python benchmarks/bench_load.py --history [--projects 5000] [--months 36]
    .venv/bin/python benchmarks/bench_load.py --profile [--repeat 3]

Writes the sample once (timed), then gets the same CSV files into a database file each way, each in
its own process so peak memory (max RSS, from wait4) is that variant's alone:
  pmo      - pmo_analytics.snapshots.load: staging, validation, atomic publish into DuckDB
  duckdb   - CREATE TABLE ... AS SELECT * FROM read_csv(file) per file, into a DuckDB file: no checks
  pandas   - what a pandas script does for the same job: read_csv with dates parsed, the same checks
             (required values, duplicate keys, references), then DataFrame.to_sql into SQLite
Each is timed two ways, interleaved round by round so a busy machine slows all alike: as a whole
command (`pmo load ...`, or a `python -c` script for the other two: interpreter start-up and imports
included) and in-process (imports done before the clock starts). Prints the median over --repeat
rounds (pandas: one round) and the ratios.

--history writes `pmo sample --history` (one folder per month) and loads the months one after the
other into one database with `pmo load`, printing each month's whole-command time and the database
size: month 36 against month 1 (each publish copies the database beside itself, so a growing file
costs every later month).

--profile loads the same files in this process --repeat times and prints where the time of one load
goes: the wall time spent inside each stage (summed over the threads that run it: two files are
staged at once, and the checks against the database run while the rows are written), the whole
load's wall time and the process's CPU time (DuckDB's own threads included).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TABLES = ("projects", "budget_lines", "progress", "resources", "allocations", "risks", "milestones")
MONTH = "2026-10"


def run_variant(variant: str, folder: Path, out: Path) -> None:
    """The job of one variant (run in the child process; imports are part of a whole command)."""
    if variant == "pmo":
        from pmo_analytics.snapshots import loading as snapshots

        snapshots.load([folder], MONTH, database=out)
    elif variant == "duckdb":
        import duckdb

        con = duckdb.connect(str(out))
        for t in TABLES:
            con.sql(f"CREATE TABLE {t} AS SELECT * FROM read_csv('{folder / (t + '.csv')}')")
        con.close()
    elif variant == "pandas":
        _pandas(folder, out)


def _pandas(folder: Path, out: Path) -> None:
    import sqlite3

    import pandas as pd

    from pmo_analytics import contract

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


def in_process(variant: str, folder: Path, out: Path) -> dict:
    """Child process: the variant's imports first, then the clock."""
    if variant == "pmo":
        from pmo_analytics.snapshots import loading  # noqa: F401
    elif variant == "duckdb":
        import duckdb  # noqa: F401
    else:
        import sqlite3  # noqa: F401

        import pandas  # noqa: F401

        from pmo_analytics import contract  # noqa: F401

    start = time.perf_counter()
    run_variant(variant, folder, out)
    return {"seconds": time.perf_counter() - start}


# As a user's Python runs: compiled bytecode cached (this machine's environment sets
# PYTHONDONTWRITEBYTECODE, which recompiles the workbench's modules at every start of `pmo load`).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def warm_up() -> None:
    """Writes the bytecode of the load path (not timed), so the first timed load does not compile it."""
    timed([sys.executable, "-c", "import pmo_analytics.cli, pmo_analytics.snapshots.loading"])


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Runs `cmd`; returns its wall seconds, its own peak memory in MB and its stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def command(variant: str, folder: Path, out: Path) -> list[str]:
    """The whole command a user runs for `variant`."""
    if variant == "pmo":
        return [*pmo_cli(), "load", str(folder), "--db", str(out), "--as-of", MONTH]
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import bench_load; bench_load.run_variant({variant!r}, "
            f"bench_load.Path({str(folder)!r}), bench_load.Path({str(out)!r}))"]


def pmo_cli() -> list[str]:
    script = Path(sys.executable).with_name("pmo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pmo_analytics"]


def sample(folder: Path, args, history: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run([*pmo_cli(), "sample", str(folder), "--projects", str(args.projects), "--months",
                    str(args.months), "--seed", "1", *(["--history"] if history else [])],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def compare(args, tmp: Path) -> None:
    folder = tmp / "exports"
    sample_s = sample(folder, args)
    sizes = {t: sum(1 for _ in open(folder / f"{t}.csv")) - 1 for t in TABLES}
    mb = sum((folder / f"{t}.csv").stat().st_size for t in TABLES) / 1e6
    print(f"pmo sample --projects {args.projects} --months {args.months}: {sample_s:.1f} s (whole command), "
          f"{sum(sizes.values()):,} rows, {mb:.0f} MB of CSV")
    print("  " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
    warm_up()
    runs = {(v, how): [] for v in ("pmo", "duckdb", "pandas") for how in ("command", "in-process")}
    for i in range(args.repeat):
        for variant in ("pmo", "duckdb", "pandas"):
            if variant == "pandas" and i:
                continue
            for how in ("command", "in-process"):
                out = tmp / f"{variant}-{how}-{i}.db"
                cmd = (command(variant, folder, out) if how == "command" else
                       [sys.executable, __file__, "--variant", variant, "--folder", str(folder), "--out", str(out)])
                seconds, peak, stdout = timed(cmd)
                if how == "in-process":
                    seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]
                runs[(variant, how)].append((seconds, peak))
                out.unlink()
    med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
    for variant in ("pmo", "duckdb", "pandas"):
        c, p = runs[(variant, "command")], runs[(variant, "in-process")]
        print(f"{variant:<7} command {med[(variant, 'command')]:6.2f} s  in-process {med[(variant, 'in-process')]:6.2f} s"
              f"  (median of {len(c)})  peak {max(m for _, m in c):5.0f} MB (command), "
              f"{max(m for _, m in p):5.0f} MB (in-process child)")
    for how in ("command", "in-process"):
        pmo, raw, pandas = (med[(v, how)] for v in ("pmo", "duckdb", "pandas"))
        print(f"{how:<10}: pmo / duckdb raw reader = {pmo / raw:.2f}x (target <= 1.5x); "
              f"pandas / pmo = {pandas / pmo:.1f}x (target >= 5x)")


def history(args, tmp: Path) -> None:
    root = tmp / "history"
    sample_s = sample(root, args, history=True)
    months = sorted(p for p in root.iterdir() if p.is_dir())
    print(f"pmo sample --projects {args.projects} --months {args.months} --history: {sample_s:.0f} s, "
          f"{len(months)} monthly folders")
    db, rows = tmp / "history.duckdb", []
    warm_up()
    for folder in months:
        if folder == months[-1]:
            shutil.copyfile(db, tmp / "before-last.duckdb")
            os.sync()  # the copy's writeback is not the load's to pay
        csv_rows = sum(sum(1 for _ in open(f)) - 1 for f in folder.glob("*.csv"))
        seconds, peak, _ = timed([*pmo_cli(), "load", str(folder), "--db", str(db), "--as-of", folder.name])
        rows.append((folder.name, seconds, csv_rows, db.stat().st_size / 1e6, peak))
        print(f"  {folder.name}: {seconds:5.2f} s  {csv_rows:>9,} rows  database {rows[-1][3]:5.0f} MB  "
              f"peak {peak:4.0f} MB", flush=True)
    first, last = rows[0], rows[-1]
    print(f"month {len(rows)} ({last[0]}) / month 1 ({first[0]}) = {last[1] / first[1]:.2f}x (target <= 2x); "
          f"rows {last[2] / first[2]:.2f}x; median of the last 3 / first 3 = "
          f"{statistics.median(r[1] for r in rows[-3:]) / statistics.median(r[1] for r in rows[:3]):.2f}x")
    _history_cost(months[-1], tmp, args.repeat)


def _history_cost(folder: Path, tmp: Path, repeat: int) -> None:
    """The last month's files into the database of the months before it and into an empty one,
    interleaved: what the history alone costs a load, whatever the month's own size."""
    runs = {"after the history": [], "into an empty database": []}
    for i in range(repeat):
        for how in runs:
            db = tmp / f"cost-{i}.duckdb"
            if how == "after the history":
                shutil.copyfile(tmp / "before-last.duckdb", db)
                os.sync()
            runs[how].append(timed([*pmo_cli(), "load", str(folder), "--db", str(db), "--as-of", folder.name])[0])
            for leftover in tmp.glob(f"cost-{i}.duckdb*"):
                leftover.unlink()
    med = {how: statistics.median(v) for how, v in runs.items()}
    print(f"{folder.name}'s files (median of {repeat}, interleaved): after the history {med['after the history']:.2f} s, "
          f"into an empty database {med['into an empty database']:.2f} s "
          f"({med['after the history'] / med['into an empty database']:.2f}x)")


# (label, module, attribute): the stages of one load, in the order they run; wrapped by --profile.
STAGES = (
    ("read + stage the CSV files (DuckDB's typed read_csv, keys and dates normalised)",
     "pmo_analytics.ingest.csv", "stage_typed_csv"),
    ("per-column rules (one scan per file, then the failing rows)", "pmo_analytics.validation.table", "apply_rules"),
    ("duplicate keys", "pmo_analytics.validation.table", "duplicate_keys"),
    ("checks against the database and across files (own thread, beside the inserts)",
     "pmo_analytics.snapshots.loading", "_cross_checks"),
    ("insert the rows into the copy of the database", "pmo_analytics.snapshots.loading", "_replace_table"),
    ("summaries (project_status, resource_month, project_schedule, milestone_history)",
     "pmo_analytics.snapshots.summaries", "refresh"),
)
CHECK = ("pmo_analytics.snapshots.loading", "validation", "check_table")
REST_OF_CHECKS = "the rest of each file's checks (header, column mapping, probability scale, quality)"
REST_OF_PUBLISH = ("the rest of publishing (copy, attach, schema, loads row, wait for the cross checks, commit, "
                   "checkpoint, fsync, swap)")
PUBLISH = ("pmo_analytics.store.publish", "publishing")


def profile(args, tmp: Path) -> None:
    """Where the time of one in-process `pmo load` goes, stage by stage (median of --repeat runs)."""
    import contextlib
    import importlib
    import threading

    folder = tmp / "exports"
    sample(folder, args)
    from pmo_analytics.snapshots import loading

    spent: dict[str, float] = {}
    lock = threading.Lock()

    def add(label, seconds):
        with lock:
            spent[label] = spent.get(label, 0.0) + seconds

    def timing(label, fn):
        def wrapper(*a, **k):
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                add(label, time.perf_counter() - start)
        return wrapper

    for label, module, name in STAGES:
        mod = importlib.import_module(module)
        setattr(mod, name, timing(label, getattr(mod, name)))
    package = getattr(importlib.import_module(CHECK[0]), CHECK[1])
    setattr(package, CHECK[2], timing("check_table", getattr(package, CHECK[2])))
    publish = importlib.import_module(PUBLISH[0])
    opened = publish.publishing

    @contextlib.contextmanager
    def publishing(*a, **k):
        start = time.perf_counter()
        try:
            with opened(*a, **k):
                yield
        finally:
            add("publishing", time.perf_counter() - start)

    publish.publishing = publishing
    runs = []
    for i in range(args.repeat):
        spent.clear()
        out = tmp / f"profile-{i}.db"
        wall, cpu = time.perf_counter(), time.process_time()
        loading.load([folder], MONTH, database=out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        out.unlink()
        labels = [label for label, _, _ in STAGES]
        if missing := [label for label in [*labels, "check_table", "publishing"] if label not in spent]:
            raise SystemExit(f"the load no longer runs these stages (renamed?): {missing}")
        runs.append({**{label: spent.get(label, 0.0) for label in labels},
                     REST_OF_CHECKS: spent["check_table"] - sum(spent.get(label, 0.0) for label in labels[:3]),
                     REST_OF_PUBLISH: spent["publishing"] - spent[labels[4]] - spent[labels[5]],
                     "wall": wall, "cpu": cpu})
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"where the time of one `pmo load` goes (in-process, median of {args.repeat}; "
          "time inside each stage, summed over its threads):")
    for label in (*labels[:3], REST_OF_CHECKS, *labels[3:], REST_OF_PUBLISH):
        print(f"  {med[label] * 1000:7.0f} ms  {label}")
    print(f"  whole load {med['wall'] * 1000:.0f} ms wall, {med['cpu'] * 1000:.0f} ms CPU (every thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (pandas runs in the first only)")
    parser.add_argument("--history", action="store_true", help="month 36 against month 1 of a monthly history")
    parser.add_argument("--profile", action="store_true", help="where the time of one load goes, stage by stage")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:  # child process: one in-process measurement, printed as JSON
        print(json.dumps(in_process(args.variant, Path(args.folder), Path(args.out))))
        return
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        (history if args.history else profile if args.profile else compare)(args, Path(tmp))


if __name__ == "__main__":
    main()
