"""Issue 13, "Numbers a PMO can sign": one label, one definition, worked by hand.

Every expected value below is worked out in the comments from the rows inserted here, never computed
with the code under test. Each test fails on the code before issue 13.

PORTFOLIO: one snapshot, 2024-03-31 (status month March; its Mondays are 4, 11, 18, 25 March).
One category; committed 0 everywhere.
  project  portfolio status     rag        budget lines (budget / forecast / consumed)
  A        North     active     red        Jan 500/500/400, Feb 500/700/300  -> 1000 / 1200 / 700
  C        North     cancelled  amber_red  Jan 500/300/300, Feb 500/0/0      -> 1000 /  300 / 300
                                           (forecast cut to its spend when it was cancelled)
  K        North     closed     green      Jan 400/400/450                   ->  400 /  400 / 450
                                           (finished 50 over; its lines still forecast 400)
  H        North     on_hold    amber_red  Feb 200/250/50                    ->  200 /  250 /  50
  PL       North     planned    (none)     Apr 100/100/0                     ->  100 /  100 /   0
  X        South     cancelled  red        Jan 100/150/150                   ->  100 /  150 / 150
                                           (overspent before it was cancelled)
  Y        South     active     green      Feb 300/280/100                   ->  300 /  280 / 100

KPIS: two snapshots, S1 2024-02-29 and S2 2024-03-31 (status month March, AT 3 for a January start).
All projects active, BAC 1000.
  E1  budget Jan 100, Feb 100, Mar 100, Apr 700; consumed 100 a month to March (AC 300); 30% in March
  E2  budget Jan 500, Feb 500 (planned to end in February); consumed 500, 500, 200 (AC 1200); 90% in March
  E3  budget and consumed as E1, and NO progress report at all
  E5  no budget lines and no progress
  Risks (all on E1). S1: K1, K2, K4 open, K3 mitigating. S2: K1 closed, K2 occurred, K3 still
  mitigating, K4 no longer in the register.
"""
from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from pmo_analytics import contract, packaged
from pmo_analytics.metrics import improvement
from pmo_analytics.metrics.budget import budget_variance
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db

MAR31, FEB29 = dt.date(2024, 3, 31), dt.date(2024, 2, 29)
JAN, FEB, MAR, APR = (dt.date(2024, m, 1) for m in (1, 2, 3, 4))


def _database(snapshots) -> object:
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for as_of in snapshots:
        con.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, quality_score, checksum) "
                    "VALUES (?, TIMESTAMP '2024-04-01 09:00', 'test', 0, 100, 'x')", [as_of])
    return con


def _insert(con, table, columns, rows):
    marks = ", ".join("?" for _ in columns)
    con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [list(r) for r in rows])


@pytest.fixture(scope="module")
def portfolio():
    con = _database([MAR31])
    projects = [("A", "North", "active", "red"), ("C", "North", "cancelled", "amber_red"),
                ("K", "North", "closed", "green"), ("H", "North", "on_hold", "amber_red"),
                ("PL", "North", "planned", None), ("X", "South", "cancelled", "red"),
                ("Y", "South", "active", "green")]
    _insert(con, "projects", ["as_of", "project_id", "name", "portfolio", "program", "department", "status",
                              "rag", "bac", "currency"],
            [(MAR31, pid, f"Project {pid}", pf, "Prog", "IT", st, rag, 1000.0, "GBP")
             for pid, pf, st, rag in projects])
    lines = [("A", JAN, 500, 500, 400), ("A", FEB, 500, 700, 300),
             ("C", JAN, 500, 300, 300), ("C", FEB, 500, 0, 0),
             ("K", JAN, 400, 400, 450), ("H", FEB, 200, 250, 50), ("PL", APR, 100, 100, 0),
             ("X", JAN, 100, 150, 150), ("Y", FEB, 300, 280, 100)]
    _insert(con, "budget_lines", ["as_of", "project_id", "period", "category", "budget", "forecast",
                                  "committed", "consumed"],
            [(MAR31, pid, period, "labour", b, f, 0, c) for pid, period, b, f, c in lines])
    # R1 (40 h) plans 45 h in the week of Monday 11 March: over in the status month.
    # R2 (40 h) plans 50 h in the week of 26 February (in the export, not in March) and 30 h on 4 March.
    # R3 has no known capacity: 60 h on 11 March cannot be judged.
    _insert(con, "resources", ["as_of", "resource_id", "name", "weekly_capacity_hours"],
            [(MAR31, "R1", "Person 1", 40), (MAR31, "R2", "Person 2", 40), (MAR31, "R3", "Person 3", None)])
    _insert(con, "allocations", ["as_of", "resource_id", "project_id", "week", "planned_hours"],
            [(MAR31, "R1", "A", dt.date(2024, 3, 11), 45), (MAR31, "R2", "A", dt.date(2024, 2, 26), 50),
             (MAR31, "R2", "A", dt.date(2024, 3, 4), 30), (MAR31, "R3", "Y", dt.date(2024, 3, 11), 60)])
    summaries.refresh(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def kpi_con():
    con = _database([FEB29, MAR31])
    _insert(con, "projects", ["as_of", "project_id", "name", "portfolio", "program", "department", "status",
                              "bac"],
            [(FEB29, "E1", "E1", "North", "Prog", "IT", "active", 1000.0)]
            + [(MAR31, pid, pid, "North", "Prog", "IT", "active", 1000.0) for pid in ("E1", "E2", "E3", "E5")])
    e1 = [(JAN, 100, 100), (FEB, 100, 100), (MAR, 100, 100), (APR, 700, 0)]
    lines = [("E1", *r) for r in e1] + [("E3", *r) for r in e1]
    lines += [("E2", JAN, 500, 500), ("E2", FEB, 500, 500), ("E2", MAR, 0, 200)]
    _insert(con, "budget_lines", ["as_of", "project_id", "period", "category", "budget", "forecast",
                                  "committed", "consumed"],
            [(MAR31, pid, period, "labour", b, b, 0, c) for pid, period, b, c in lines])
    _insert(con, "progress", ["as_of", "project_id", "period", "percent_complete"],
            [(MAR31, "E1", MAR, 30), (MAR31, "E2", MAR, 90)])
    risks = {FEB29: [("K1", "open"), ("K2", "open"), ("K3", "mitigating"), ("K4", "open")],
             MAR31: [("K1", "closed"), ("K2", "occurred"), ("K3", "mitigating")]}
    _insert(con, "risks", ["as_of", "risk_id", "project_id", "title", "probability", "impact", "impact_cost",
                           "status", "raised_date"],
            [(snap, rid, "E1", "risk", 0.5, 3, 1000, status, dt.date(2024, 1, 1))
             for snap, rows in risks.items() for rid, status in rows])
    summaries.refresh(con)
    yield con
    con.close()


def one(df, column, value):
    rows = df[df[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def kpi(df, key, snap=MAR31):
    return one(df[df.as_of == pd.Timestamp(snap)], "kpi", key)


# ------------------------------------------------------------------------- 1. cancelled and closed
def test_a_cancelled_project_no_longer_hides_the_portfolio_overruns(portfolio):
    north = one(budget_variance(portfolio, by="portfolio"), "portfolio", "North")
    # Before issue 13: budget 1000 + 1000 + 400 + 200 + 100 = 2700, forecast 1200 + 300 + 400 + 250 + 100
    # = 2250: variance -450, "under budget", although A, K and H all overrun.
    # Now C is left out and K's forecast is its spend (450):
    #   budget 1000 + 400 + 200 + 100 = 1700; forecast 1200 + 450 + 250 + 100 = 2000
    #   variance +300 = 300 / 1700 = 17.647 %; consumed 700 + 450 + 50 + 0 = 1200; remaining 500
    assert (north.budget, north.forecast, north.variance) == (1700, 2000, 300)
    assert north.variance_pct == pytest.approx(100 * 300 / 1700)
    assert (north.consumed, north.remaining, north.bac) == (1200, 500, 4000)  # bac: A, K, H, PL x 1000
    assert bool(north.over_budget) is True
    # Shown apart: 1 cancelled project, released budget = C's 1000 - 300 = 700; n_projects counts all 5
    assert (north.n_projects, north.cancelled, north.released_budget) == (5, 1, 700)
    south = one(budget_variance(portfolio, by="portfolio"), "portfolio", "South")
    # South: Y only (X cancelled): budget 300, forecast 280, variance -20. X overspent before it was
    # cancelled (100 budget, 150 consumed): it releases max(100 - 150, 0) = 0, never -50.
    assert (south.budget, south.forecast, south.variance, south.cancelled, south.released_budget) == (
        300, 280, -20, 1, 0)


def test_project_rows_follow_the_status(portfolio):
    df = budget_variance(portfolio)
    c = one(df, "project_id", "C")
    # A cancelled project keeps its money as exported, has no variance and releases 1000 - 300 = 700.
    assert (c.budget, c.forecast, c.consumed, c.released_budget) == (1000, 300, 300, 700)
    assert pd.isna(c.variance) and pd.isna(c.variance_pct) and not bool(c.over_budget)
    x = one(df, "project_id", "X")  # forecast 150 > budget 100, but cancelled: not over budget
    assert (x.released_budget, bool(x.over_budget)) == (0, False)
    k = one(df, "project_id", "K")
    # Closed: forecast = consumed = 450 (its lines said 400); variance +50, 12.5 %.
    # Finished over budget: closed_over_budget, not over_budget (nothing left to manage).
    assert (k.forecast, k.variance, k.variance_pct) == (450, 50, 12.5)
    assert (bool(k.over_budget), bool(k.closed_over_budget)) == (False, True)
    assert bool(one(df, "project_id", "H").over_budget) is True   # on hold, 250 > 200
    assert bool(one(df, "project_id", "A").over_budget) is True   # active, 1200 > 1000
    assert bool(one(df, "project_id", "PL").over_budget) is False  # planned, 100 = 100
    assert one(df, "project_id", "A").released_budget == 0


def test_headline_signs_the_same_numbers(portfolio):
    h = headline(portfolio).iloc[0]
    # Not cancelled: North 1700 + South 300 = 2000 budget; forecast 2000 + 280 = 2280; variance 280 = 14 %
    # consumed 1200 + 100 = 1300. (Before: budget 2800, forecast 2680, variance -120.)
    assert (h["budget"], h["forecast"], h["variance"], h["consumed"]) == (2000, 2280, 280, 1300)
    assert h["variance_pct"] == pytest.approx(14.0)
    # Over budget: A (active) and H (on hold) = 2 (before: A, H and the cancelled X = 3).
    # Closed over budget: K = 1. Cancelled: C and X = 2, releasing 700 + 0 = 700.
    assert (h["over_budget"], h["closed_over_budget"], h["cancelled"], h["released_budget"]) == (2, 1, 2, 700)
    assert (h["projects"], h["active_projects"]) == (7, 2)


# ------------------------------------------------------------------------------ 3. RAG and people
def test_projects_by_rag_count_each_reported_rating_once(portfolio):
    h = headline(portfolio).iloc[0]
    # As reported: red A, X = 2; amber_red C, H = 2 (never merged into "red"); green K, Y = 2;
    # PL reports none = 1; 2 + 2 + 2 + 1 = 7 projects.
    assert (h["rag_red"], h["rag_amber_red"], h["rag_amber"], h["rag_amber_green"], h["rag_green"]) == (
        2, 2, 0, 0, 2)
    assert h["rag_none"] == 1
    assert sum(h[f"rag_{r}"] for r in (*contract.RAG_RATINGS, "none")) == h["projects"]


def test_over_allocated_people_is_one_definition(portfolio):
    # Over capacity in a week whose Monday is in March: R1 only (45 > 40 on 11 March). R2's 50 h are in
    # the week of 26 February (before: counted, giving 2); R3 has no capacity to be over.
    assert headline(portfolio).iloc[0]["over_allocated_people"] == 1
    k = kpi(improvement.kpis(portfolio), "over_allocated_resources")
    # The KPI: the same 1; measured over R1 and R2 (allocated in March, capacity known), R3 missing.
    assert (k.value, k.n, k.n_missing, k.label) == (1, 2, 1, "Over-allocated people")


def test_notebook_03_prints_the_headline_count():
    book = json.loads((packaged.NOTEBOOKS / "03_resource_load.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert "headline(" in code and "over_allocated_people" in code
    assert "over['resource_id'].nunique()" not in code  # no count of its own


# ------------------------------------------------------------------------ 2. missing progress, SPI(t)
def test_cpi_median_counts_only_projects_that_reported(kpi_con):
    df = improvement.kpis(kpi_con)
    # E1: EV 30% x 1000 = 300, AC 300 -> CPI 1.0.  E2: EV 900, AC 1200 -> CPI 0.75.
    # E3 reported nothing: no EV, no CPI (before: EV 0 -> CPI 0 dragged the median to 0.75).
    # E5 has neither budget lines nor progress.  median(1.0, 0.75) = 0.875 over 2, 2 missing (E3, E5).
    cpi = kpi(df, "cpi_median")
    assert (cpi.value, cpi.n, cpi.n_missing) == (0.875, 2, 2)
    # below 0.9: E2 of the 2 = 50 % (before: E2 and E3 of 3 = 66.7 %)
    low = kpi(df, "cpi_below_0_9_share")
    assert (low.value, low.n, low.n_missing) == (50.0, 2, 2)
    # within ±5 %: E1, E2, E3 forecast = budget: 3 of 3; E5 has no budget -> missing
    within = kpi(df, "within_budget_share")
    assert (within.value, within.n, within.n_missing) == (100.0, 3, 1)


def test_spi_median_is_earned_schedule(kpi_con):
    df = improvement.kpis(kpi_con)
    # AT = 3 (January to March). E1: PV 100, 200, 300, 1000 (PD 4); EV 300 -> C = 3, ES = 3 + 0 / 700 = 3
    #   -> SPI(t) 1.0 (SPI = 300 / 300 = 1.0).
    # E2: PV 500, 1000 (PD 2); EV 900 -> C = 1, ES = 1 + (900 - 500) / 500 = 1.8 -> SPI(t) 1.8 / 3 = 0.6
    #   (SPI = 900 / 1000 = 0.9: SPI forgives a project that is a month past its planned end).
    # median SPI(t) (1.0, 0.6) = 0.8; the old SPI median, E3 at 0 included: (0, 0.9, 1.0) -> 0.9.
    spi = kpi(df, "spi_median")
    assert spi.value == pytest.approx(0.8)
    assert (spi.n, spi.n_missing, spi.label) == (2, 2, "Median SPI(t)")
    dist = improvement.kpi_distribution(kpi_con, "spi_t")
    assert dict(zip(dist.project_id, dist.value.round(9))) == {"E1": 1.0, "E2": 0.6}
    assert set(improvement.kpi_distribution(kpi_con, "cpi").project_id) == {"E1", "E2"}  # not E3


def test_risk_closure_rate_does_not_count_occurred_as_closed(kpi_con):
    r = kpi(improvement.kpis(kpi_con), "risk_closure_rate")
    # Active at S1: K1, K2, K3, K4. At S2 K1 closed, K2 occurred, K3 still active, K4 gone (unknown).
    # closed / (closed + occurred + still active) = 1 / 3 = 33.33 %, K4 missing.
    # (Before: closed or occurred over all four = 2 / 4 = 50 %.)
    assert r.value == pytest.approx(100 / 3)
    assert (r.n, r.n_missing) == (3, 1)


def test_every_kpi_row_says_how_many_it_measured(kpi_con):
    df = improvement.kpis(kpi_con)
    assert {"n", "n_missing"} <= set(df.columns)
    assert (df.n >= 0).all() and (df.n_missing >= 0).all()
    first = kpi(df, "risk_closure_rate", FEB29)  # no previous snapshot: nothing to measure
    assert pd.isna(first.value) and (first.n, first.n_missing) == (0, 0)
