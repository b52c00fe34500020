"""Budget metrics against hand-computed values.

Two snapshots:
  2024-03-31  A1, A2 (portfolio Alpha, EUR) and B1 (portfolio Beta, GBP)
  2024-04-30  A1 and A2 again: April paid, an order closed (different numbers)
Committed EXCLUDES consumed (open orders not yet paid): uncommitted = budget - committed - consumed.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics.budget import budget_by_category, budget_curve, budget_variance
from pmo_analytics.store import connection as db

S1, S2 = dt.date(2024, 3, 31), dt.date(2024, 4, 30)
JAN, FEB, MAR, APR = (dt.date(2024, m, 1) for m in (1, 2, 3, 4))


def build(projects, lines, snapshots):
    """An in-memory workbench database holding exactly these rows."""
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for as_of in snapshots:
        con.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, checksum) "
                    "VALUES (?, TIMESTAMP '2024-05-01 09:00', 'test', 0, 'x')", [as_of])
    if projects:
        con.executemany("INSERT INTO projects (as_of, project_id, name, portfolio, program, department, "
                        "status, rag, bac, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", projects)
    if lines:
        con.executemany("INSERT INTO budget_lines (as_of, project_id, period, category, budget, forecast, "
                        "committed, consumed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
    return con


@pytest.fixture(scope="module")
def con():
    projects = []
    for snap in (S1, S2):
        projects += [
            (snap, "A1", "Alpha one", "Alpha", "Prog1", "IT", "active", "green", 1000.0, "EUR"),
            (snap, "A2", "Alpha two", "Alpha", "Prog2", "Ops", "active", "amber", 600.0, "EUR"),
        ]
    projects.append((S1, "B1", "Beta one", "Beta", "Prog3", "IT", "on_hold", "red", 400.0, "GBP"))
    #            period category     budget forecast committed consumed
    a1 = [(JAN, "labour", 100, 100, 0, 90),
          (JAN, "external", 50, 60, 10, 40),
          (FEB, "labour", 100, 110, 0, 120),
          (MAR, "labour", 100, 120, 20, 100)]
    a2 = [(MAR, "labour", 200, 180, 30, 60)]
    lines = [(S1, "A1", *r) for r in a1 + [(APR, "labour", 100, 100, 50, 0)]]
    lines += [(S1, "A2", *r) for r in a2 + [(APR, "labour", 200, 180, 0, 0)]]
    lines += [(S1, "B1", FEB, "opex", 100, 100, 0, 0), (S1, "B1", MAR, "opex", 100, 100, 0, 0)]
    # April snapshot: A1's April order (50) is paid (committed 0, consumed 50); A2 consumed 80 in April.
    lines += [(S2, "A1", *r) for r in a1 + [(APR, "labour", 100, 100, 0, 50)]]
    lines += [(S2, "A2", *r) for r in a2 + [(APR, "labour", 200, 180, 0, 80)]]
    c = build(projects, lines, [S1, S2])
    yield c
    c.close()


def one(df: pd.DataFrame, column: str, value) -> pd.Series:
    sel = df[df[column] == value]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_budget_variance_by_project(con):
    df = budget_variance(con, as_of="2024-03")
    assert list(df.project_id) == ["A1", "A2", "B1"]
    # A1: budget 100+50+100+100+100 = 450; forecast 100+60+110+120+100 = 490;
    #     committed 10+20+50 = 80; consumed 90+40+120+100+0 = 350
    #     remaining = 450 - 350 = 100; uncommitted = 450 - 80 - 350 = 20
    #     variance = 490 - 450 = 40; variance_pct = 40 / 450 x 100 = 8.89 -> over budget
    #     burn_rate = (Jan 130 + Feb 120 + Mar 100) / 3 = 116.67; months_left = 100 / 116.67 = 0.86
    a1 = one(df, "project_id", "A1")
    assert (a1["name"], a1.portfolio, a1.program, a1.department) == ("Alpha one", "Alpha", "Prog1", "IT")
    assert (a1.status, a1.rag, a1.currency, a1.bac) == ("active", "green", "EUR", 1000)
    assert (a1.budget, a1.forecast, a1.committed, a1.consumed) == (450, 490, 80, 350)
    assert (a1.remaining, a1.uncommitted, a1.variance) == (100, 20, 40)
    assert round(a1.variance_pct, 2) == 8.89
    assert round(a1.burn_rate, 2) == 116.67
    assert round(a1.months_left, 2) == 0.86
    assert bool(a1.over_budget) is True
    # A2 started in March: its burn rate averages the one month it has run, not three.
    #     budget 400, forecast 360, committed 30, consumed 60; remaining 340, uncommitted 310
    #     variance -40, variance_pct -10.00; burn_rate = 60 / 1 = 60; months_left = 340 / 60 = 5.67
    a2 = one(df, "project_id", "A2")
    assert (a2.budget, a2.forecast, a2.committed, a2.consumed) == (400, 360, 30, 60)
    assert (a2.remaining, a2.uncommitted, a2.variance, a2.variance_pct) == (340, 310, -40, -10)
    assert a2.burn_rate == 60 and round(a2.months_left, 2) == 5.67
    assert bool(a2.over_budget) is False
    # B1: nothing consumed -> burn_rate 0 -> months_left missing (not inf); variance 0
    b1 = one(df, "project_id", "B1")
    assert b1.burn_rate == 0 and math.isnan(b1.months_left)
    assert (b1.remaining, b1.uncommitted, b1.variance, b1.variance_pct) == (200, 200, 0, 0)


def test_budget_variance_by_portfolio(con):
    df = budget_variance(con, by="portfolio", as_of="2024-03")
    assert list(df.portfolio) == ["Alpha", "Beta"]
    # Alpha = A1 + A2: bac 1600; budget 850, forecast 850, committed 110, consumed 410
    #   remaining 440, uncommitted 850 - 110 - 410 = 330, variance 0 -> 0 %, not over budget
    #   burn_rate = 116.67 + 60 = 176.67 a month; months_left = 440 / 176.67 = 2.49
    alpha = one(df, "portfolio", "Alpha")
    assert (alpha.n_projects, alpha.currency, alpha.bac) == (2, "EUR", 1600)
    assert (alpha.budget, alpha.forecast, alpha.committed, alpha.consumed) == (850, 850, 110, 410)
    assert (alpha.remaining, alpha.uncommitted, alpha.variance, alpha.variance_pct) == (440, 330, 0, 0)
    assert round(alpha.burn_rate, 2) == 176.67 and round(alpha.months_left, 2) == 2.49
    assert bool(alpha.over_budget) is False
    beta = one(df, "portfolio", "Beta")
    assert (beta.n_projects, beta.currency, beta.budget, beta.consumed) == (1, "GBP", 200, 0)


def test_budget_variance_other_rollups(con):
    by_dept = budget_variance(con, by="department", as_of="2024-03")
    # IT = A1 + B1 (EUR and GBP: the mix is shown, not hidden): budget 450 + 200 = 650
    it = one(by_dept, "department", "IT")
    assert (it.budget, it.currency) == (650, "EUR,GBP")
    by_prog = budget_variance(con, by="program", as_of="2024-03", portfolio="Alpha")
    assert list(by_prog.program) == ["Prog1", "Prog2"]
    with pytest.raises(UsageError):
        budget_variance(con, by="budget; DROP TABLE projects")


def test_budget_variance_period_window(con):
    # A1, Jan-Feb only: budget 100 + 50 + 100 = 250, forecast 270, committed 10, consumed 250
    #   remaining 0 -> months_left 0; burn_rate still the 3 months to the as_of month (116.67)
    a1 = one(budget_variance(con, as_of="2024-03", project_ids="A1", period_to="2024-02"), "project_id", "A1")
    assert (a1.budget, a1.forecast, a1.committed, a1.consumed, a1.remaining) == (250, 270, 10, 250, 0)
    assert round(a1.burn_rate, 2) == 116.67 and a1.months_left == 0


def test_budget_by_category(con):
    df = budget_by_category(con, as_of="2024-03", project_ids="A1")
    assert list(df.category) == ["external", "labour"]
    # A1 labour: budget 400, forecast 430, committed 70, consumed 310 -> remaining 90, uncommitted 20,
    #   variance 30 (7.50 %), 400 / 450 = 88.89 % of A1's budget
    lab = one(df, "category", "labour")
    assert (lab.budget, lab.forecast, lab.committed, lab.consumed) == (400, 430, 70, 310)
    assert (lab.remaining, lab.uncommitted, lab.variance, lab.variance_pct) == (90, 20, 30, 7.5)
    assert round(lab.budget_share_pct, 2) == 88.89
    # A1 external: 50, 60, 10, 40 -> remaining 10, uncommitted 0, variance 10 (20 %), share 11.11 %
    ext = one(df, "category", "external")
    assert (ext.budget, ext.forecast, ext.committed, ext.consumed) == (50, 60, 10, 40)
    assert (ext.remaining, ext.uncommitted, ext.variance, ext.variance_pct) == (10, 0, 10, 20)
    assert round(ext.budget_share_pct, 2) == 11.11
    # Portfolio Alpha labour = A1 400 + A2 400 = 800 budget, 430 + 360 = 790 forecast, 310 + 60 = 370 consumed
    alpha = budget_by_category(con, by="portfolio", as_of="2024-03", portfolio="Alpha")
    alab = one(alpha, "category", "labour")
    assert (alab.budget, alab.forecast, alab.committed, alab.consumed) == (800, 790, 100, 370)


def test_budget_curve_one_project(con):
    df = budget_curve(con, as_of="2024-03", project_ids="A1")
    assert list(df.period) == [pd.Timestamp(d) for d in (JAN, FEB, MAR, APR)]
    assert set(df.project_id) == {"A1"}
    # Per month (all categories): budget 150, 100, 100, 100; forecast 160, 110, 120, 100;
    #   consumed 130, 120, 100, 0
    assert list(df.budget) == [150, 100, 100, 100]
    assert list(df.cum_budget) == [150, 250, 350, 450]
    assert list(df.cum_forecast) == [160, 270, 390, 490]
    assert list(df.cum_consumed) == [130, 250, 350, 350]
    assert list(df.committed) == [10, 0, 20, 50]
    # A window keeps the true running totals (they do not restart at period_from).
    win = budget_curve(con, as_of="2024-03", project_ids="A1", period_from="2024-02", period_to="2024-03")
    assert list(win.cum_budget) == [250, 350] and list(win.cum_consumed) == [250, 350]


def test_budget_curve_rolled_up(con):
    df = budget_curve(con, as_of="2024-03", portfolio="Alpha")
    assert "project_id" not in df.columns
    # Alpha = A1 + A2: budget 150, 100, 300, 300 -> cumulative 150, 250, 550, 850
    #   consumed 130, 120, 160, 0 -> cumulative 130, 250, 410, 410
    assert list(df.cum_budget) == [150, 250, 550, 850]
    assert list(df.cum_consumed) == [130, 250, 410, 410]
    assert list(df.cum_forecast) == [160, 270, 570, 850]


def test_as_of_picks_the_snapshot(con):
    # April snapshot, A1: committed 10 + 20 = 30, consumed 350 + 50 = 400 -> remaining 50, uncommitted 20
    #   burn_rate = (Feb 120 + Mar 100 + Apr 50) / 3 = 90; months_left = 50 / 90 = 0.56
    # A2: consumed 60 + 80 = 140 over Mar-Apr -> burn_rate 140 / 2 = 70
    for as_of in ("2024-04", dt.date(2024, 4, 30), None):  # None = the latest snapshot
        df = budget_variance(con, as_of=as_of)
        assert list(df.project_id) == ["A1", "A2"]
        a1 = one(df, "project_id", "A1")
        assert (a1.committed, a1.consumed, a1.remaining, a1.uncommitted) == (30, 400, 50, 20)
        assert a1.burn_rate == 90 and round(a1.months_left, 2) == 0.56
        assert one(df, "project_id", "A2").burn_rate == 70
    assert one(budget_variance(con, as_of="2024-03"), "project_id", "A1").consumed == 350
    assert budget_variance(con, as_of="2023-12").empty


def test_filters(con):
    assert list(budget_variance(con, as_of="2024-03", portfolio="Alpha").project_id) == ["A1", "A2"]
    assert list(budget_variance(con, as_of="2024-03", portfolio=["Beta"]).project_id) == ["B1"]
    for fn, kwargs in ((budget_variance, {}), (budget_variance, {"by": "portfolio"}),
                       (budget_by_category, {}), (budget_curve, {}),
                       (budget_curve, {"project_ids": "A1"})):
        full = fn(con, as_of="2024-03", **kwargs)
        assert not full.empty
        for hostile in ("x' OR 1=1 --", "Alpha') OR ('1'='1"):
            got = fn(con, as_of="2024-03", portfolio=hostile, **kwargs)
            assert got.empty, (fn.__name__, kwargs)
            assert list(got.columns) == list(full.columns)
    assert len(budget_variance(con, as_of="2024-03")) == 3  # nothing was dropped


def test_columns_are_lower_snake_case(con):
    cols = list(budget_variance(con, as_of="2024-03").columns)
    assert cols[:8] == ["project_id", "name", "portfolio", "program", "department", "status", "rag",
                        "currency"]
    for c in ("bac", "budget", "forecast", "committed", "consumed", "remaining", "uncommitted",
              "variance", "variance_pct", "burn_rate", "months_left", "over_budget"):
        assert c in cols
    assert all(c == c.lower() and " " not in c for c in cols)


def test_empty_database_gives_empty_frames(con):
    empty = build([], [], [])
    for fn in (budget_variance, budget_by_category, budget_curve):
        got = fn(empty)
        assert got.empty and list(got.columns) == list(fn(con, as_of="2024-03").columns)
