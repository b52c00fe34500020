"""The overview's redraw reads its snapshot once (issue 18): a selection's headline, budget and evm frames
are the whole snapshot's rows of its projects (metrics.portfolio.Snapshot), kept per database file and
month (ui.reading.SharedReads.cached); a snapshot published since is read again, never served stale."""
from __future__ import annotations

import csv
import shutil

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from pmo_analytics import metrics
from pmo_analytics.metrics.portfolio import Snapshot, headline
from pmo_analytics.present.format import money
from pmo_analytics.store.connection import connect
from pmo_analytics.ui import dashboards


def selections(con, as_of) -> list[dict]:
    """No filter, each portfolio, program, department and project of the month, a list of projects,
    a portfolio that is not there and an empty project list."""
    projects = metrics.snapshot_projects(con, as_of)
    chosen = [{}]
    for column in ("portfolio", "program", "department"):
        chosen += [{column: v} for v in sorted(projects[column].dropna().unique())]
    chosen += [{"project_ids": v} for v in projects["project_id"]]
    return chosen + [{"project_ids": list(projects["project_id"][:5])}, {"portfolio": "not a portfolio"},
                     {"project_ids": []}, {"portfolio": "Infrastructure", "department": "Estates"}]


@pytest.mark.parametrize("as_of", ["2025-11", "2026-10"])
def test_a_selection_of_the_snapshot_is_what_the_metrics_read_for_it(demo_db, as_of):
    """Same rows, order, index and dtypes as budget_variance, evm and headline with the filters."""
    with connect(demo_db) as con:
        whole = Snapshot(con, as_of)
        for chosen in selections(con, as_of):
            f = {"as_of": as_of, **chosen}
            got = whole.select(**chosen)
            budget = metrics.budget_variance(con, **f)
            pd.testing.assert_frame_equal(got["budget"], budget)
            pd.testing.assert_frame_equal(got["evm"], metrics.evm(con, **f))
            pd.testing.assert_frame_equal(got["headline"], headline(con, **f, budget=budget))


def test_a_selection_of_a_real_snapshot_with_missing_values_keeps_the_metrics_dtypes(uk_2023_db):
    """The UK GMPP export leaves many cells blank: a column that holds a missing value only outside the
    selection comes back with the dtype a query of the selection gives (int64, not Int64)."""
    with connect(uk_2023_db) as con:
        whole = Snapshot(con, "2023-03")
        for chosen in selections(con, "2023-03")[:40]:
            f = {"as_of": "2023-03", **chosen}
            got = whole.select(**chosen)
            budget = metrics.budget_variance(con, **f)
            pd.testing.assert_frame_equal(got["budget"], budget)
            pd.testing.assert_frame_equal(got["evm"], metrics.evm(con, **f))
            pd.testing.assert_frame_equal(got["headline"], headline(con, **f, budget=budget))


def budget_lines_plus(source, target, project_id: str, extra: float) -> None:
    """The export's budget_lines.csv with `extra` more budget on the first line of `project_id`."""
    with open(source, newline="") as f:
        rows = list(csv.DictReader(f))
    line = next(r for r in rows if r["project_id"] == project_id)
    line["budget"] = f"{float(line['budget']) + extra:.2f}"
    with open(target, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_month_published_again_is_read_again_not_served_from_the_cache(demo_db, tmp_path):
    """The overview shows Infrastructure, then All portfolios (the month's frames are now kept); the
    month is published again with 1,000,000.00 more budget on one Infrastructure project (os.replace:
    a new file); choosing Infrastructure again shows the new total, not the kept one."""
    from pmo_analytics.snapshots import loading as snapshots

    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, db)
    bar, _header = dashboards._start(db, "2026-10")
    head, kpis = dashboards.HeadlineView(bar), dashboards.KpiTilesView(bar)
    bar.portfolio.value = "Infrastructure"
    bar.flush()
    before = float(head.frames["headline"]["budget"].iloc[0])
    kpis_before = kpis.frames["kpis"]
    bar.portfolio.value = ""
    bar.flush()
    with connect(db) as con:
        infra = metrics.snapshot_projects(con, "2026-10").query("portfolio == 'Infrastructure'")
        live = con.sql("SELECT project_id FROM projects WHERE as_of = DATE '2026-10-31' AND status = 'active' "
                       "AND portfolio = 'Infrastructure' ORDER BY project_id LIMIT 1").fetchall()[0][0]
    assert live in set(infra["project_id"])
    export = tmp_path / "export"
    export.mkdir()
    budget_lines_plus(demo_db.parent / "sample" / "2026-10" / "budget_lines.csv", export / "budget_lines.csv",
                      live, 1_000_000.0)
    snapshots.load([export / "budget_lines.csv"], "2026-10", database=db)

    bar.portfolio.value = "Infrastructure"
    bar.flush()
    after = float(head.frames["headline"]["budget"].iloc[0])
    assert after == pytest.approx(before + 1_000_000.0, abs=0.005)
    assert money(after, "GBP") != money(before, "GBP") and money(after, "GBP") in head.tiles.value
    assert kpis.frames["kpis"] is not kpis_before  # the KPIs were read again from the new file
    with connect(db) as con:
        pd.testing.assert_frame_equal(kpis.frames["kpis"], metrics.kpis(con, as_of="2026-10",
                                                                         portfolio="Infrastructure"))


def test_the_same_file_and_month_is_read_once(demo_db, tmp_path, monkeypatch):
    """Back to a portfolio already shown: nothing is read again for the headline's frames."""
    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, db)
    built = []
    original = Snapshot.__init__

    def counting(self, con, as_of=None):
        built.append(as_of)
        original(self, con, as_of)

    monkeypatch.setattr(Snapshot, "__init__", counting)
    bar, _header = dashboards._start(db, "2026-10")
    head = dashboards.HeadlineView(bar)
    for portfolio in ("Infrastructure", "Customer Operations", "", "Infrastructure"):
        bar.portfolio.value = portfolio
        bar.flush()
    bar.month.value = "2026-09"
    bar.flush()
    assert built == ["2026-10", "2026-09"]
    assert head.frames["headline"]["as_of"].iloc[0] == pd.Timestamp("2026-09-30").date()


@pytest.mark.parametrize("by", ["portfolio", "program", "department"])
def test_every_groups_kpis_in_one_query_are_each_groups_kpis(demo_db, by):
    """improvement.kpis_by: one frame per value of the month, as kpis() filtered to it gives (the same
    rows, ratings and trends; values to the last few bits: DuckDB may add the same numbers in
    another order)."""
    from pmo_analytics.metrics import improvement

    with connect(demo_db) as con:
        for as_of in ("2025-12", "2026-10"):
            grouped = improvement.kpis_by(con, as_of, by)
            values = sorted(metrics.snapshot_projects(con, as_of)[by].dropna().unique())
            assert sorted(grouped) == values
            for value in values:
                pd.testing.assert_frame_equal(grouped[value], improvement.kpis(con, as_of=as_of, **{by: value}),
                                              check_exact=False, rtol=1e-12, atol=1e-12)


def tiny_db(path, x: int) -> None:
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.sql(f"CREATE TABLE t AS SELECT {x} AS x")


def test_a_file_swapped_in_during_a_redraw_is_read_whole_by_that_redraw(tmp_path):
    """A redraw takes 'a' from the cache (file 1); a publish swaps in file 2 before the redraw opens its
    connection for 'b': on_torn is called and from then on the redraw reads file 2, 'a' included."""
    from pmo_analytics.ui.reading import SharedReads

    db, new = tmp_path / "pmo.duckdb", tmp_path / "new.duckdb"
    tiny_db(db, 1)
    tiny_db(new, 2)
    reads, torn = SharedReads(db), []
    reads.on_torn = lambda: torn.append(True)

    def x(con):
        return con.sql("SELECT x FROM t").fetchall()[0][0]

    assert reads.cached("a", x) == 1
    with reads.redraw():
        assert reads.cached("a", x) == 1 and not torn  # kept: no connection opened
        shutil.move(new, db)  # os.replace, as a publish does
        assert reads.cached("b", x) == 2
        assert torn == [True]
        assert reads.cached("a", x) == 2
    assert reads.cached("a", x) == 2 and reads.cached("b", x) == 2


def test_a_lone_change_after_quiet_redraws_at_once_and_a_stream_after_it_waits():
    """Redraws with a 10 s delay on a running loop: the first request runs as soon as the loop is free
    (not 10 s later); requests that follow it within the delay wait and cost one redraw."""
    import asyncio

    from pmo_analytics.ui.redraws import Redraws

    async def scenario():
        redraws, ran = Redraws(delay=10.0), []
        redraws.request(lambda: ran.append("first"))
        assert redraws.pending and ran == []  # scheduled on the loop, not run inside the request
        for _ in range(3):
            await asyncio.sleep(0)
        assert ran == ["first"] and not redraws.pending
        def stream():
            ran.append("stream")

        for _ in range(5):
            redraws.request(stream)  # merged: one pending redraw
        for _ in range(3):
            await asyncio.sleep(0)
        assert ran == ["first"] and redraws.pending  # within the delay after a redraw: it waits
        redraws.flush()
        assert ran == ["first", "stream"]

    asyncio.run(scenario())
