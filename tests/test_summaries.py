"""The per-snapshot summaries: computed at publish time, equal to the raw rows summed independently,
kept by every write path, and rebuilt by `pmo refresh` for a database that predates them."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import sha256

from pmo_analytics import connect, metrics
from pmo_analytics.demo.sample import write_sample
from pmo_analytics.exceptions import DatabaseOutdated
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import schema


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """Three monthly export folders of a 12-project sample."""
    return write_sample(tmp_path_factory.mktemp("exports"), projects=12, months=3, seed=5, history=True)


@pytest.fixture
def loaded(months, tmp_path):
    database = tmp_path / "pmo.duckdb"
    for as_of, folder in months:
        snapshots.load([folder], as_of, database=database)
    return database


def test_project_status_equals_the_raw_rows_summed_in_pandas(loaded, months):
    as_of = months[-1][0]
    with connect(loaded) as con:
        status = con.sql("SELECT * FROM project_status WHERE as_of = ? ORDER BY project_id",
                         params=[as_of]).df().set_index("project_id")
        lines = con.sql("SELECT * FROM budget_lines WHERE as_of = ?", params=[as_of]).df()
        progress = con.sql("SELECT * FROM progress WHERE as_of = ?", params=[as_of]).df()
        projects = con.sql("SELECT project_id FROM projects WHERE as_of = ?", params=[as_of]).df()
    assert sorted(status.index) == sorted(projects.project_id)  # one row per project
    past = lines[lines.period <= pd.Timestamp(as_of)]
    expected = pd.DataFrame({
        "budget": lines.groupby("project_id").budget.sum(),
        "consumed": lines.groupby("project_id").consumed.sum(),
        "pv": past.groupby("project_id").budget.sum(),
        "ac": past.groupby("project_id").consumed.sum(),
        "percent_complete": progress[progress.period <= pd.Timestamp(as_of)].sort_values("period")
                            .groupby("project_id").percent_complete.last(),
    }).reindex(status.index)
    pd.testing.assert_frame_equal(status[expected.columns], expected, check_names=False)
    assert status.pv.notna().sum() > 0 and status.percent_complete.notna().sum() > 0


def test_resource_month_is_the_busiest_week_of_the_snapshot_month(loaded, months):
    as_of = months[-1][0]
    with connect(loaded) as con:
        summary = con.sql("SELECT * FROM resource_month WHERE as_of = ?", params=[as_of]).df()
        alloc = con.sql("SELECT * FROM allocations WHERE as_of = ?", params=[as_of]).df()
    month = alloc[(alloc.week.dt.year == as_of.year) & (alloc.week.dt.month == as_of.month)]
    weekly = month.groupby(["resource_id", "week"]).planned_hours.sum().groupby("resource_id").max()
    got = summary.set_index("resource_id")
    assert sorted(got.index) == sorted(month.resource_id.unique())
    pd.testing.assert_series_equal(got.peak_planned.sort_index(), weekly.sort_index(), check_names=False)
    busy = month[(month.planned_hours.fillna(0) > 0) | (month.actual_hours.fillna(0) > 0)]
    rid = busy.resource_id.iloc[0]
    assert list(got.loc[rid, "projects"]) == sorted(busy[busy.resource_id == rid].project_id.unique())


def test_milestone_history_is_the_trend_joined_and_in_order(loaded, months):
    with connect(loaded) as con:
        history = con.sql("SELECT * FROM milestone_history").df()  # physical order: no ORDER BY
        raw = con.sql("SELECT * FROM milestones").df()
        projects = con.sql("SELECT as_of, project_id, name AS project_name, portfolio FROM projects").df()
    keys = ["project_id", "milestone_id", "as_of"]
    # Loaded month after month: the first month's rows, then each newer month's appended, each in the
    # trend's order (a rewrite of the whole table on every publish cost 0.3-0.5 s at 36 months).
    appended = [(m, p, i) for p, i, m in history[keys].itertuples(index=False)]
    assert appended == sorted(appended)
    assert history.as_of.nunique() == 3
    assert len(history) == len(raw)
    snaps = sorted(raw.as_of.unique())
    before = raw.assign(as_of=raw.as_of.map(dict(zip(snaps[:-1], snaps[1:]))))
    expected = (raw.merge(before[["as_of", "project_id", "milestone_id", "forecast_date"]],
                          on=["as_of", "project_id", "milestone_id"], how="left", suffixes=("", "_before"))
                .merge(projects, on=["as_of", "project_id"], how="left"))
    expected["change"] = (expected.forecast_date - expected.forecast_date_before).dt.days
    got = history.merge(expected, on=keys, suffixes=("", "_x"))
    assert len(got) == len(raw) and (got.project_name == got.project_name_x).all()
    assert got.forecast_change_days.astype("float").equals(got.change.astype("float"))
    assert got.forecast_change_days.notna().sum() > 0


def test_project_schedule_is_earned_schedule_of_the_active_projects_as_evm_computes_it(loaded, months):
    for as_of, _ in months[1:]:
        with connect(loaded) as con:
            stored = con.sql("SELECT project_id, es, \"at\" FROM project_schedule WHERE as_of = ? ORDER BY 1",
                             params=[as_of]).df().set_index("project_id")
            evm = metrics.evm(con, as_of=as_of).set_index("project_id")
        active = evm[(evm.status == "active") & evm.ev.notna()].sort_index()
        assert len(stored) > 0 and list(stored.index) == list(active.index)
        assert stored.es.astype(float).values == pytest.approx(active.es.astype(float).values, nan_ok=True)
        assert list(stored["at"].astype("Int64")) == list(active["at"].astype("Int64"))


def _physical(database):
    with connect(database) as con:
        history = con.sql("SELECT project_id, milestone_id, as_of FROM milestone_history").fetchall()
        raw = con.sql("SELECT project_id, milestone_id, as_of FROM milestones").fetchall()
    return history, raw


def test_reloading_the_newest_month_replaces_its_rows_and_an_older_one_sorts_the_table_whole(loaded, months):
    (m1, f1), (m2, f2), (m3, f3) = months
    snapshots.load([f3], m3, database=loaded)  # the newest month again: its rows replaced at the end
    history, raw = _physical(loaded)
    assert sorted(history) == sorted(raw) and len(history) == len(raw)
    assert [r[2] for r in history] == sorted(r[2] for r in history)
    snapshots.load([f2], m2, database=loaded)  # an older month: the whole table in the trend's order
    history, raw = _physical(loaded)
    assert history == sorted(raw)


def test_loading_a_month_in_between_recomputes_the_month_after(months, tmp_path):
    database = tmp_path / "pmo.duckdb"
    (m1, f1), (m2, f2), (m3, f3) = months
    snapshots.load([f1], m1, database=database)
    snapshots.load([f3], m3, database=database)
    with connect(database) as con:
        skipped = metrics.milestone_trend(con, period_from=m3)  # March against January
    snapshots.load([f2], m2, database=database)
    with connect(database) as con:
        full = metrics.milestone_trend(con)
        raw = con.sql("SELECT as_of, project_id, milestone_id, forecast_date FROM milestones").df()
    feb = raw[raw.as_of == pd.Timestamp(m2)].drop(columns="as_of")
    march = full[full.as_of == pd.Timestamp(m3)].merge(feb, on=["project_id", "milestone_id"],
                                                        suffixes=("", "_feb"))
    assert ((march.forecast_date - march.forecast_date_feb).dt.days
            .astype("float").equals(march.forecast_change_days.astype("float")))
    now = full[full.as_of == pd.Timestamp(m3)].reset_index(drop=True)
    assert len(skipped) == len(now)
    # March's changes were against January before February was loaded: they differ exactly where
    # January's forecast and February's disagree (a milestone new in February counts too).
    jan = raw[raw.as_of == pd.Timestamp(m1)].drop(columns="as_of")
    both = now[["project_id", "milestone_id"]].merge(jan, how="left", on=["project_id", "milestone_id"]).merge(
        feb, how="left", on=["project_id", "milestone_id"], suffixes=("_jan", "_feb"))
    moved = ~((both.forecast_date_jan == both.forecast_date_feb)
              | (both.forecast_date_jan.isna() & both.forecast_date_feb.isna()))
    assert moved.sum() > 0
    assert (skipped.forecast_change_days.astype("float").fillna(-1)
            != now.forecast_change_days.astype("float").fillna(-1)).sum() == moved.sum()


def test_a_database_without_summaries_says_how_to_fix_it_and_refresh_restores_them(loaded, run):
    with connect(loaded) as con:
        before = metrics.kpis(con)
    with duckdb.connect(str(loaded)) as con:  # as a database written by an older version
        for table in schema.SUMMARY_TABLES:
            con.sql(f"DROP TABLE {table}")
    with connect(loaded) as con, pytest.raises(DatabaseOutdated, match="run `pmo refresh` once"):
        metrics.kpis(con)
    code, out, _ = run("refresh", "--db", loaded)
    assert code == 0 and "3 snapshot(s)" in out
    with connect(loaded) as con:
        pd.testing.assert_frame_equal(metrics.kpis(con), before)


def test_a_summary_of_another_version_is_recomputed_on_the_next_load(months, tmp_path, monkeypatch):
    database = tmp_path / "pmo.duckdb"
    for as_of, folder in months[:2]:
        snapshots.load([folder], as_of, database=database)
    with duckdb.connect(str(database)) as con:
        assert summaries.current(con)
        con.sql("UPDATE project_status SET pv = -1")  # as if computed by an older definition
    monkeypatch.setattr(summaries, "VERSION", summaries.VERSION + 1)
    with connect(database) as con:
        assert not summaries.current(con)
    snapshots.load([months[2][1]], months[2][0], database=database)
    with connect(database) as con:
        assert summaries.current(con)
        assert con.sql("SELECT count(*) FROM project_status WHERE pv = -1").fetchall() == [(0,)]


def test_loading_into_a_database_without_summaries_fills_every_month(months, tmp_path):
    database = tmp_path / "pmo.duckdb"
    for as_of, folder in months[:2]:
        snapshots.load([folder], as_of, database=database)
    with duckdb.connect(str(database)) as con:
        con.sql("DROP TABLE project_status")
    snapshots.load([months[2][1]], months[2][0], database=database)
    with connect(database) as con:
        per_month = con.sql("SELECT as_of, count(*) FROM project_status GROUP BY ALL ORDER BY 1").fetchall()
        projects = con.sql("SELECT as_of, count(*) FROM projects GROUP BY ALL ORDER BY 1").fetchall()
    # one summary row per project of each month (the sample's count grows as projects are approved)
    assert [m for m, _ in per_month] == [m for m, _ in months] and per_month == projects
    assert [n for _, n in projects] == [11, 11, 12]


def test_a_failed_load_leaves_the_summaries_untouched(loaded, months, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "projects.csv").write_text("project_id,name,status\nP-X,Broken,not-a-status\n")
    digest = sha256(loaded)
    with pytest.raises(Exception):
        snapshots.load([bad], months[-1][0], database=loaded)
    assert sha256(loaded) == digest
