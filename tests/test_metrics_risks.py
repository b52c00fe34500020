"""Risk metrics, checked against hand-computed values."""
from __future__ import annotations

import pandas as pd
import pytest
from conftest import insert as _insert

from pmo_analytics import contract
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import risks as m
from pmo_analytics.store import connection as db

MAR, FEB = "2024-03-31", "2024-02-29"
HOSTILE = "x' OR 1=1 --"
COLS = ["as_of", "risk_id", "project_id", "title", "probability", "impact", "impact_cost", "status",
        "owner", "raised_date", "due_date", "closed_date", "mitigation"]

# The March snapshot (as_of 2024-03-31). band = ceil(p x 5); score = band x impact; emv = p x cost.
#  id  proj prob band imp  cost       score emv      status      owner raised      age  due        mitig.
#  K1  P1   0.9  5    5    100 000    25    90 000   open        Ann   2024-03-21   10  2024-04-15 plan
#  K2  P1   0.7  4    3     50 000    12    35 000   mitigating  -     2024-01-01   90  2024-03-21 -     (overdue 10 d)
#  K3  P2   0.5  3    3     20 000     9    10 000   open        Bob   2023-10-03  180  -          ''
#  K4  P2   0.3  2    1      5 000     2     1 500   open        Bob   2023-01-01  455  2024-01-31 y     (overdue 60 d)
#  K5  P1   0.9  5    5    200 000    25   180 000   closed      Ann   2023-12-01  121  2024-02-01 z     (closed: ignored)
#  K6  P2   0.1  1    5  1 000 000     5   100 000   open        Cy    2024-03-31    0  2024-06-30 w
#  K7  P2   0.25 2    4     40 000     8    10 000   open        Di    2024-02-01   59  -          v
#  K8  P1   0.5  3    2     10 000     6     5 000   occurred    Ann   2024-02-10   50  -          u     (not active)
#  K9  P1   0.45 3    3     10 000     9     4 500   open        Ann   2024-02-15   45  -          x
# Ages: 2024-01-01 -> 03-31 = 31 + 29 + 30 = 90; 2023-10-03 -> 2024-03-31 = 180;
# 2023-01-01 -> 2024-03-31 = 365 + 90 = 455; 2024-02-01 -> 03-31 = 29 + 30 = 59; 02-15 -> 45.
MARCH = [
    ("K1", "P1", 0.9, 5, 100_000, "open", "Ann", "2024-03-21", "2024-04-15", None, "plan"),
    ("K2", "P1", 0.7, 3, 50_000, "mitigating", None, "2024-01-01", "2024-03-21", None, None),
    ("K3", "P2", 0.5, 3, 20_000, "open", "Bob", "2023-10-03", None, None, ""),
    ("K4", "P2", 0.3, 1, 5_000, "open", "Bob", "2023-01-01", "2024-01-31", None, "y"),
    ("K5", "P1", 0.9, 5, 200_000, "closed", "Ann", "2023-12-01", "2024-02-01", "2024-03-15", "z"),
    ("K6", "P2", 0.1, 5, 1_000_000, "open", "Cy", "2024-03-31", "2024-06-30", None, "w"),
    ("K7", "P2", 0.25, 4, 40_000, "open", "Di", "2024-02-01", None, None, "v"),
    ("K8", "P1", 0.5, 2, 10_000, "occurred", "Ann", "2024-02-10", None, None, "u"),
    ("K9", "P1", 0.45, 3, 10_000, "open", "Ann", "2024-02-15", None, None, "x"),
]
# February snapshot: K2, K3, K4, K7, K9 as in March; K5 and K8 still open; K1 and K6 not yet raised.
FEBRUARY = [r for r in MARCH if r[0] in ("K2", "K3", "K4", "K7", "K9")] + [
    ("K5", "P1", 0.9, 5, 200_000, "open", "Ann", "2023-12-01", "2024-02-01", None, "z"),
    ("K8", "P1", 0.5, 2, 10_000, "open", "Ann", "2024-02-10", None, None, "u"),
]


@pytest.fixture
def con():
    """Projects P1 (Alpha, program PA, dept IT), P2 (Beta, PB, Ops), P3 (Alpha, PA, IT; no risks)."""
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for snap, risks in ((FEB, FEBRUARY), (MAR, MARCH)):
        _insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "checksum"],
                [(snap, "2024-04-01 09:00:00", "test", 0, "x")])
        _insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "program", "department",
                                "status"],
                [(snap, "P1", "Apollo", "Alpha", "PA", "IT", "active"),
                 (snap, "P2", "Borealis", "Beta", "PB", "Ops", "active"),
                 (snap, "P3", "Cygnus", "Alpha", "PA", "IT", "active")])
        _insert(c, "risks", COLS,
                [(snap, rid, pid, f"Risk {rid}", *rest) for rid, pid, *rest in risks])
    yield c
    c.close()


def test_probability_bands():
    c = db.memory()
    got = c.sql(f"""SELECT list({m.BAND} ORDER BY r.probability)
                    FROM (SELECT x::DOUBLE AS probability
                          FROM (VALUES (0.0), (0.1), (0.2), (0.3), (0.5), (0.6), (0.7), (0.9), (1.0))
                               v(x)) r""").fetchall()[0][0]
    assert got == [1, 1, 1, 2, 3, 3, 4, 5, 5]


def test_register_scores_emv_overdue_and_flags(con):
    df = m.risk_register(con).set_index("risk_id")
    assert len(df) == 9
    assert df.loc["K1", "probability_band"] == 5 and df.loc["K1", "score"] == 25
    assert df.loc["K1", "emv"] == pytest.approx(90_000)
    assert df.loc["K2", "score"] == 12 and df.loc["K2", "emv"] == pytest.approx(35_000)
    assert df.loc["K7", "probability_band"] == 2 and df.loc["K7", "score"] == 8
    assert df.loc["K9", "probability_band"] == 3 and df.loc["K9", "emv"] == pytest.approx(4_500)
    assert df.loc["K2", "age_days"] == 90
    assert df.loc["K3", "age_days"] == 180
    assert df.loc["K4", "age_days"] == 455
    assert df.loc["K6", "age_days"] == 0
    # Overdue: active and due before 2024-03-31.
    assert set(df.index[df.overdue]) == {"K2", "K4"}
    assert df.loc["K2", "days_overdue"] == 10
    assert df.loc["K4", "days_overdue"] == 60
    assert pd.isna(df.loc["K1", "days_overdue"])
    assert not df.loc["K5", "overdue"]  # due 02-01 but closed
    assert set(df.index[df.no_owner]) == {"K2"}
    assert set(df.index[df.no_mitigation]) == {"K2", "K3"}  # NULL and ''
    assert set(df.index[~df.active]) == {"K5", "K8"}
    assert df.loc["K1", "project_name"] == "Apollo" and df.loc["K6", "portfolio"] == "Beta"


def test_matrix_counts_and_zeros(con):
    df = m.risk_matrix(con)
    assert list(df.columns) == ["probability_band", "impact", "score", "count", "emv"]
    assert len(df) == 25
    cells = {(r.probability_band, r.impact): (r.count, r.emv) for r in df.itertuples()}
    expected = {  # active risks only: K5 (closed, 5x5) and K8 (occurred) are left out
        (5, 5): (1, 90_000),   # K1
        (4, 3): (1, 35_000),   # K2
        (3, 3): (2, 14_500),   # K3 + K9
        (2, 1): (1, 1_500),    # K4
        (1, 5): (1, 100_000),  # K6
        (2, 4): (1, 10_000),   # K7
    }
    for cell, (count, emv) in cells.items():
        want_count, want_emv = expected.get(cell, (0, 0))
        assert count == want_count, cell
        assert emv == pytest.approx(want_emv), cell
    assert df["count"].sum() == 7
    assert df.set_index(["probability_band", "impact"]).loc[(4, 3), "score"] == 12


def test_matrix_portfolio_filter(con):
    df = m.risk_matrix(con, portfolio="Alpha")  # K1, K2, K9
    assert df["count"].sum() == 3
    assert df.set_index(["probability_band", "impact"]).loc[(3, 3), "count"] == 1
    assert len(m.risk_matrix(con, project_ids="P3")) == 25  # a real project, no risks: 25 zeros
    assert m.risk_matrix(con, project_ids="P3")["count"].sum() == 0


def test_exposure_by_project_and_portfolio(con):
    df = m.risk_exposure(con).set_index("project_id")
    # P1: K1 + K2 + K9. score 25 + 12 + 9 = 46; emv 90 000 + 35 000 + 4 500 = 129 500.
    p1 = df.loc["P1"]
    assert (p1.active_risks, p1.total_score, p1.overdue_risks, p1.no_owner_risks,
            p1.no_mitigation_risks) == (3, 46, 1, 1, 1)
    assert p1.total_emv == pytest.approx(129_500)
    # P2: K3 + K4 + K6 + K7. score 9 + 2 + 5 + 8 = 24; emv 10 000 + 1 500 + 100 000 + 10 000.
    p2 = df.loc["P2"]
    assert (p2.active_risks, p2.total_score, p2.overdue_risks, p2.no_owner_risks,
            p2.no_mitigation_risks) == (4, 24, 1, 0, 1)
    assert p2.total_emv == pytest.approx(121_500)
    assert df.loc["P3", "active_risks"] == 0 and df.loc["P3", "total_emv"] == 0
    assert df.loc["P1", "project_name"] == "Apollo"
    port = m.risk_exposure(con, by="portfolio").set_index("portfolio")
    assert port.loc["Alpha", "active_risks"] == 3  # P3 adds nothing
    assert port.loc["Beta", "total_score"] == 24
    dept = m.risk_exposure(con, by="department", portfolio="Beta")
    assert list(dept.department) == ["Ops"]
    assert list(m.risk_exposure(con, by="program").program) == ["PA", "PB"]  # by total_emv desc


def test_top_risks_order(con):
    df = m.top_risks(con)
    # emv desc; K3 and K7 tie at 10 000, K3 (score 9) before K7 (score 8).
    assert list(df.risk_id) == ["K6", "K1", "K2", "K3", "K7", "K9", "K4"]
    assert list(m.top_risks(con, n=2).risk_id) == ["K6", "K1"]
    assert list(m.top_risks(con, n=3, portfolio="Beta").risk_id) == ["K6", "K3", "K7"]
    with pytest.raises(UsageError):
        m.top_risks(con, n="5; DROP TABLE risks")


def test_ageing_bands(con):
    df = m.risk_ageing(con).set_index("age_band")
    assert list(df.index) == ["0-30", "31-90", "91-180", ">180"]
    # 0-30: K1 (10), K6 (0); 31-90: K2 (90), K7 (59), K9 (45); 91-180: K3 (180); >180: K4 (455).
    assert list(df.risks) == [2, 3, 1, 1]
    assert df.loc["0-30", "mean_age_days"] == pytest.approx(5)
    assert df.loc["31-90", "mean_age_days"] == pytest.approx((90 + 59 + 45) / 3)
    assert df["overall_mean_age_days"].iloc[0] == pytest.approx((10 + 90 + 180 + 455 + 0 + 59 + 45) / 7)
    alpha = m.risk_ageing(con, portfolio="Alpha").set_index("age_band")
    assert list(alpha.risks) == [1, 2, 0, 0]  # K1; K2, K9


def test_exposure_trend_new_and_closed(con):
    df = m.exposure_trend(con)
    assert list(df.as_of.dt.strftime("%Y-%m-%d").unique()) == [FEB, MAR]
    rows = df.set_index([df.as_of.dt.strftime("%Y-%m-%d"), "portfolio"])
    feb_alpha = rows.loc[(FEB, "Alpha")]
    # February, Alpha: K2, K5, K8, K9 all active. emv 35 000 + 180 000 + 5 000 + 4 500.
    assert feb_alpha.active_risks == 4
    assert feb_alpha.total_emv == pytest.approx(224_500)
    assert pd.isna(feb_alpha.new_risks) and pd.isna(feb_alpha.closed_risks)  # first snapshot
    mar_alpha = rows.loc[(MAR, "Alpha")]
    # March, Alpha: K1 is new; K5 closed; K8 occurred; active K1, K2, K9.
    assert (mar_alpha.active_risks, mar_alpha.new_risks, mar_alpha.closed_risks,
            mar_alpha.occurred_risks) == (3, 1, 1, 1)
    assert mar_alpha.total_score == 46
    mar_beta = rows.loc[(MAR, "Beta")]
    # March, Beta: K6 is new; nothing closed; active K3, K4, K6, K7.
    assert (mar_beta.active_risks, mar_beta.new_risks, mar_beta.closed_risks) == (4, 1, 0)
    # Filtering the period still compares March with February.
    march_only = m.exposure_trend(con, period_from="2024-03", by="project").set_index("project_id")
    assert march_only.loc["P1", "new_risks"] == 1 and march_only.loc["P2", "new_risks"] == 1
    assert len(march_only) == 2
    with pytest.raises(UsageError, match="exposure_trend does not take as_of"):  # it spans every snapshot
        m.exposure_trend(con, as_of="2024-02")


def test_as_of_picks_the_snapshot(con):
    feb = m.risk_register(con, as_of="2024-02").set_index("risk_id")
    assert set(feb.index) == {"K2", "K3", "K4", "K5", "K7", "K9", "K8"}
    assert feb.loc["K5", "status"] == "open"
    assert feb.loc["K2", "age_days"] == 59  # 2024-01-01 -> 2024-02-29
    assert not feb.loc["K2", "overdue"]  # due 03-21, after 02-29
    assert m.risk_matrix(con, as_of="2024-02").set_index(["probability_band", "impact"]).loc[
        (5, 5), "count"] == 1  # K5, open in February
    assert m.risk_register(con, as_of="2023-06").empty


def test_hostile_filter_gives_empty_frames(con):
    for fn in (m.risk_register, m.risk_exposure, m.risk_matrix, m.top_risks, m.risk_ageing,
               m.exposure_trend):
        full = fn(con)
        empty = fn(con, portfolio=HOSTILE)
        assert empty.empty, fn.__name__
        assert list(empty.columns) == list(full.columns), fn.__name__
    assert m.risk_register(con, project_ids=[HOSTILE, "P1"]).risk_id.str.startswith("K").all()


def test_invalid_by_raises_usage_error(con):
    with pytest.raises(UsageError):
        m.risk_exposure(con, by="p.name; --")
    with pytest.raises(UsageError):
        m.exposure_trend(con, by="owner")


def test_empty_database():
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    for fn in (m.risk_register, m.risk_exposure, m.risk_matrix, m.top_risks, m.risk_ageing,
               m.exposure_trend):
        assert fn(c).empty, fn.__name__
