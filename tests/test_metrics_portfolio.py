"""Headline numbers on the hand-written canonical snapshot (tests/data/canonical), worked by hand."""
import pandas as pd
import pytest
from conftest import CANONICAL

import pmo_analytics
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.snapshots import loading as snapshots


@pytest.fixture
def con(db_file):
    snapshots.load([CANONICAL], "2025-02", database=db_file)
    with pmo_analytics.connect(db_file) as connection:
        yield connection


def test_headline_by_hand(con):
    h = headline(con).iloc[0]
    # budget: PRJ-001 20,000 + 30,000 + 30,000 + 40,000; PRJ-002 15,000 + 30,000.50 (PRJ-003 has no lines)
    assert h["budget"] == pytest.approx(165000.50)
    # forecast: PRJ-001 21,000 + 33,000 + 35,000 + 45,000 = 134,000 (over budget); PRJ-002 45,000.50
    assert h["forecast"] == pytest.approx(179000.50)
    assert h["variance"] == pytest.approx(14000.0)
    assert h["variance_pct"] == pytest.approx(100 * 14000 / 165000.50)
    assert h["committed"] == pytest.approx(25000.0) and h["consumed"] == pytest.approx(68000.0)
    assert (h["projects"], h["active_projects"], h["over_budget"]) == (3, 2, 1)
    assert (h["rag_amber"], h["rag_green"], h["rag_red"]) == (1, 1, 0)
    # active risks: RSK-01 0.5 x 20,000 + RSK-02 0.3 x 8,000 (RSK-03 is closed)
    assert (h["active_risks"], h["risk_emv"]) == (2, pytest.approx(12400.0))
    # RES-01 plans 30 + 15 = 45 h against 37.5 h in the week of 2025-02-03
    assert h["over_allocated_people"] == 1
    # PRJ-001 M02 forecast 2025-09-10 after its baseline 2025-08-29: likely to miss
    assert h["milestones_slipping"] == 1
    assert h["quality_score"] == 99.2
    assert h["currency"] == "GBP"


def test_headline_follows_filters(con):
    h = headline(con, portfolio="Infrastructure").iloc[0]
    assert (h["projects"], h["budget"], h["active_risks"]) == (1, pytest.approx(45000.50), 0)
    assert headline(con, portfolio="x' OR 1=1 --").empty


def test_headline_is_one_of_the_metrics(demo_db):
    """The README lists headline among the metrics: it is reachable as metrics.headline."""
    import pmo_analytics
    from pmo_analytics import metrics

    with pmo_analytics.connect(demo_db) as con:
        row = metrics.headline(con, as_of="2026-10").iloc[0]
    assert row["projects"] == 60 and row["cancelled"] == 1


def test_a_snapshot_without_a_risk_register_has_no_exposure_not_zero(uk_2023_db):
    """UK GMPP 2023 carries no risk register: exposure and active risks are missing, and the overview's
    tile says why instead of £0 (a green £0 would be a false all-clear). uk_2023.csv is loaded as
    2023-03 with the uk-gmpp profile once per session (conftest.uk_2023_db)."""
    from pmo_analytics.present import tiles
    from pmo_analytics.store import connection

    with connection.connect(uk_2023_db) as con:
        h = headline(con).iloc[0]
    assert h["projects"] == 244 and h["active_risks"] is None and pd.isna(h["risk_emv"])
    shown = tiles.headline_tiles(h)
    assert ("<div class='value'>–</div><div class='note'>no risk register in these exports</div>" in shown
            and "£0" not in shown)
