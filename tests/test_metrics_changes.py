"""What changed between two snapshots, checked against a drift with known changes.

Snapshots: FEB (2024-02-29, previous) and MAR (2024-03-31, latest).
  D1 (Alpha) changes in every measure:
     forecast  100 000 -> 112 000 (+12 000, +12 %)
     eac       BAC 100 000; Feb: EV 20 % = 20 000, AC 20 000 -> CPI 1, EAC 100 000;
               Mar: EV 25 % = 25 000, AC 32 500 -> CPI 0.769, EAC 130 000 (+30 000, +30 %)
     end_date  2024-06-30 -> 2024-07-30 (+30 days)
     rag       amber -> red: steps 3 -> 5 on green=1, amber_green=2, amber=3, amber_red=4, red=5 (+2)
     risks     Feb: R1 0.5 x 100 000 = 50 000 (top), R2 0.2 x 50 000 = 10 000, R5 0.1 x 10 000 = 1 000
               Mar: R1 mitigated to 0.3 -> 30 000, R2 closed, R5 dropped from the register,
                    R3 new 0.8 x 50 000 = 40 000 (top)
               risk_emv 61 000 -> 70 000 (+9 000, +14.75 %); top_risk R1 -> R3 (EMV 50 000 -> 40 000: -10 000)
     milestones M1 forecast 05-01 -> 05-15 (slipped 14 days); M3 forecast 03-10, achieved 03-12 (2 days);
                M2 unchanged
  D2 (Beta) unchanged in every measure (its milestone moved EARLIER: not a slip) -> never listed
  D5 (Beta) forecast 50 000 -> 47 000 (-3 000, -6 %), end_date -10 days, rag green -> amber_green (+1);
     EAC unchanged (same EV and AC)
  D3 (Beta) only in February (gone); D4 (Alpha) only in March (new)
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import changes as m
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db

FEB, MAR = dt.date(2024, 2, 29), dt.date(2024, 3, 31)
JAN_, FEB_, MAR_, APR_ = (dt.date(2024, i, 1) for i in (1, 2, 3, 4))
HOSTILE = "x' OR 1=1 --"

#          id    portfolio rag            end_date      bac
PROJECTS = {
    FEB: [("D1", "Alpha", "amber", "2024-06-30", 100_000), ("D2", "Beta", "green", "2024-09-30", 10_000),
          ("D5", "Beta", "green", "2024-12-31", 50_000), ("D3", "Beta", "green", "2024-05-31", 1_000)],
    MAR: [("D1", "Alpha", "red", "2024-07-30", 100_000), ("D2", "Beta", "green", "2024-09-30", 10_000),
          ("D5", "Beta", "amber_green", "2024-12-21", 50_000), ("D4", "Alpha", "green", "2025-01-31", 2_000)],
}
#         project period budget forecast consumed
LINES = {
    FEB: [("D1", JAN_, 10_000, 10_000, 10_000), ("D1", FEB_, 10_000, 10_000, 10_000),
          ("D1", MAR_, 80_000, 80_000, 0),
          ("D2", JAN_, 10_000, 10_000, 5_000), ("D5", JAN_, 50_000, 50_000, 10_000)],
    MAR: [("D1", JAN_, 10_000, 10_000, 10_000), ("D1", FEB_, 10_000, 10_000, 10_000),
          ("D1", MAR_, 10_000, 12_500, 12_500), ("D1", APR_, 70_000, 79_500, 0),
          ("D2", JAN_, 10_000, 10_000, 5_000), ("D5", JAN_, 50_000, 47_000, 10_000)],
}
PROGRESS = {
    FEB: [("D1", FEB_, 20), ("D2", JAN_, 50), ("D5", JAN_, 20)],
    MAR: [("D1", FEB_, 20), ("D1", MAR_, 25), ("D2", JAN_, 50), ("D5", JAN_, 20)],
}
#        risk  project prob   cost   status
RISKS = {
    FEB: [("R1", "D1", 0.5, 100_000, "open"), ("R2", "D1", 0.2, 50_000, "open"),
          ("R5", "D1", 0.1, 10_000, "open"), ("R4", "D2", 0.5, 2_000, "open")],
    MAR: [("R1", "D1", 0.3, 100_000, "mitigating"), ("R2", "D1", 0.2, 50_000, "closed"),
          ("R3", "D1", 0.8, 50_000, "open"), ("R4", "D2", 0.5, 2_000, "open")],
}
#             project id    baseline      forecast      actual
MILESTONES = {
    FEB: [("D1", "M1", "2024-04-20", "2024-05-01", None), ("D1", "M2", "2024-06-01", "2024-06-01", None),
          ("D1", "M3", "2024-03-01", "2024-03-10", None), ("D2", "M1", "2024-04-10", "2024-04-10", None)],
    MAR: [("D1", "M1", "2024-04-20", "2024-05-15", None), ("D1", "M2", "2024-06-01", "2024-06-01", None),
          ("D1", "M3", "2024-03-01", "2024-03-10", "2024-03-12"),  # achieved later than forecast
          ("D2", "M1", "2024-04-10", "2024-04-05", None)],
}


@pytest.fixture(scope="module")
def con():
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for snap in (FEB, MAR):
        c.execute("INSERT INTO loads (as_of, loaded_at, files, warnings, checksum) "
                  "VALUES (?, TIMESTAMP '2024-04-01 09:00', 'test', 0, 'x')", [snap])
        c.executemany("INSERT INTO projects (as_of, project_id, name, portfolio, status, rag, end_date, bac) "
                      "VALUES (?, ?, ?, ?, 'active', ?, ?, ?)",
                      [(snap, pid, f"Project {pid}", *rest) for pid, *rest in PROJECTS[snap]])
        c.executemany("INSERT INTO budget_lines (as_of, project_id, period, category, budget, forecast, "
                      "committed, consumed) VALUES (?, ?, ?, 'labour', ?, ?, 0, ?)",
                      [(snap, *r) for r in LINES[snap]])
        c.executemany("INSERT INTO progress (as_of, project_id, period, percent_complete) VALUES (?, ?, ?, ?)",
                      [(snap, *r) for r in PROGRESS[snap]])
        c.executemany("INSERT INTO risks (as_of, risk_id, project_id, title, probability, impact, impact_cost, "
                      "status, raised_date, closed_date) VALUES (?, ?, ?, ?, ?, 3, ?, ?, '2024-01-15', ?)",
                      [(snap, rid, pid, f"Risk {rid}", p, cost, status,
                        "2024-03-20" if status == "closed" else None)
                       for rid, pid, p, cost, status in RISKS[snap]])
        c.executemany("INSERT INTO milestones (as_of, project_id, milestone_id, name, baseline_date, "
                      "forecast_date, actual_date) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [(snap, pid, mid, f"Milestone {mid}", *rest) for pid, mid, *rest in MILESTONES[snap]])
    summaries.refresh(c)  # as publishing a snapshot does
    yield c
    c.close()


def rows(df):
    """{(project_id, measure): (before, after, change, change_pct, direction)} with rounded numbers."""
    out = {}
    for r in df.itertuples():
        pct = None if pd.isna(r.change_pct) else round(r.change_pct, 2)
        change = None if pd.isna(r.change) else round(r.change, 2)
        direction = None if pd.isna(r.direction) else r.direction
        before = None if pd.isna(r.before) else r.before
        after = None if pd.isna(r.after) else r.after
        out[(r.project_id, r.measure)] = (before, after, change, pct, direction)
    return out


def test_drift_with_known_changes(con):
    df = m.drift(con)
    assert list(df.columns) == list(m.COLUMNS)
    assert set(df.as_of) == {pd.Timestamp(MAR)} and set(df.previous) == {pd.Timestamp(FEB)}
    got = rows(df)
    assert got == {
        ("D3", "project"): ("present", "absent", None, None, None),
        ("D4", "project"): ("absent", "present", None, None, None),
        ("D1", "forecast"): ("100,000.00", "112,000.00", 12_000, 12.0, "worse"),
        ("D5", "forecast"): ("50,000.00", "47,000.00", -3_000, -6.0, "better"),
        ("D1", "eac"): ("100,000.00", "130,000.00", 30_000, 30.0, "worse"),
        ("D1", "end_date"): ("2024-06-30", "2024-07-30", 30, None, "worse"),
        ("D5", "end_date"): ("2024-12-31", "2024-12-21", -10, None, "better"),
        ("D1", "rag"): ("amber", "red", 2, None, "worse"),
        ("D5", "rag"): ("green", "amber_green", 1, None, "worse"),
        ("D1", "risk_emv"): ("61,000.00", "70,000.00", 9_000, 14.75, "worse"),
        ("D1", "top_risk"): ("R1: Risk R1", "R3: Risk R3", -10_000, None, "better"),
    }
    assert "D2" not in set(df.project_id)  # unchanged projects do not appear
    # sorted by measure (MEASURES order), then by absolute change
    assert list(dict.fromkeys(df.measure)) == [x for x in m.MEASURES if x in set(df.measure)]
    assert list(df[df.measure == "forecast"].project_id) == ["D1", "D5"]
    assert list(df[df.measure == "end_date"].project_id) == ["D1", "D5"]


def test_explicit_snapshots(con):
    pd.testing.assert_frame_equal(m.drift(con, as_of="2024-03", previous="2024-02"), m.drift(con))
    backwards = rows(m.drift(con, as_of="2024-02", previous="2024-03"))  # comparing the other way round
    assert backwards[("D1", "forecast")][2] == -12_000 and backwards[("D4", "project")][:2] == ("present", "absent")
    assert m.drift(con, as_of="2024-02").empty  # nothing earlier to compare with
    assert m.drift(con, previous="2023-12").empty  # not loaded
    assert list(m.drift(con, as_of="2030-01").columns) == list(m.COLUMNS)
    assert m.drift(con, as_of="2024-03", previous="2024-03").empty  # a snapshot against itself


def test_top_keeps_the_largest_per_measure(con):
    df = m.drift(con, top=1)
    assert df.groupby("measure").size().to_dict() == {
        "project": 1, "forecast": 1, "eac": 1, "end_date": 1, "rag": 1, "risk_emv": 1, "top_risk": 1}
    assert set(df[df.measure != "project"].project_id) == {"D1"}
    assert m.drift(con, top=0).empty
    for bad in (-1, "3", 1.5, True):
        with pytest.raises(UsageError):
            m.drift(con, top=bad)


def test_filters(con):
    beta = rows(m.drift(con, portfolio="Beta"))
    assert set(beta) == {("D3", "project"), ("D5", "forecast"), ("D5", "end_date"), ("D5", "rag")}
    assert set(rows(m.drift(con, project_ids=["D4"]))) == {("D4", "project")}
    for kw in ({"portfolio": HOSTILE}, {"project_ids": [HOSTILE]}, {"program": HOSTILE}):
        df = m.drift(con, **kw)
        assert df.empty and list(df.columns) == list(m.COLUMNS)
        assert m.new_risks(con, **kw).empty and m.closed_risks(con, **kw).empty
        assert m.slipped_milestones(con, **kw).empty
    assert list(m.new_risks(con, portfolio=HOSTILE).columns) == list(m.NEW_RISK_COLUMNS)


def test_new_risks(con):
    df = m.new_risks(con)
    assert list(df.columns) == list(m.NEW_RISK_COLUMNS)
    assert list(df.risk_id) == ["R3"]
    r = df.iloc[0]
    assert (r.project_id, r.status, r.emv, r.score) == ("D1", "open", pytest.approx(40_000), 12)  # band 4 x impact 3
    assert m.new_risks(con, portfolio="Beta").empty


def test_closed_risks(con):
    df = m.closed_risks(con)
    assert list(df.columns) == list(m.CLOSED_RISK_COLUMNS)
    assert list(df.risk_id) == ["R2", "R5"]  # largest EMV first; R1 is mitigated, not closed
    r2, r5 = df.iloc[0], df.iloc[1]
    assert (r2.status_before, r2.status_after, r2.emv_before) == ("open", "closed", pytest.approx(10_000))
    assert r2.closed_date == pd.Timestamp("2024-03-20")
    assert (r5.status_after, r5.emv_before) == ("removed", pytest.approx(1_000))
    assert pd.isna(r5.closed_date)


def test_slipped_milestones(con):
    df = m.slipped_milestones(con)
    assert list(df.columns) == list(m.SLIPPED_COLUMNS)
    assert list(zip(df.project_id, df.milestone_id, df.slip_days)) == [("D1", "M1", 14), ("D1", "M3", 2)]
    m1 = df.iloc[0]
    assert (m1.forecast_before, m1.forecast_after) == (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-15"))
    assert (m1.total_slip_days, m1.state) == (25, "likely_to_miss")  # 04-20 -> 05-15
    assert df.iloc[1].state == "achieved_late"
    assert m.slipped_milestones(con, portfolio="Beta").empty  # D2's milestone moved earlier
