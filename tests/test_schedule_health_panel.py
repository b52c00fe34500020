"""The schedule health panel of the milestones dashboard (ui/schedule_health.py) in-process, on a small
database: the hand-written canonical exports for two months, and two schedules stored for the second
with store.schedules.replace (as the load writes them). Also notebook 10's committed form."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import datetime as dt
import json
import shutil

import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from pmo_analytics import packaged
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.store import schedules
from pmo_analytics.store.connection import connect
from pmo_analytics.ui import dashboards
from pmo_analytics.ui import schedule_health as panel_module
from pmo_analytics.ui.filterbar import FilterBar
from pmo_analytics.ui.pictures import Picture
from pmo_analytics.ui.schedule_health import ScheduleHealthPanel
from conftest import CANONICAL

JAN, FEB = "2025-01", "2025-02"
EMPTY_JAN = ("No schedule is loaded for 2025-01: load an .xer, .mpp, .mpx, .xml or .planner file to see its "
             "DCMA-14 check.")
D = dt.date

# PRJ-001: start milestone A (done) -> task B (under way) -> finish milestone C, status date 14 Feb 2025.
# C has no successor, so it is check 1's one offender; no link has a negative lag, so Leads passes.
ACTIVITIES_1 = pd.DataFrame([
    {"activity_id": "A", "name": "Start", "kind": "milestone", "duration_days": 0.0, "percent_complete": 100.0,
     "start": D(2025, 1, 6), "finish": D(2025, 1, 6), "actual_start": D(2025, 1, 6), "actual_finish": D(2025, 1, 6),
     "baseline_finish": D(2025, 1, 6), "total_float_days": 0.0, "critical": True, "resources": 0},
    {"activity_id": "B", "name": "Build", "kind": "task", "duration_days": 30.0, "percent_complete": 40.0,
     "start": D(2025, 1, 7), "finish": D(2025, 2, 17), "actual_start": D(2025, 1, 7),
     "baseline_finish": D(2025, 2, 28), "total_float_days": 0.0, "critical": True, "resources": 1},
    {"activity_id": "C", "name": "Done", "kind": "milestone", "duration_days": 0.0, "percent_complete": 0.0,
     "start": D(2025, 2, 17), "finish": D(2025, 2, 17), "baseline_finish": D(2025, 2, 28),
     "total_float_days": 0.0, "critical": True, "resources": 0},
])
RELATIONS_1 = pd.DataFrame([{"predecessor": "A", "successor": "B", "type": "FS", "lag_days": 0.0},
                            {"predecessor": "B", "successor": "C", "type": "FS", "lag_days": 0.0}])
# PRJ-002: one task and no logic at all (check 1: 1 of 1 without a predecessor or successor).
ACTIVITIES_2 = pd.DataFrame([{"activity_id": "T1", "name": "Roof", "kind": "task", "duration_days": 10.0,
                              "start": D(2025, 2, 17), "finish": D(2025, 2, 28), "resources": 0}])


def header(file: str, activities: int, relations: int) -> dict:
    return {"file": file, "source_format": "xer", "status_date": D(2025, 2, 14), "start": D(2025, 1, 6),
            "finish": D(2025, 2, 28), "hours_per_day": 8.0, "activities": activities, "relations": relations}


@pytest.fixture(scope="module")
def plain_db(tmp_path_factory):
    """The canonical exports as the January and February snapshots; no schedule tables (the panel only
    reads: the tests share it)."""
    path = tmp_path_factory.mktemp("plain") / "pmo.duckdb"
    for month in (JAN, FEB):
        snapshots.load([CANONICAL], month, database=path)
    return path


@pytest.fixture(scope="module")
def db(plain_db, tmp_path_factory):
    """plain_db with two schedules stored for February (none for January)."""
    path = tmp_path_factory.mktemp("schedules") / "pmo.duckdb"
    shutil.copyfile(plain_db, path)
    with connect(path, read_only=False) as con:
        catalog = con.sql("SELECT current_database()").fetchall()[0][0]
        schedules.replace(con, catalog, D(2025, 2, 28), "PRJ-001", header("plan.xer", 3, 2), ACTIVITIES_1, RELATIONS_1)
        schedules.replace(con, catalog, D(2025, 2, 28), "PRJ-002", header("roof.xer", 1, 0), ACTIVITIES_2,
                          RELATIONS_1.iloc[0:0])
    return path


@pytest.fixture(autouse=True)
def _quiet(capsys):
    """Outside a kernel display() prints reprs: keep them out of the report; close every figure."""
    yield
    plt.close("all")
    capsys.readouterr()


def shown(panel) -> list:
    """What the panel's next redraw displays (its Output is not rendered outside a kernel)."""
    items = []
    panel.show = lambda things, clear=True: items.extend(things)
    panel.refresh()
    return items


def test_the_panel_lists_the_months_schedules_and_shows_the_first(db):
    panel = ScheduleHealthPanel(FilterBar(db, month=FEB))
    assert panel.message is None
    assert [v for _, v in panel.schedule.options] == ["PRJ-001", "PRJ-002"]
    label = dict((v, k) for k, v in panel.schedule.options)["PRJ-001"]
    assert label.startswith("PRJ-001 Payroll replacement · ") and label.endswith(" checks passed")
    assert panel.schedule.value == "PRJ-001" and panel.schedule.layout.display == ""
    logic, leads = panel.table.iloc[0], panel.table.iloc[1]
    assert (logic["check"], logic["result"], logic["offenders"]) == ("Logic", "FAIL", "C")
    assert (leads["check"], leads["result"]) == ("Leads", "PASS")
    assert len(panel.table) == 14


def test_the_panel_shows_the_finding_the_strip_and_the_table(db):
    items = shown(ScheduleHealthPanel(FilterBar(db, month=FEB)))
    finding, picture, table = items
    assert str(finding).startswith("PRJ-001's schedule passes ") and "Logic (" in str(finding)
    assert isinstance(picture, Picture) and picture.marks == 14  # one strip per check
    assert "pmo-rt" in table.data and ">Logic<" in table.data


def test_choosing_a_schedule_redraws_from_the_checks_already_computed(db, monkeypatch):
    panel = ScheduleHealthPanel(FilterBar(db, month=FEB))
    calls = []
    monkeypatch.setattr(panel_module, "schedule_health", lambda *a, **k: calls.append(1) or {})
    panel.schedule.value = "PRJ-002"
    assert calls == [] and panel.message is None
    logic = panel.table.iloc[0]
    assert (logic["result"], logic["measured"], logic["offenders"]) == ("FAIL", "1 of 1 (100.0%)", "T1")


def test_the_filter_bars_project_picks_its_schedule(db):
    bar = FilterBar(db, month=FEB)
    panel = ScheduleHealthPanel(bar)
    bar.select_project("PRJ-002")
    bar.flush()
    assert panel.schedule.value == "PRJ-002" and panel.table.iloc[0]["offenders"] == "T1"
    bar.select_project("PRJ-003")  # a project without a schedule: the panel keeps the one it shows
    bar.flush()
    assert panel.schedule.value == "PRJ-002" and panel.message is None


def test_a_month_without_a_schedule_says_so_in_one_line(db):
    bar = FilterBar(db, month=FEB)
    panel = ScheduleHealthPanel(bar)
    bar.month.value = JAN
    bar.flush()
    assert panel.message == EMPTY_JAN
    assert panel.table.empty and panel.schedule.layout.display == "none" and list(panel.schedule.options) == []
    (line,) = shown(panel)
    assert "No schedule is loaded for 2025-01" in line.data
    bar.month.value = FEB
    bar.flush()
    assert panel.message is None and panel.schedule.value == "PRJ-001"


def test_a_database_without_schedule_tables_says_so_too(plain_db):
    panel = ScheduleHealthPanel(FilterBar(plain_db, month=JAN))
    assert panel.message == EMPTY_JAN


def widgets_in(widget) -> list:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += widgets_in(child)
    return found


def test_the_milestones_dashboard_shows_the_panel_below_its_views(db):
    page = dashboards.milestones(db, FEB)
    headers = [w.value for w in widgets_in(page) if isinstance(w, W.HTML) and "<h3" in w.value]
    assert len(headers) == 2 and "Milestones" in headers[0] and "Schedule health (DCMA 14-point check)" in headers[1]
    lists = [w for w in widgets_in(page) if isinstance(w, W.Dropdown) and w.description == "Schedule"]
    assert [v for _, v in lists[0].options] == ["PRJ-001", "PRJ-002"]


def test_notebook_10_is_committed_thin_parameterised_and_without_outputs():
    book = json.loads((packaged.NOTEBOOKS / "10_schedule_health.ipynb").read_text(encoding="utf-8"))
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    (parameters,) = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert "month = None" in "".join(parameters["source"]) and "db = None" in "".join(parameters["source"])
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert sum("NBVAL_CHECK_OUTPUT" in "".join(c["source"]) for c in code) == 1
    assert all(len(c["source"]) <= 12 for c in code)  # thin: the work is in the package
