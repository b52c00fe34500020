"""Improvement KPIs over snapshots, checked against hand-computed values and the toml targets.

Three snapshots, with a gap: S1 2024-01-31, S2 2024-02-29, S3 2024-04-30 (no March load).
Portfolios: Alpha = P1, P2, P6; Beta = P3, P4, P5, P7, P8, P9.

Budget and EVM (one category; money totals over all periods; PV / AC up to the status month):
  S1  P1-P4 active: budget 1000 = forecast 1000 (Jan 100, Feb 100, Mar 800), Jan consumed 100 (P2 110),
      progress Jan 10% of BAC 1000 -> EV 100, PV 100: CPI 1, 1, 1, 1 (P2 100/110 = 0.909), SPI 1.
      P6 active: Jan budget 1000, forecast 1200 (+20%: out), consumed 500, 50% -> CPI 1, SPI 0.5.
      P7 active: Jan budget 900 = forecast, consumed 450, BAC 900, 50% -> CPI 1, SPI 0.5.
      P5, P8, P9 on hold (left out, whatever their forecasts).
      within = 5/6 = 83.33; cpi median 1.0; below 0.9: 0/6 = 0; spi median (0.5 0.5 1 1 1 1) = 1.0.
      SPI(t) (issue 13: the median is SPI(t)): P1-P4 PV 100, 200, 1000 (PD 3), EV 100 -> ES 1, AT 1: 1;
      P6 EV 500 of a 1000 month (PD 1) -> ES 0.5: 0.5; P7 450 / 900 -> 0.5. Median (0.5 0.5 1 1 1 1) = 1.0.
  S2  P1 active: forecast 1000 (0%); AC 200, PV 200, 22% -> EV 220: CPI 1.1, SPI 1.1
      P2 active: forecast 1040 (+4%); AC 250, PV 200, 18% -> EV 180: CPI 0.72, SPI 0.9
      P3 active: forecast 950 (-5%, on the boundary: within); AC 200, 21%: CPI 1.05, SPI 1.05
      P4 active: forecast 1100 (+10%: out); AC 200, 18%: CPI 0.9 (not below), SPI 0.9
      P7 active without budget lines: left out; P5 on hold (forecast +50%, CPI 0.5: not counted).
      within = 3/4 = 75.0; cpi median (0.72 0.9 1.05 1.1) = 0.975; below = 1/4 = 25.0;
      spi median (0.9 0.9 1.05 1.1) = 0.975 was the old SPI KPI. SPI(t), AT 2, PV 100, 200, 1000:
      P1 EV 220 -> ES 2 + 20/800 = 2.025 -> 1.0125; P2 EV 180 -> ES 1 + 80/100 = 1.8 -> 0.9;
      P3 EV 210 -> 2 + 10/800 = 2.0125 -> 1.00625; P4 EV 180 -> 0.9.
      spi_t median (0.9 0.9 1.00625 1.0125) = (0.9 + 1.00625) / 2 = 0.953125.
  S3  P1 active: forecast 1000 = budget, AC 400 = PV 400, 40% -> CPI 1, SPI 1: within 100.
      SPI(t): PV 100, 200, 300, 400, 1000 (PD 5), EV 400 -> ES 4 + 0/600 = 4, AT 4 -> 1.0.
      P6, P7, P9 closed now (not closed at S2), each with consumed 1000 at S3. The snapshot at least 3
      months before S3 is S1 (S2 is only 2 months before): forecasts there P6 1200, P7 900, P9 3500.
      accuracy = 1 - |F - A| / A: P6 80, P7 90, P9 -150 floored to 0 -> mean 56.67.
      P8 (S1 forecast 2000, consumed 1000 at S3) was closed already at S2: not counted (it would
      add a 0). At S2, P8 closed newly but no snapshot is 3 months older: accuracy missing.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import improvement as m
from pmo_analytics.metrics.budget import budget_variance
from pmo_analytics.metrics.earned_value import evm
from pmo_analytics.metrics.milestones import milestone_slippage
from pmo_analytics.metrics.resources import resource_load
from pmo_analytics.metrics.risks import risk_ageing
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db

S1, S2, S3 = dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 4, 30)
JAN, FEB, MAR, APR, MAY = (dt.date(2024, i, 1) for i in (1, 2, 3, 4, 5))
HOSTILE = "x' OR 1=1 --"
PORTFOLIO = {"P1": "Alpha", "P2": "Alpha", "P6": "Alpha", "P3": "Beta", "P4": "Beta", "P5": "Beta",
             "P7": "Beta", "P8": "Beta", "P9": "Beta"}
BAC = {"P7": 900.0, "P5": 500.0}

STATUS = {
    S1: {"P1": "active", "P2": "active", "P3": "active", "P4": "active", "P5": "on_hold",
         "P6": "active", "P7": "active", "P8": "on_hold", "P9": "on_hold"},
    S2: {"P1": "active", "P2": "active", "P3": "active", "P4": "active", "P5": "on_hold",
         "P6": "on_hold", "P7": "active", "P8": "closed", "P9": "on_hold"},
    S3: {"P1": "active", "P6": "closed", "P7": "closed", "P8": "closed", "P9": "closed"},
}
#            project  period budget forecast consumed
LINES = {
    S1: [("P1", JAN, 100, 100, 100), ("P1", FEB, 100, 100, 0), ("P1", MAR, 800, 800, 0),
         ("P2", JAN, 100, 100, 110), ("P2", FEB, 100, 100, 0), ("P2", MAR, 800, 800, 0),
         ("P3", JAN, 100, 100, 100), ("P3", FEB, 100, 100, 0), ("P3", MAR, 800, 800, 0),
         ("P4", JAN, 100, 100, 100), ("P4", FEB, 100, 100, 0), ("P4", MAR, 800, 800, 0),
         ("P5", JAN, 250, 375, 50), ("P6", JAN, 1000, 1200, 500), ("P7", JAN, 900, 900, 450),
         ("P8", JAN, 1000, 2000, 0), ("P9", JAN, 1000, 3500, 0)],
    S2: [("P1", JAN, 100, 100, 100), ("P1", FEB, 100, 100, 100), ("P1", MAR, 800, 800, 0),
         ("P2", JAN, 100, 100, 125), ("P2", FEB, 100, 100, 125), ("P2", MAR, 800, 840, 0),
         ("P3", JAN, 100, 100, 100), ("P3", FEB, 100, 100, 100), ("P3", MAR, 800, 750, 0),
         ("P4", JAN, 100, 100, 100), ("P4", FEB, 100, 100, 100), ("P4", MAR, 800, 900, 0),
         ("P5", JAN, 250, 375, 50)],
    S3: [("P1", JAN, 100, 100, 100), ("P1", FEB, 100, 100, 100), ("P1", MAR, 100, 100, 100),
         ("P1", APR, 100, 100, 100), ("P1", MAY, 600, 600, 0),
         ("P6", JAN, 1000, 1000, 1000), ("P7", JAN, 900, 1000, 1000), ("P8", JAN, 1000, 1000, 1000),
         ("P9", JAN, 1000, 1000, 1000)],
}
PROGRESS = {
    S1: [("P1", JAN, 10), ("P2", JAN, 10), ("P3", JAN, 10), ("P4", JAN, 10), ("P5", JAN, 5),
         ("P6", JAN, 50), ("P7", JAN, 50)],
    S2: [("P1", JAN, 10), ("P1", FEB, 22), ("P2", JAN, 10), ("P2", FEB, 18),
         ("P2", MAR, 50),  # a row after the status month: ignored
         ("P3", FEB, 21), ("P4", FEB, 18), ("P5", JAN, 5)],
    S3: [("P1", APR, 40)],
}
# Milestones (all Alpha). on time / achieved: S1 1/1 = 100; S2 2/3 = 66.67; S3 1/2 = 50.
MILESTONES = {
    S1: [("P1", "M1", "2024-01-15", "2024-01-10", "2024-01-10"), ("P1", "M2", "2024-02-01", "2024-02-05", None),
         ("P2", "M1", "2024-02-10", "2024-02-10", None)],
    S2: [("P1", "M1", "2024-01-15", "2024-01-10", "2024-01-10"),
         ("P1", "M2", "2024-02-01", "2024-02-11", "2024-02-11"),  # late
         ("P2", "M1", "2024-02-10", "2024-02-10", "2024-02-10"),  # on the day: on time
         ("P2", "M2", "2024-03-31", "2024-04-14", None)],
    S3: [("P1", "M1", "2024-01-15", "2024-01-10", "2024-01-10"),
         ("P1", "M2", "2024-02-01", "2024-02-11", "2024-02-11")],
}
# Risks (all P1). Active at S1: K1, K2, K3 (ages 61, 30, 90 -> mean 60.33).
# S2: K1 closed, K2 occurred, K3 open, K5 raised -> closure 1/3 = 33.33 (issue 13: an occurred risk is
#     not closed; it was 2/3 = 66.67 when occurred counted as closed); ages 119, 28 -> 73.5.
# S3: K3 dropped from the register (outcome unknown: not measured, n_missing 1), K5 mitigating ->
#     closure 0/1 = 0 (was 0/2); age 89.
RISKS = {
    S1: [("K1", "open", "2023-12-01"), ("K2", "mitigating", "2024-01-01"), ("K3", "open", "2023-11-02"),
         ("K4", "closed", "2023-10-01")],
    S2: [("K1", "closed", "2023-12-01"), ("K2", "occurred", "2024-01-01"), ("K3", "open", "2023-11-02"),
         ("K4", "closed", "2023-10-01"), ("K5", "open", "2024-02-01")],
    S3: [("K1", "closed", "2023-12-01"), ("K2", "occurred", "2024-01-01"), ("K4", "closed", "2023-10-01"),
         ("K5", "mitigating", "2024-02-01")],
}
CAPACITY = {"R1": 40, "R2": 40, "R3": 20, "R4": 30}
# Planned hours per Monday. Over capacity in a week of the snapshot month:
#   S1 (January): R1 45 > 40 on 01-29; R1 40 on 01-22 is not over; R2's 02-05 is February -> 1
#   S2 (February): R1 30 + 20 = 50 > 40 on 02-05; R3 25 > 20 on 02-26; R3's 01-29 (January) and
#                  R4's 03-04 (March) do not count; R2 30 <= 40 -> 2 (Alpha people: R1; Beta: R3)
#   S3 (April): R1 40 = capacity: not over -> 0
ALLOCATIONS = {
    S1: [("R1", "P1", "2024-01-22", 40), ("R1", "P1", "2024-01-29", 45), ("R2", "P3", "2024-02-05", 50)],
    S2: [("R1", "P1", "2024-02-05", 30), ("R1", "P2", "2024-02-05", 20), ("R2", "P3", "2024-02-12", 30),
         ("R3", "P3", "2024-02-26", 25), ("R3", "P3", "2024-01-29", 50), ("R4", "P4", "2024-03-04", 40)],
    S3: [("R1", "P1", "2024-04-01", 40)],
}
QUALITY = {S1: 90.0, S2: 97.0, S3: 80.0}


def build() -> object:
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for snap in (S1, S2, S3):
        con.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, quality_score, checksum) "
                    "VALUES (?, TIMESTAMP '2024-05-01 09:00', 'test', 0, ?, 'x')", [snap, QUALITY[snap]])
        con.executemany("INSERT INTO projects (as_of, project_id, name, portfolio, program, department, "
                        "status, bac) VALUES (?, ?, ?, ?, 'Prog', 'IT', ?, ?)",
                        [(snap, pid, f"Project {pid}", PORTFOLIO[pid], status, BAC.get(pid, 1000.0))
                         for pid, status in STATUS[snap].items()])
        con.executemany("INSERT INTO budget_lines (as_of, project_id, period, category, budget, forecast, "
                        "committed, consumed) VALUES (?, ?, ?, 'labour', ?, ?, 0, ?)",
                        [(snap, *row) for row in LINES[snap]])
        con.executemany("INSERT INTO progress (as_of, project_id, period, percent_complete) "
                        "VALUES (?, ?, ?, ?)", [(snap, *row) for row in PROGRESS[snap]])
        con.executemany("INSERT INTO milestones (as_of, project_id, milestone_id, name, baseline_date, "
                        "forecast_date, actual_date) VALUES (?, ?, ?, 'ms', ?, ?, ?)",
                        [(snap, *row) for row in MILESTONES[snap]])
        con.executemany("INSERT INTO risks (as_of, risk_id, project_id, title, probability, impact, "
                        "impact_cost, status, raised_date) VALUES (?, ?, 'P1', 'risk', 0.5, 3, 1000, ?, ?)",
                        [(snap, *row) for row in RISKS[snap]])
        con.executemany("INSERT INTO resources (as_of, resource_id, name, weekly_capacity_hours) "
                        "VALUES (?, ?, ?, ?)", [(snap, rid, f"Person {rid}", cap) for rid, cap in CAPACITY.items()])
        con.executemany("INSERT INTO allocations (as_of, resource_id, project_id, week, planned_hours) "
                        "VALUES (?, ?, ?, ?, ?)", [(snap, *row) for row in ALLOCATIONS[snap]])
    summaries.refresh(con)  # as publishing a snapshot does
    return con


@pytest.fixture(scope="module")
def con():
    c = build()
    yield c
    c.close()


@pytest.fixture(scope="module")
def table(con) -> pd.DataFrame:
    return m.kpis(con)


def value(df, kpi, snap):
    row = df[(df.kpi == kpi) & (df.as_of == pd.Timestamp(snap))]
    assert len(row) == 1, (kpi, snap)
    return row.iloc[0]


EXPECTED = {  # kpi: (S1, S2, S3); None = missing
    "within_budget_share": (500 / 6, 75.0, 100.0),
    "cpi_median": (1.0, 0.975, 1.0),
    "spi_median": (1.0, 0.953125, 1.0),  # SPI(t) since issue 13 (the SPI median was 0.975 at S2)
    "cpi_below_0_9_share": (0.0, 25.0, 0.0),
    "milestone_on_time_rate": (100.0, 200 / 3, 50.0),
    "forecast_accuracy": (None, None, 170 / 3),
    "risk_closure_rate": (None, 100 / 3, 0.0),  # occurred is not closed since issue 13 (was 200 / 3)
    "mean_risk_age_days": (181 / 3, 73.5, 89.0),
    "over_allocated_resources": (1.0, 2.0, 0.0),
    "data_quality_score": (90.0, 97.0, 80.0),
}


def test_columns_and_shape(table):
    assert list(table.columns) == list(m.COLUMNS)
    assert len(table) == 3 * len(m.KPI_KEYS)  # every KPI at every snapshot, for sparklines
    assert list(dict.fromkeys(table.kpi)) == list(m.kpi_config())  # config order, then by date
    assert list(table[table.kpi == "cpi_median"].as_of) == [pd.Timestamp(s) for s in (S1, S2, S3)]


@pytest.mark.parametrize("kpi", list(EXPECTED))
def test_values_by_hand(table, kpi):
    for snap, want in zip((S1, S2, S3), EXPECTED[kpi]):
        got = value(table, kpi, snap).value
        if want is None:
            assert pd.isna(got), (kpi, snap, got)
        else:
            assert got == pytest.approx(want), (kpi, snap)


def test_rag_against_the_toml_targets(table):
    cfg = m.kpi_config()
    assert cfg["within_budget_share"].target == 80 and cfg["within_budget_share"].amber == 65
    # within budget: 83.3 >= 80 green; 75 between 65 and 80 amber; 100 green
    assert [value(table, "within_budget_share", s).rag for s in (S1, S2, S3)] == ["green", "amber", "green"]
    # lower is better: CPI < 0.9 share 25 > amber 20 -> red; 0 <= target 10 -> green
    assert value(table, "cpi_below_0_9_share", S2).rag == "red"
    assert value(table, "cpi_below_0_9_share", S3).rag == "green"
    assert value(table, "cpi_median", S2).rag == "green"  # 0.975 >= 0.95
    assert value(table, "milestone_on_time_rate", S2).rag == "amber"  # 66.7 in [65, 80)
    assert value(table, "milestone_on_time_rate", S3).rag == "red"  # 50 < 65
    assert value(table, "forecast_accuracy", S3).rag == "red"  # 56.7 < 80
    assert value(table, "over_allocated_resources", S2).rag == "amber"  # 0 < 2 <= 25
    assert value(table, "over_allocated_resources", S3).rag == "green"  # 0 = target
    assert [value(table, "data_quality_score", s).rag for s in (S1, S2, S3)] == ["amber", "green", "red"]
    assert pd.isna(value(table, "forecast_accuracy", S1).rag)  # missing value: no RAG
    row = value(table, "within_budget_share", S2)
    assert (row.label, row.unit, row.target, row.amber, bool(row.higher_is_better)) == (
        "Projects within ±5% of budget", "%", 80.0, 65.0, True)
    # The Python rule and the SQL rule agree on every row
    for r in table.itertuples():
        assert cfg[r.kpi].rag(r.value) == (None if pd.isna(r.rag) else r.rag), r


def test_trend_and_improving(table):
    s1, s2, s3 = (value(table, "within_budget_share", s) for s in (S1, S2, S3))
    assert pd.isna(s1.previous_value) and pd.isna(s1.change) and pd.isna(s1.trend)
    assert pd.isna(s1.improving)
    assert s2.previous_value == pytest.approx(500 / 6) and s2.change == pytest.approx(75 - 500 / 6)
    assert (s2.trend, bool(s2.improving)) == ("down", False)
    assert (s3.trend, bool(s3.improving)) == ("up", True)
    # lower is better: more over-allocated people is up but not improving; fewer is improving
    o2, o3 = (value(table, "over_allocated_resources", s) for s in (S2, S3))
    assert (o2.trend, bool(o2.improving), o2.change) == ("up", False, 1.0)
    assert (o3.trend, bool(o3.improving), o3.change) == ("down", True, -2.0)
    # a missing previous value (no closure rate at S1) gives no trend
    assert pd.isna(value(table, "risk_closure_rate", S2).trend)
    assert value(table, "risk_closure_rate", S3).trend == "down"
    # unchanged is flat, and flat is not improving
    c1, c3 = value(table, "cpi_median", S1), value(table, "spi_median", S3)
    assert value(table, "cpi_below_0_9_share", S1).value == 0 and c1.value == 1.0
    assert c3.trend == "up"  # SPI(t) 0.953125 -> 1.0
    flat = m.kpis(build(), project_ids=["P1"])  # P1's CPI: 1.0 (S1), 1.1 (S2), 1.0 (S3)
    assert list(flat[flat.kpi == "cpi_median"].trend.iloc[1:]) == ["up", "down"]
    same = value(flat, "over_allocated_resources", S2)  # R1 over in January and in February
    assert (same.value, same.change, same.trend, bool(same.improving)) == (1.0, 0.0, "flat", False)


def test_filters(con):
    alpha = m.kpis(con, portfolio="Alpha", as_of="2024-02")
    assert set(alpha.as_of) == {pd.Timestamp(S1), pd.Timestamp(S2)}  # history up to as_of only
    assert value(alpha, "within_budget_share", S2).value == 100.0  # P1 0%, P2 +4%
    assert value(alpha, "cpi_median", S2).value == pytest.approx((1.1 + 0.72) / 2)
    assert value(alpha, "over_allocated_resources", S2).value == 1  # R1 (hours on P1, P2)
    beta = m.kpis(con, portfolio="Beta", as_of="2024-02")
    assert value(beta, "within_budget_share", S2).value == 50.0  # P3 in, P4 out
    assert value(beta, "over_allocated_resources", S2).value == 1  # R3 (R2 has hours but is not over)
    assert pd.isna(value(beta, "milestone_on_time_rate", S2).value)  # Beta has no milestones
    assert value(beta, "data_quality_score", S2).value == 97.0  # the load's score, whatever the filter
    # period_from / period_to choose the rows shown; the previous value still looks back
    shown = m.kpis(con, period_from="2024-02", period_to="2024-02")
    assert set(shown.as_of) == {pd.Timestamp(S2)}
    assert value(shown, "within_budget_share", S2).previous_value == pytest.approx(500 / 6)


def test_hostile_filter_gives_an_empty_frame(con):
    for kw in ({"portfolio": HOSTILE}, {"project_ids": [HOSTILE]}, {"department": "nope"}):
        df = m.kpis(con, **kw)
        assert df.empty and list(df.columns) == list(m.COLUMNS)
    df = m.kpi_distribution(con, portfolio=HOSTILE)
    assert df.empty and list(df.columns) == list(m.DISTRIBUTION_COLUMNS)
    with pytest.raises(UsageError):
        m.kpi_distribution(con, measure="cpi; DROP TABLE loads")


def test_empty_database():
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    summaries.refresh(c)
    assert m.kpis(c).empty and list(m.kpis(c).columns) == list(m.COLUMNS)
    assert m.kpi_distribution(c).empty


def test_distribution(con):
    df = m.kpi_distribution(con, "cpi", as_of="2024-02")
    assert list(df.columns) == list(m.DISTRIBUTION_COLUMNS)
    assert list(df.project_id) == ["P1", "P3", "P4", "P2"]  # largest first; active projects only
    assert list(df.value.round(4)) == [1.1, 1.05, 0.9, 0.72]
    assert df.value.median() == pytest.approx(value(m.kpis(con), "cpi_median", S2).value)
    spi = m.kpi_distribution(con, "spi", as_of="2024-01", portfolio="Alpha")
    assert dict(zip(spi.project_id, spi.value.round(4))) == {"P1": 1.0, "P2": 1.0, "P6": 0.5}
    assert set(spi.measure) == {"spi"}


def test_toml_declares_every_kpi():
    cfg = m.kpi_config()
    assert sorted(cfg) == sorted(m.KPI_KEYS)  # every KPI computed is declared, nothing else
    for k in cfg.values():
        assert k.label and k.help and k.unit in m.UNITS
        assert (k.amber <= k.target) if k.higher_is_better else (k.amber >= k.target)


def test_config_override(con, tmp_path):
    path = tmp_path / "kpis.toml"
    path.write_text('[within_budget_share]\nlabel = "On budget"\nunit = "%"\nhigher_is_better = true\n'
                    'target = 70\namber = 50\nhelp = "x"\n', encoding="utf-8")
    df = m.kpis(con, config=path)
    assert set(df.kpi) == {"within_budget_share"}  # only what the config declares
    assert value(df, "within_budget_share", S2).rag == "green"  # 75 >= 70 now
    assert value(df, "within_budget_share", S2).label == "On budget"
    bad = tmp_path / "bad.toml"
    for text in ('[unknown_kpi]\nlabel="x"\n', '[cpi_median]\nlabel = "x"\n',
                 '[cpi_median]\nlabel="x"\nunit="ratio"\nhigher_is_better=true\ntarget=0.9\namber=0.95\nhelp="x"\n',
                 "not toml ["):
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(UsageError):
            m.kpi_config(bad)
    with pytest.raises(UsageError):
        m.kpi_config(tmp_path / "missing.toml")


def test_kpis_agree_with_the_per_snapshot_metrics(con, table):
    """Each all-snapshot KPI equals what the per-snapshot metric it summarises gives, snapshot by snapshot."""
    for snap in (S1, S2, S3):
        month = f"{snap:%Y-%m}"
        bv = budget_variance(con, as_of=month)
        active = bv[bv.status == "active"].dropna(subset=["variance_pct"])
        want = 100 * (active.variance_pct.abs() <= 5 + 1e-9).mean()
        assert value(table, "within_budget_share", snap).value == pytest.approx(want)
        e = evm(con, as_of=month)  # evm carries the project's status since issue 13 (no merge needed)
        e = e[e.status == "active"]
        assert value(table, "cpi_median", snap).value == pytest.approx(e.cpi.dropna().median())
        # spi_median is the median SPI(t) since issue 13 (it was SPI = EV / PV)
        assert value(table, "spi_median", snap).value == pytest.approx(e.spi_t.dropna().median())
        assert value(table, "cpi_below_0_9_share", snap).value == pytest.approx(
            100 * (e.cpi.dropna() < 0.9).mean())
        states = milestone_slippage(con, as_of=month).state
        achieved = states.str.startswith("achieved")
        assert value(table, "milestone_on_time_rate", snap).value == pytest.approx(
            100 * (states == "achieved_on_time").sum() / achieved.sum())
        assert value(table, "mean_risk_age_days", snap).value == pytest.approx(
            risk_ageing(con, as_of=month).overall_mean_age_days.iloc[0])
        load = resource_load(con, grain="month", as_of=month)
        in_month = load[load.month == pd.Timestamp(snap.replace(day=1))]
        assert value(table, "over_allocated_resources", snap).value == in_month.over_allocated.sum()
