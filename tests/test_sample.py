"""The synthetic portfolio generator: files follow the contract and tell a consistent story."""
from __future__ import annotations

import datetime as dt
import filecmp
import itertools

import pandas as pd
import pytest

from pmo_analytics.contract import TABLES
from pmo_analytics.demo.sample import FILES, write_sample

SMALL = {"projects": 12, "months": 4, "seed": 3, "end": "2026-10"}
DATES = {name: [c.name for c in t.columns if c.type == "DATE"] for name, t in TABLES.items()}


def read(folder, name: str) -> pd.DataFrame:
    df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])
    for col in DATES[name]:
        df[col] = pd.to_datetime(df[col], format="%Y-%m-%d")
    for col in TABLES[name].columns:
        if col.type in ("DOUBLE", "INTEGER"):
            df[col.name] = pd.to_numeric(df[col.name])
    return df


def read_all(folder) -> dict[str, pd.DataFrame]:
    return {name: read(folder, name) for name in TABLES}


def cents(series: pd.Series) -> pd.Series:
    return (series * 100).round().astype("int64")


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    out = tmp_path_factory.mktemp("flat")
    written = write_sample(out, **SMALL)
    return out, written


@pytest.fixture(scope="module")
def hist(tmp_path_factory):
    out = tmp_path_factory.mktemp("hist")
    messages = []
    written = write_sample(out, history=True, progress=messages.append, **SMALL)
    return out, written, messages


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    written = write_sample(out)  # the demo size: 60 projects, 12 months
    return out, written


def test_flat_writes_seven_files_and_returns_the_snapshot(flat):
    out, written = flat
    assert written == [(dt.date(2026, 10, 31), out)]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_headers_are_the_contract_columns_in_order(flat):
    out, _ = flat
    for name, table in TABLES.items():
        header = (out / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == table.column_names, name


def test_files_are_plain_iso_csv(flat):
    out, _ = flat
    text = (out / "budget_lines.csv").read_text(encoding="utf-8")
    assert "\r" not in text and ";" not in text
    first = text.splitlines()[1].split(",")
    dt.date.fromisoformat(first[1])
    assert all(len(v.split(".")[1]) == 2 for v in first[3:])  # money in cents


def test_deterministic_and_seed_dependent(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_sample(a, **SMALL)
    write_sample(b, **SMALL)
    write_sample(c, **{**SMALL, "seed": SMALL["seed"] + 1})
    for f in FILES:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in FILES)


def test_counts(flat):
    out, _ = flat
    data = read_all(out)
    assert len(data["projects"]) == SMALL["projects"]
    assert len(data["resources"]) == 2 * SMALL["projects"]
    assert list(data["projects"].project_id) == [f"PRJ-{i:04d}" for i in range(1, 13)]
    for name in ("budget_lines", "progress", "allocations", "risks", "milestones"):
        assert len(data[name]) > 0, name


def test_people_argument(tmp_path):
    write_sample(tmp_path, projects=5, months=2, people=7)
    assert len(read(tmp_path, "resources")) == 7


def check_snapshot(folder, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """Every invariant a single snapshot must satisfy; returns the tables."""
    data = read_all(folder)
    day = pd.Timestamp(as_of)
    projects = data["projects"]
    for name, table in TABLES.items():
        df = data[name]
        assert not df.duplicated(list(table.key)).any(), f"{name}: duplicate key"
        for col in table.columns:
            if col.required:
                assert df[col.name].notna().all(), f"{name}.{col.name} has blanks"
            if col.allowed:
                assert set(df[col.name].dropna()) <= set(col.allowed), f"{name}.{col.name}"
            if col.minimum is not None and col.type != "TEXT":
                assert (df[col.name].dropna() >= col.minimum).all(), f"{name}.{col.name}"
            if col.maximum is not None and col.type != "TEXT":
                assert (df[col.name].dropna() <= col.maximum).all(), f"{name}.{col.name}"
            if col.references:
                ref_table, ref_col = col.references.split(".")
                assert set(df[col.name]) <= set(data[ref_table][ref_col]), f"{name}.{col.name}"
            if col.align == "month":
                assert (df[col.name].dt.day == 1).all()
            if col.align == "week":
                assert (df[col.name].dt.day_of_week == 0).all()
    assert set(projects.currency) == {"GBP"}

    # money: bac is the sum of the budget lines, to the cent
    bl = data["budget_lines"]
    assert (bl[["budget", "forecast", "committed", "consumed"]] >= 0).all().all()
    per_project = bl.assign(c=cents(bl.budget)).groupby("project_id").c.sum()
    bac = projects.set_index("project_id").bac.pipe(cents)
    assert per_project.reindex(bac.index).fillna(0).astype("int64").equals(bac)
    past = bl.period <= day.replace(day=1)
    assert (bl.loc[past, "forecast"] == bl.loc[past, "consumed"]).all()
    assert (bl.loc[past, "committed"] == 0).all()
    assert (bl.loc[~past, "consumed"] == 0).all()
    assert (bl.loc[~past, "committed"] <= bl.loc[~past, "forecast"]).all()

    # statuses consistent with dates
    planned = projects.status == "planned"
    assert (projects.loc[planned, "start_date"] > day).all()
    assert (projects.loc[~planned, "start_date"] <= day).all()
    assert (projects.loc[projects.status == "closed", "end_date"] <= day).all()
    running = projects.status.isin(["active", "on_hold"])
    assert (projects.start_date <= projects.baseline_end_date).all()
    assert (projects.loc[running, "end_date"] >= projects.loc[running, "start_date"]).all()
    assert projects.loc[projects.status != "cancelled", "rag"].notna().all()

    # progress: 0-100, non-decreasing, nothing in the future, nothing for unstarted projects
    pg = data["progress"].sort_values(["project_id", "period"])
    assert pg.percent_complete.between(0, 100).all()
    assert (pg.groupby("project_id").percent_complete.diff().dropna() >= 0).all()
    assert (pg.period <= day).all()
    assert set(pg.project_id) <= set(projects.project_id[~planned])
    latest = pg.groupby("project_id").percent_complete.last()
    closed = projects.set_index("project_id").status == "closed"
    assert (latest[closed[closed].index] == 100).all()

    # allocations: weeks around the month end, actuals only for weeks already ended
    al = data["allocations"].merge(projects[["project_id", "start_date", "end_date"]], on="project_id")
    assert (al.week >= day - pd.Timedelta(days=91)).all() and (al.week <= day + pd.Timedelta(days=91)).all()
    ended = al.week + pd.Timedelta(days=6) <= day
    assert al.loc[ended, "actual_hours"].notna().all()
    assert al.loc[~ended, "actual_hours"].isna().all()
    assert (al.week + pd.Timedelta(days=6) >= al.start_date).all()
    assert (al.week <= al.end_date).all()
    assert (al.planned_hours > 0).all()

    # risks: raised by the snapshot date; closed_date exactly for closed risks
    rk = data["risks"]
    assert (rk.raised_date <= day).all()
    assert rk.probability.between(0.1, 0.9).all()
    assert rk.closed_date.notna().eq(rk.status == "closed").all()
    assert (rk.loc[rk.closed_date.notna(), "closed_date"] <= day).all()
    assert rk.groupby("project_id").size().between(1, 10).all()

    # milestones: achieved on or before the snapshot date, forecast = actual once achieved
    ms = data["milestones"]
    assert (ms.actual_date.dropna() <= day).all()
    done = ms.actual_date.notna()
    assert (ms.loc[done, "forecast_date"] == ms.loc[done, "actual_date"]).all()
    assert (ms.loc[~done & ms.forecast_date.notna(), "forecast_date"] > day).all()
    assert ms.groupby("project_id").size().between(3, 8).all()
    return data


def test_flat_snapshot_invariants(flat):
    out, written = flat
    check_snapshot(out, written[0][0])


def test_history_writes_one_folder_per_month(hist):
    out, written, messages = hist
    assert [d for d, _ in written] == [dt.date(2026, 7, 31), dt.date(2026, 8, 31),
                                       dt.date(2026, 9, 30), dt.date(2026, 10, 31)]
    assert sorted(p.name for p in out.iterdir()) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert [f.name for _, f in written] == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert not (out / "projects.csv").exists()
    assert len(messages) == 4
    for as_of, folder in written:
        assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
        check_snapshot(folder, as_of)


def test_flat_equals_last_history_folder(flat, hist):
    out, _ = flat
    _, written, _ = hist
    _, mismatch, errors = filecmp.cmpfiles(out, written[-1][1], FILES, shallow=False)
    assert mismatch == [] and errors == []


def test_history_repeats_the_past(hist):
    _, written, _ = hist
    snaps = [(pd.Timestamp(d), read_all(f)) for d, f in written]
    for (d0, a), (_, b) in itertools.pairwise(snaps):
        month0 = d0.replace(day=1)
        # actual spend up to the earlier snapshot month is repeated exactly
        key = ["project_id", "period", "category"]
        pa_ = a["budget_lines"].loc[a["budget_lines"].period <= month0].set_index(key)
        pb_ = b["budget_lines"].loc[b["budget_lines"].period <= month0].set_index(key)
        assert pa_.index.sort_values().equals(pb_.index.sort_values())
        assert pa_.consumed.equals(pb_.consumed.reindex(pa_.index))
        assert pa_.budget.equals(pb_.budget.reindex(pa_.index))
        # progress history too
        ga = a["progress"].set_index(["project_id", "period"]).percent_complete
        gb = b["progress"].set_index(["project_id", "period"]).percent_complete
        assert gb.reindex(ga.index).equals(ga)
        # the budget baseline and the portfolio's fixed facts never change
        fixed = ["project_id", "name", "portfolio", "start_date", "baseline_end_date", "bac"]
        merged = a["projects"][fixed].merge(b["projects"][fixed], on="project_id", suffixes=("", "_b"))
        assert len(merged) == len(a["projects"])  # no project disappears
        for col in fixed[1:]:
            assert (merged[col] == merged[col + "_b"]).all(), col
        assert a["resources"].equals(b["resources"])
        # achieved milestones keep their date; risks are never dropped
        ma = a["milestones"].dropna(subset=["actual_date"]).set_index(["project_id", "milestone_id"])
        mb = b["milestones"].set_index(["project_id", "milestone_id"])
        assert mb.actual_date.reindex(ma.index).equals(ma.actual_date)
        assert set(a["risks"].risk_id) <= set(b["risks"].risk_id)
        # booked hours of weeks ended by the earlier snapshot are repeated
        ka = ["resource_id", "project_id", "week"]
        aa = a["allocations"].dropna(subset=["actual_hours"]).set_index(ka)
        ab = b["allocations"].set_index(ka)
        common = aa.index.intersection(ab.index)
        assert len(common) > 0
        assert ab.actual_hours.reindex(common).equals(aa.actual_hours.reindex(common))
        assert ab.planned_hours.reindex(common).equals(aa.planned_hours.reindex(common))


def test_demo_size_has_troubled_projects_and_overloads(demo):
    out, written = demo
    data = check_snapshot(out, written[0][0])
    projects = data["projects"].set_index("project_id")
    assert len(projects) == 60 and len(data["resources"]) == 120
    spend = data["budget_lines"].groupby("project_id").consumed.sum()
    pct = data["progress"].sort_values("period").groupby("project_id").percent_complete.last()
    ev = (pct / 100 * projects.bac).reindex(spend.index).fillna(0)
    assert ((spend > 1.05 * ev) & (spend > 0)).sum() >= 5, "cost overruns"
    assert (projects.end_date > projects.baseline_end_date + pd.Timedelta(days=60)).sum() >= 3, "slippers"
    forecast = data["budget_lines"].groupby("project_id").forecast.sum()
    assert (forecast > 1.1 * projects.bac.reindex(forecast.index)).sum() >= 3, "forecast overruns"
    al = data["allocations"].merge(data["resources"][["resource_id", "weekly_capacity_hours"]])
    week = al.groupby(["resource_id", "week"]).agg(h=("planned_hours", "sum"), cap=("weekly_capacity_hours", "first"))
    assert (week.h > week.cap).any(), "no over-allocated resource-week"
    assert (week.h / week.cap).median() >= 0.6
    assert {"active", "closed", "planned"} <= set(projects.status)
    assert len(set(projects.rag.dropna())) >= 3
    assert set(data["risks"].status) >= {"open", "mitigating", "closed"}
    assert projects.portfolio.nunique() == 3 and projects.department.nunique() >= 4
    assert data["resources"].team.nunique() >= 10


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        write_sample(tmp_path, projects=0)
    with pytest.raises(ValueError):
        write_sample(tmp_path, end="October")


def test_one_project_one_month(tmp_path):
    written = write_sample(tmp_path, projects=1, months=1, people=1)
    data = read_all(tmp_path)
    assert len(data["projects"]) == 1 and len(data["resources"]) == 1
    check_snapshot(tmp_path, written[0][0])


@pytest.mark.parametrize("window", [{"months": 12, "end": "2026-10"}, {"months": 3, "end": "2026-06"},
                                    {"months": 24, "end": "2027-03"}], ids=["demo", "ending-there", "longer-later"])
def test_a_month_is_the_same_whatever_window_it_is_written_in(tmp_path, window):
    """Issue 13: month M of the sample does not depend on --months or --end, so "next month" can be
    written later (`pmo sample --months 1 --end 2026-11`) and loaded after the demo's twelve."""
    reference = tmp_path / "reference"
    [(as_of, june)] = write_sample(reference, projects=20, months=1, seed=7, end="2026-06")
    written = dict(write_sample(tmp_path / "window", projects=20, seed=7, history=True, **window))
    assert as_of == dt.date(2026, 6, 30)
    match, mismatch, errors = filecmp.cmpfiles(june, written[as_of], FILES, shallow=False)
    assert (mismatch, errors) == ([], []) and sorted(match) == sorted(FILES)


def test_the_month_after_the_demo_continues_it(tmp_path):
    """2026-11 written on its own carries 2026-10's past forward: the projects of October are still there
    (none vanish) and their actual spend up to October is unchanged."""
    [(_, october)] = write_sample(tmp_path / "oct", projects=20, months=1, seed=7, end="2026-10")
    [(_, november)] = write_sample(tmp_path / "nov", projects=20, months=1, seed=7, end="2026-11")
    before, after = read(october, "projects"), read(november, "projects")
    assert set(before.project_id) <= set(after.project_id)
    spent = {name: read(folder, "budget_lines") for name, folder in (("oct", october), ("nov", november))}
    past = [s[s.period <= pd.Timestamp("2026-10-01")].set_index(["project_id", "period", "category"])["consumed"]
            for s in (spent["oct"], spent["nov"])]
    assert len(past[0]) > 0
    pd.testing.assert_series_equal(past[0].sort_index(), past[1].reindex(past[0].index).sort_index())
