"""The FilterBar and the views on the demo portfolio: options, narrowing, redraws, drill-down, errors."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import shutil

import duckdb
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import traitlets

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.metrics import changes as drift_metrics
from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.ui import views as widgets

PORTFOLIO = "Infrastructure"
MONTH = "2026-06"


@pytest.fixture(autouse=True)
def _quiet(capsys):
    """Outside a kernel, display() prints reprs; keep them out of the report and close every figure."""
    yield
    plt.close("all")
    capsys.readouterr()


def read(db, func, *args, **kwargs) -> pd.DataFrame:
    with pmo_analytics.connect(db) as con:
        return func(con, *args, **kwargs)


# The columns each view's table shows a director, written out here (not read from the view).
BUDGET_COLUMNS = ["project_id", "name", "portfolio", "status", "currency", "budget", "forecast", "committed", "consumed",
               "variance", "variance_pct", "over_budget"]
EVM_COLUMNS = ["project_id", "name", "portfolio", "status", "bac", "pv", "ev", "ac", "cpi", "spi_t", "eac", "forecast",
               "eac_gap_pct", "vac", "forecast_finish", "actual_finish"]
RISK_COLUMNS = ["risk_id", "project_id", "project_name", "title", "status", "owner", "probability", "impact", "score",
             "emv", "due_date", "overdue"]
KPI_COLUMNS = ["label", "unit", "value", "target"]  # then rating, direction and coverage in words, no raw keys
DRIFT_COLUMNS = ["project_id", "name", "portfolio", "measure", "before", "after", "change", "change_pct", "direction"]


# What each view's table is, from the metrics functions, for the filters f.
def expected_table(view_class, db, f) -> pd.DataFrame:
    if view_class is widgets.BudgetView:
        frame = read(db, metrics.budget_variance, **f)
        frame = frame.sort_values("variance", ascending=False)[BUDGET_COLUMNS]
    elif view_class is widgets.EvmView:
        frame = read(db, metrics.evm, **f).sort_values(["cpi", "project_id"])[EVM_COLUMNS]
    elif view_class is widgets.ResourceView:
        frame = read(db, metrics.over_allocations, **f)
    elif view_class is widgets.RiskView:
        frame = read(db, metrics.top_risks, n=15, **f)[RISK_COLUMNS]
    elif view_class is widgets.MilestoneView:
        frame = read(db, metrics.milestone_summary, by="project", **f).sort_values(
            ["max_slip_days", "project_id"], ascending=[False, True])
    elif view_class is widgets.KpiView:
        frame = read(db, kpi_metrics.kpis, **f)
        frame = frame[frame["as_of"] == frame["as_of"].max()][KPI_COLUMNS]
    else:  # DriftView: the chosen month against the snapshot before it, forecast changes
        frame = read(db, drift_metrics.drift, **f)
        frame = frame[frame["measure"] == "forecast"][DRIFT_COLUMNS]
    return frame.reset_index(drop=True)


def test_filter_bar_reads_its_options_from_the_database(demo_db):
    bar = widgets.FilterBar(demo_db)
    months = [v for _, v in bar.month.options]
    assert len(months) == 12 and months[0] == "2026-10" and months[-1] == "2025-11"
    assert bar.month.value == "2026-10"
    assert [v for _, v in bar.portfolio.options] == ["", "Customer Operations", "Digital Transformation",
                                                      "Infrastructure"]
    assert len(bar.project.options) == 1 + 60
    assert bar.filters() == {"as_of": "2026-10", "portfolio": None, "program": None, "department": None,
                             "project_ids": None}
    assert bar.currency == "GBP"
    assert widgets.FilterBar(demo_db, month="2026-03").month.value == "2026-03"


def test_program_and_project_options_narrow_to_the_portfolio(demo_db):
    bar = widgets.FilterBar(demo_db)
    calls = []
    bar.on_change(lambda: calls.append(bar.filters()))
    bar.portfolio.value = PORTFOLIO
    assert len(calls) == 1  # one redraw per user action, however many dropdowns were narrowed
    projects = read(demo_db, lambda con: con.sql(
        "SELECT project_id, program FROM projects WHERE as_of = DATE '2026-10-31' AND portfolio = ?",
        params=[PORTFOLIO]).df())
    assert {v for _, v in bar.program.options} - {""} == set(projects["program"])
    assert {v for _, v in bar.project.options} - {""} == set(projects["project_id"])
    program = min(projects["program"])
    bar.program.value = program
    assert {v for _, v in bar.project.options} - {""} == set(
        projects.loc[projects["program"] == program, "project_id"])
    bar.portfolio.value = "Customer Operations"  # the program is not in it: back to all programs
    assert bar.program.value == "" and bar.filters()["portfolio"] == "Customer Operations"


def test_month_change_rereads_the_projects_of_that_month(demo_db):
    bar = widgets.FilterBar(demo_db)
    bar.month.value = "2025-11"
    assert len(bar.project.options) == 1 + 43  # the first demo snapshot (2025-11) has 43 projects


def test_widget_values_must_be_offered_options(demo_db):
    bar = widgets.FilterBar(demo_db)
    with pytest.raises(traitlets.TraitError):
        bar.portfolio.value = "x' OR 1=1 --"
    bar.select_project("'; DROP TABLE projects; --")  # not a project of the month: ignored
    assert bar.project.value == ""


def _shown(view, expected: pd.DataFrame) -> pd.DataFrame:
    """The view's table in the expected columns; the KPI table must also read in words (no raw keys)."""
    if isinstance(view, widgets.KpiView):
        assert list(view.table.columns) == [*KPI_COLUMNS, "rag", "trend", "coverage"]
        assert not view.table[["rag", "trend", "coverage"]].isin([True, False]).any().any()
    return view.table[expected.columns]


@pytest.mark.parametrize("view_class", widgets.VIEWS, ids=lambda v: v.__name__)
def test_view_table_follows_the_filters(demo_db, view_class):
    bar = widgets.FilterBar(demo_db)
    view = view_class(bar)
    assert view.message is None
    start = view.table.copy()
    pd.testing.assert_frame_equal(_shown(view, expected_table(view_class, demo_db, bar.filters())),
                                  expected_table(view_class, demo_db, bar.filters()))

    bar.portfolio.value = PORTFOLIO
    f = bar.filters()
    assert f["portfolio"] == PORTFOLIO
    pd.testing.assert_frame_equal(_shown(view, expected_table(view_class, demo_db, f)),
                                  expected_table(view_class, demo_db, f))

    bar.month.value = MONTH
    f = bar.filters()
    assert f == {"as_of": MONTH, "portfolio": PORTFOLIO, "program": None, "department": None,
                 "project_ids": None}
    pd.testing.assert_frame_equal(_shown(view, expected_table(view_class, demo_db, f)),
                                  expected_table(view_class, demo_db, f))
    assert view.message is None
    if view_class is not widgets.KpiView:  # KPI rows are per KPI: same shape, other values
        assert not view.table.equals(start)


def test_budget_view_drills_down_to_a_project(demo_db):
    bar = widgets.FilterBar(demo_db)
    budget, risks = widgets.BudgetView(bar), widgets.RiskView(bar)
    bar.portfolio.value = PORTFOLIO
    worst = budget.table["project_id"].iloc[0]  # the largest overspend, first in the list
    assert [v for _, v in budget.drill.options][1] == worst
    budget.drill.value = worst
    assert bar.project.value == worst
    assert bar.filters()["project_ids"] == worst
    assert budget.table["project_id"].tolist() == [worst]
    assert set(risks.table["project_id"]) <= {worst}  # every view follows the drill-down
    assert budget.back.layout.display == "" and budget.drill.layout.display == "none"
    budget.back.click()
    assert bar.project.value == "" and len(budget.table) > 1


def test_select_project_outside_the_current_filters_widens_them(demo_db):
    bar = widgets.FilterBar(demo_db)
    bar.portfolio.value = PORTFOLIO
    other = read(demo_db, lambda con: con.sql(
        "SELECT min(project_id) FROM projects WHERE as_of = DATE '2026-10-31' AND portfolio <> ?",
        params=[PORTFOLIO]).fetchall())[0][0]
    bar.select_project(other)
    assert bar.project.value == other and bar.portfolio.value != PORTFOLIO


def test_resource_view_groups_by_team_then_people_of_a_project(demo_db):
    bar = widgets.FilterBar(demo_db)
    view = widgets.ResourceView(bar)
    assert set(view.frames["load"].columns) >= {"team", "week", "utilisation"}
    assert "resource_id" not in view.frames["load"].columns
    bar.select_project("PRJ-0030")
    assert "resource_id" in view.frames["load"].columns
    view.by.value = "role"
    assert "role" in view.frames["load"].columns and "resource_id" not in view.frames["load"].columns


def test_drift_view_compares_with_a_chosen_month(demo_db):
    bar = widgets.FilterBar(demo_db)
    view = widgets.DriftView(bar)
    assert view.previous.value == "2026-09"
    view.previous.value = "2026-01"
    expected = read(demo_db, drift_metrics.drift, "2026-10", "2026-01")
    expected = expected[expected["measure"] == "forecast"][DRIFT_COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(view.table, expected)
    bar.month.value = MONTH
    assert view.previous.value == "2026-05"  # a new month compares with the one before it again
    view.measure.value = "end_date"
    assert set(view.table["measure"]) == {"end_date"}


def test_drift_view_on_the_first_snapshot_says_there_is_nothing_to_compare(demo_db):
    view = widgets.DriftView(widgets.FilterBar(demo_db, month="2025-11"))
    assert view.message == "There is no earlier snapshot to compare with."
    assert view.table.empty


def test_errors_show_a_message_not_a_traceback(demo_db, monkeypatch):
    bar = widgets.FilterBar(demo_db)
    view = widgets.BudgetView(bar)

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(metrics, "budget_variance", broken)
    bar.portfolio.value = PORTFOLIO
    assert view.message == widgets.FRIENDLY_ERROR and "secret" not in view.message
    assert view.table.empty
    assert plt.get_fignums() == []  # nothing half-drawn left open


def test_a_missing_database_gives_a_message(tmp_path):
    bar = widgets.FilterBar(tmp_path / "missing.duckdb")
    assert "no database yet" in bar.status.value
    view = widgets.BudgetView(bar)
    assert view.message and "No snapshot" in view.message
    assert view.table.empty


def test_no_connection_is_held_between_redraws(demo_db, tmp_path):
    copy = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, copy)
    bar = widgets.FilterBar(copy)
    views = [cls(bar) for cls in (widgets.BudgetView, widgets.RiskView)]
    bar.portfolio.value = PORTFOLIO
    assert all(v.message is None for v in views)
    con = duckdb.connect(str(copy))  # read-write: only possible when no reader holds the file
    con.close()


def test_html_table_escapes_everything():
    frame = pd.DataFrame({"<b>col</b>": ["<script>alert(1)</script>"], "money": [1234567.891]})
    text = widgets.html_table(frame)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;col&lt;/b&gt;" in text
    assert "1,234,568" in text
    assert widgets.html_table(pd.DataFrame()).count("No data") == 1


def test_resolve_db_honours_pmo_db_and_finds_the_project_database(monkeypatch, tmp_path):
    monkeypatch.setenv("PMO_DB", str(tmp_path / "x.duckdb"))
    assert widgets.resolve_db() == tmp_path / "x.duckdb"
    assert widgets.resolve_db(tmp_path / "y.duckdb") == tmp_path / "y.duckdb"
    monkeypatch.delenv("PMO_DB")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "pmo.duckdb").touch()
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # where Jupyter runs a notebook
    assert widgets.resolve_db() == tmp_path / "data" / "pmo.duckdb"
    monkeypatch.setenv("PMO_DB", "data/pmo.duckdb")  # relative to the project, not to notebooks/
    assert widgets.resolve_db() == tmp_path / "data" / "pmo.duckdb"
