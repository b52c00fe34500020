"""A deterministic, realistic synthetic PMO portfolio: the exports a PMO tool would produce.

`write_sample(outdir, projects=60, months=12, seed=7, end="2026-10")` writes the seven canonical
exports (projects, budget_lines, progress, resources, allocations, risks, milestones) as CSV files
whose headers are exactly the contract columns (contract.TABLES), in contract order. With
`history=True` it writes one folder per month end, `outdir/YYYY-MM/`, each holding the exports as
they looked at that month end, so month-over-month comparisons are real.

How the portfolio is simulated
------------------------------
One "truth" is simulated once per (seed, projects, people) over a fixed calendar, January 2023 to
December 2027 (dates.py); every snapshot is a view of it at a month end, and `months` and `end`
only choose which month ends are written. So a month's files are byte-identical whatever window
they are written in (2026-06 from `months=12, end="2026-10"`, `months=3, end="2026-06"` or
`months=24, end="2027-03"`), and the month after the demo's last can be written later and loaded
as the next snapshot. The past never changes between snapshots (actual spend, progress, achieved
milestones, booked hours) while forecasts, statuses, RAG ratings and risk scores move from month to
month. The flat files written with `history=False` are byte-identical to the month's folder written
with `history=True`.

* Projects are approved from 2023-01 at a pace that grows steadily (2.8 times faster by 2026-10):
  `projects` of them by 2026-10 (the demo's last month), and more after it at the same pace, to
  2027-12 (about half as many again). Each starts 1-4 months after its approval.

* Health is drawn per project from the seed: about 25% cost overruns (CPI 0.75-0.95), about 20%
  schedule slippers (progress runs at 0.7-0.9 of the planned pace; 5% of projects are both),
  the rest healthy (CPI and SPI around 0.97-1.05). Progress is simulated in *earned schedule*
  (months of planned work done per month, Lipke), so SPI(t) = ES/AT is about the drawn pace;
  percent_complete = the baseline curve evaluated at ES, so EV = percent_complete/100 x BAC.
  Spend follows earned value divided by the project's CPI, with noise.
* Managers see trouble late: the forecasts use CPI/SPI estimates that move from 1.0 towards the
  observed values over the first ~8 months, so a troubled project's forecast spend and end_date
  grow over snapshots. `rag` is derived from min(CPI estimate, SPI estimate):
  >=0.95 green, >=0.90 amber_green, >=0.83 amber, >=0.76 amber_red, else red; on-hold projects
  are at least amber, planned ones green, cancelled ones have no RAG (empty cell).
* 15% of projects go on hold once for 2-4 months (no progress, a small holding cost) and 5% are
  cancelled while they run (spend and progress stop), at a month of their own life.

Conventions of the files
------------------------
* Money in GBP (`currency` = GBP), rounded to cents; `bac` is exactly the sum of the project's
  `budget` lines (the approved, time-phased baseline, fixed across snapshots).
* budget_lines: one row per project x month x category the project uses (labour, external, capex,
  opex), from the start month to the later of the baseline finish and the current forecast (or
  actual) finish; rows after the baseline carry budget 0. For periods up to and including the
  snapshot month: consumed = actual spend and forecast = consumed. For later periods: consumed = 0,
  forecast = the re-estimated remaining spend (estimate to complete, phased), committed = open
  orders placed for that period. **committed excludes consumed**: it is orders placed and not yet
  paid (past periods have committed 0); the exposure of a period is consumed + committed.
  Planned (not started) projects forecast exactly their budget.
* progress: one row per project and month from its start month to the snapshot month (or to its
  completion / cancellation month, after which a tool stops reporting); percent_complete is the
  physical progress at the end of that month, non-decreasing, 100 only at completion.
* projects: a project appears in the export at its approval date (1-4 months before its start), so
  later snapshots have more projects (ids are numbered in approval order, the same in every window); `end_date` is the current forecast finish (the actual finish
  once complete, the cancellation date when cancelled); `baseline_end_date` never changes. `value_score`
  is the value the PMO scored at approval (60/40/20 for high/medium/low priority plus up to 40),
  the same in every snapshot.
  A project is closed from the month after the one it completes in (that month it is active, phase closure).
* allocations: weeks (Mondays) from 13 weeks before to 13 weeks after the snapshot's month end.
  planned_hours for every week; actual_hours only for weeks whose Sunday is on or before the
  snapshot date (empty after). Each person works on 1-3 projects at a time, in assignments of 8-40
  weeks; hours go only to projects that are active that week and present in the snapshot. A person
  is planned at their own 60-100% of capacity (+-8% week to week) split over the assignments that
  run that week (none in weeks with no active assignment), except two teams (chosen by seed)
  overloaded at 110-140% of capacity for 3-6 weeks around every quarter end (so every snapshot shows
  an overload within its 13 weeks either side): the hours above a person's usual plan go to the
  run's crunch project, the one the team gives most time to in the run's first week, so deferring
  it relieves the team (what the arbitration views show).
* risks: 2-10 per project; risk ids are numbered in the order risks were raised. A risk appears only
  from its raised_date. closed_date is set only for status closed (occurred risks keep it empty).
  Troubled projects' risks grow (probability +0.025 a month, impact +1 after 4 and 10 months);
  mitigated risks of healthy projects shrink. Open risks are closed when their project ends.
* milestones: 3-8 per project, always "Business case approved" (achieved at approval) and
  "Handover to operations" (the project finish); forecast_date = actual_date once achieved.

Everything is vectorised with numpy and written by DuckDB `COPY`, so 5000 projects over 36 months
take a few seconds. Randomness comes from numpy.random.default_rng(seed), drawn in a fixed order,
plus a counter-based hash keyed by the calendar month for per-snapshot noise, so a month's files
depend only on (projects, seed, people) and the month.

The steps live in the modules beside this one (simulation.py runs them in their draw order):
projects.py (timelines, classification, names, health), budgets.py (baseline and actual spend),
progress.py (earned schedule, holds, cancellations, percent complete), milestones.py, risks.py,
people.py (the resource pool and the project managers), allocations.py (weeks, assignments,
overloads, hours), month_end.py (status, estimates, forecasts and the projects export at a month
end), budget_lines.py (forecast, committed, consumed), and columns.py (Arrow columns, CSV files).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np

from pmo_analytics.contract import TABLES
from pmo_analytics.demo.columns import write_csv
from pmo_analytics.demo.dates import month_end, snapshot_window, to_date
from pmo_analytics.demo.simulation import simulate_portfolio, snapshot
from pmo_analytics.demo.vocabulary import CATEGORIES

__all__ = ["CATEGORIES", "FILES", "write_sample"]

FILES = tuple(f"{name}.csv" for name in TABLES)


def write_sample(outdir, projects: int = 60, months: int = 12, seed: int = 7, end: str = "2026-10",
                 history: bool = False, people: int | None = None,
                 progress: Callable[[str], object] | None = None) -> list[tuple[_dt.date, Path]]:
    """Writes the exports. Returns [(as_of month-end date, folder)] for each snapshot written.

    `projects` is the portfolio's size at 2026-10 (more are approved after it). `months` snapshots
    end at the month ends from end-(months-1) to `end` ("YYYY-MM"), all within 2023-01 to 2027-12;
    which months are written changes nothing in them.
    history=False writes the last snapshot's seven CSV files directly in `outdir`; history=True
    writes one folder `outdir/YYYY-MM/` per snapshot month (and no flat files). `people` defaults
    to 2 x projects. `progress`, if given, is called with one message per snapshot written.
    """
    projects, months, seed = int(projects), int(months), int(seed)
    people = 2 * projects if people is None else int(people)
    if projects < 1 or months < 1 or people < 1:
        raise ValueError("projects, months and people must be at least 1")
    try:
        np.datetime64(end, "M")
    except ValueError:
        raise ValueError(f"end must be a month as YYYY-MM, not {end!r}") from None
    window = snapshot_window(str(end), months)
    portfolio = simulate_portfolio(projects, seed, people)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    snapshot_months = range(window.first, window.last + 1) if history else [window.last]
    written = []
    con = duckdb.connect()
    try:
        con.sql("SET preserve_insertion_order = true")
        for T in snapshot_months:
            as_of = to_date(int(month_end(T)))
            folder = outdir / as_of.strftime("%Y-%m") if history else outdir
            folder.mkdir(parents=True, exist_ok=True)
            tables = snapshot(portfolio, T)
            for name, cols in tables.items():
                write_csv(con, name, cols, folder / f"{name}.csv")
            written.append((as_of, folder))
            if progress is not None:
                rows = sum(len(next(iter(c.values()))) for c in tables.values())
                progress(f"sample: wrote snapshot {as_of.isoformat()} ({len(tables['projects']['project_id'])} "
                         f"projects, {rows:,} rows) to {folder}")
    finally:
        con.close()
    return written
