"""A Schedule -> canonical tables (canonical.tables_of, read_tables): hand-built schedules with the
arithmetic in comments, and the real MPXJ test files of every tool, whose expected values are read
from the raw file by another path: XER tables by the column names of their %F line, P6 XML and Planner
by xml.etree, MPX by record number, an .mpp by its MSPDI twin read with read_mspdi (and the strings
in the binary), with what differs written out.
"""
from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import pytest

from conftest import read_xer
from pmo_analytics import contract
from pmo_analytics.ingest.schedules.canonical import COLUMNS, read_tables, tables_of
from pmo_analytics.ingest.schedules.model import Activity, Assignment, Resource, Schedule
from pmo_analytics.ingest.schedules.mspdi import read_mspdi

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "mpxj-schedule-exports"
FILES = ["assignment_resource-rates-test.xer", "assignment_resource-rates-test.xml", "legacy_sample.mpp",
         "legacy_sample.mpx", "mpp14baseline.mpp", "mpp14timephased.mpp", "planner-sample.planner"]
D = date


def _schedule(activities=(), resources=(), assignments=(), **kw) -> Schedule:
    return Schedule(name=kw.pop("name", "Plan"), source_format="TEST", activities=list(activities),
                    resources=list(resources), assignments=list(assignments), **kw)


def _task(aid: str, kind: str = "task", **kw) -> Activity:
    return Activity(activity_id=aid, name=kw.pop("name", aid), kind=kind, **kw)


def _rows(tables, table: str) -> list[dict]:
    return tables[table].to_dict("records")


# --- projects ---------------------------------------------------------------------------------------

def test_project_row_from_the_summary():
    s = _schedule([_task("T0", "summary", name="Top", percent_complete=100.0, baseline_cost=1000.5,
                         baseline_finish=D(2024, 2, 20), cost=1200.0),
                   _task("T1", baseline_cost=300.0, baseline_finish=D(2024, 3, 1))],
                  start=D(2024, 1, 2), finish=D(2024, 2, 29), manager="Ann", currency="EUR")
    # bac: the summary's baseline cost (1000.50), not the leaves' 300; 100% complete -> closed;
    # baseline_end_date: the summary's baseline finish, not the latest leaf's (2024-03-01)
    assert _rows(tables_of(s, "P1", "Infra"), "projects") == [
        {"project_id": "P1", "name": "Plan", "portfolio": "Infra", "manager": "Ann", "status": "closed",
         "start_date": "2024-01-02", "end_date": "2024-02-29", "baseline_end_date": "2024-02-20",
         "bac": "1000.50", "currency": "EUR"}]


@pytest.mark.parametrize("activities, bac", [
    # no summary: the leaves' baseline costs, 300 + 200.50 (the leaf without one adds nothing)
    ([_task("T1", baseline_cost=300.0), _task("T2", baseline_cost=200.5), _task("T3", cost=7.0)], "500.50"),
    # a summary without a baseline: its cost (900), not the leaves' (100)
    ([_task("T0", "summary", cost=900.0), _task("T1", cost=100.0)], "900.00"),
    # no summary, no baseline: the leaves' costs, 100.25 + nothing
    ([_task("T1", cost=100.25), _task("T2")], "100.25"),
    # an .mpp never baselined: MPXJ says baseline cost 0 with no baseline dates = no baseline -> cost
    ([_task("T0", "summary", cost=4171.25, baseline_cost=0.0), _task("T1", cost=4171.25, baseline_cost=0.0)],
     "4171.25"),
    # baselined at zero cost (baseline dates present): 0.00 is the baseline
    ([_task("T0", "summary", cost=50.0, baseline_cost=0.0, baseline_finish=D(2024, 1, 5))], "0.00"),
    # no cost anywhere: missing, not zero
    ([_task("T1"), _task("T2", "milestone")], None),
])
def test_bac_fallbacks(activities, bac):
    assert tables_of(_schedule(activities), "P")["projects"].iloc[0]["bac"] == bac


def test_status_and_baseline_end_without_summary():
    done = [_task("T1", percent_complete=100.0, baseline_finish=D(2024, 1, 9)),
            _task("T2", percent_complete=100.0, baseline_finish=D(2024, 2, 1))]
    p = tables_of(_schedule(done), "P")["projects"].iloc[0]
    assert (p["status"], p["baseline_end_date"]) == ("closed", "2024-02-01")  # every leaf 100%; latest
    half = done + [_task("T3", percent_complete=99.0)]
    assert tables_of(_schedule(half), "P")["projects"].iloc[0]["status"] == "active"
    # a summary at 40% decides, whatever the leaves say
    with_top = done + [_task("T0", "summary", percent_complete=40.0)]
    assert tables_of(_schedule(with_top), "P")["projects"].iloc[0]["status"] == "active"


@pytest.mark.parametrize("name, activities, expected", [
    (None, [_task("T0", "summary", name="Top")], "Top"),
    (None, [], "P9"),                       # nothing names it: the project id
    ("sample.xml", [], "sample"),           # MPXJ's file name for an MSPDI file without a title
])
def test_project_name_falls_back(name, activities, expected):
    assert tables_of(_schedule(activities, name=name), "P9")["projects"].iloc[0]["name"] == expected


def test_empty_schedule_gives_empty_frames_with_columns():
    t = tables_of(Schedule(name=None, source_format="X"), "P")
    assert list(t) == list(COLUMNS)
    assert _rows(t, "projects") == [
        {"project_id": "P", "name": "P", "portfolio": "Schedules", "manager": None, "status": "active",
         "start_date": None, "end_date": None, "baseline_end_date": None, "bac": None, "currency": None}]
    for table in ("milestones", "progress", "budget_lines", "resources", "allocations"):
        assert t[table].empty and list(t[table].columns) == COLUMNS[table]


# --- progress and milestones ------------------------------------------------------------------------

@pytest.mark.parametrize("activities, assignments, pct", [
    ([_task("T0", "summary", percent_complete=37.5), _task("T1", percent_complete=90.0)], [], "37.5"),
    # by baseline cost: (100 x 300 + 0 x 100) / 400 = 75
    ([_task("T1", percent_complete=100.0, baseline_cost=300.0), _task("T2", percent_complete=0.0,
                                                                     baseline_cost=100.0)], [], "75"),
    # by cost: (50 x 100 + 20 x 300) / 400 = 27.5
    ([_task("T1", percent_complete=50.0, cost=100.0), _task("T2", percent_complete=20.0, cost=300.0)], [], "27.5"),
    # by assigned work: (100 x 10 h + 0 x 30 h) / 40 h = 25
    ([_task("T1", percent_complete=100.0), _task("T2", percent_complete=0.0)],
     [Assignment("R1", "T1", work_hours=10.0), Assignment("R1", "T2", work_hours=30.0)], "25"),
    # equally: (10 + 20 + 30) / 3 = 20
    ([_task("T1", percent_complete=10.0), _task("T2", percent_complete=20.0), _task("T3", percent_complete=30.0)],
     [], "20"),
])
def test_progress_at_the_status_month(activities, assignments, pct):
    s = _schedule(activities, [Resource("R1", "Ann", "work")], assignments, status_date=D(2024, 1, 17))
    assert _rows(tables_of(s, "P"), "progress") == [{"project_id": "P", "period": "2024-01-01",
                                                      "percent_complete": pct}]


def test_no_status_date_no_progress_row():
    t = tables_of(_schedule([_task("T0", "summary", percent_complete=50.0)]), "P")
    assert t["progress"].empty and list(t["progress"].columns) == COLUMNS["progress"]


def test_milestones():
    s = _schedule([
        _task("T0", "summary"),
        _task("T1", "milestone", name="Done", percent_complete=100.0, finish=D(2024, 1, 10),
              baseline_finish=D(2024, 1, 8)),                            # 100%, no actual: actual = finish
        _task("T2", "milestone", name="Signed", finish=D(2024, 1, 9), actual_finish=D(2024, 1, 9)),
        _task("T3", "milestone", name="Later", percent_complete=0.0, finish=D(2024, 6, 3)),  # no baseline
        _task("T4", name="A task", finish=D(2024, 2, 1)),
    ])
    assert _rows(tables_of(s, "P"), "milestones") == [
        {"project_id": "P", "milestone_id": "T1", "name": "Done", "baseline_date": "2024-01-08",
         "forecast_date": "2024-01-10", "actual_date": "2024-01-10"},
        {"project_id": "P", "milestone_id": "T2", "name": "Signed", "baseline_date": None,
         "forecast_date": "2024-01-09", "actual_date": "2024-01-09"},
        {"project_id": "P", "milestone_id": "T3", "name": "Later", "baseline_date": None,
         "forecast_date": "2024-06-03", "actual_date": None}]


# --- resources and allocations ----------------------------------------------------------------------

def test_resources():
    s = _schedule(resources=[Resource("R1", "Ann", "work", group="Build", max_units=0.5, rate=12.5),
                             Resource("R2", "Bob", "work"),
                             Resource("R3", "Concrete", "material", group="Mat", rate=3.0)], hours_per_week=37.5)
    # 0.5 x 37.5 h = 18.75 h; no max units = 1.0 x 37.5; material: no hours capacity, no hourly rate
    assert _rows(tables_of(s, "P"), "resources") == [
        {"resource_id": "R1", "name": "Ann", "team": "Build", "role": "work", "weekly_capacity_hours": "18.75",
         "cost_rate": "12.50"},
        {"resource_id": "R2", "name": "Bob", "team": None, "role": "work", "weekly_capacity_hours": "37.5",
         "cost_rate": None},
        {"resource_id": "R3", "name": "Concrete", "team": "Mat", "role": "material", "weekly_capacity_hours": None,
         "cost_rate": None}]


def test_allocations_spread_evenly_and_stop_at_the_status_week():
    # 14 h from Fri 2024-01-05 to Mon 2024-01-15: working days Fri 5 | Mon 8 .. Fri 12 | Mon 15 = 7,
    # 2 h each -> weeks 01-01: 2, 01-08: 10, 01-15: 2.
    # 6 h actual from Fri 5 to the status date Mon 8 (no actual finish): 2 days, 3 h each -> 3, 3;
    # week 01-15 is after the status week (01-08): no actual yet.
    # R4: 5 h on Mon 01-08, nothing done: the status week itself says 0.00 done, not blank.
    s = _schedule([_task("T1", start=D(2024, 1, 5), finish=D(2024, 1, 15))],
                  [Resource("R1", "Ann", "work"), Resource("R2", "Sand", "material"), Resource("R3", "Cy", "work"),
                   Resource("R4", "Di", "work")],
                  [Assignment("R1", "T1", work_hours=14.0, actual_work_hours=6.0, start=D(2024, 1, 5),
                              finish=D(2024, 1, 15), actual_start=D(2024, 1, 5)),
                   Assignment("R2", "T1", work_hours=50.0),   # material: a quantity, not hours
                   Assignment("R3", "T1", work_hours=None),   # no work: nothing to spread
                   Assignment("R4", "T1", work_hours=5.0, start=D(2024, 1, 8), finish=D(2024, 1, 8))],
                  status_date=D(2024, 1, 8))
    assert tables_of(s, "P")["allocations"][["resource_id", "week", "planned_hours", "actual_hours"]
                                            ].values.tolist() == [
        ["R1", "2024-01-01", "2.00", "3.00"], ["R1", "2024-01-08", "10.00", "3.00"],
        ["R1", "2024-01-15", "2.00", None], ["R4", "2024-01-08", "5.00", "0.00"]]


def test_allocations_round_to_the_hundredth_keeping_the_total():
    # 10 h over Fri 2024-01-05, Mon 8, Tue 9 (the assignment has no dates: the activity's):
    # 1000 hundredths x 1/3 = 333.33, x 2/3 = 666.67 -> 333 + 667 (the larger remainder gets the spare one)
    # A resource the schedule does not list (R9) is kept, after the listed ones, for the validator.
    # No status date: every week's actual is written (0.00).
    s = _schedule([_task("T1", start=D(2024, 1, 5), finish=D(2024, 1, 9))], [Resource("R1", "Ann", "work")],
                  [Assignment("R9", "T1", work_hours=1.0), Assignment("R1", "T1", work_hours=10.0)])
    al = tables_of(s, "P")["allocations"]
    assert al[["resource_id", "week", "planned_hours", "actual_hours"]].values.tolist() == [
        ["R1", "2024-01-01", "3.33", "0.00"], ["R1", "2024-01-08", "6.67", "0.00"],
        ["R9", "2024-01-01", "0.33", "0.00"], ["R9", "2024-01-08", "0.67", "0.00"]]  # 100 x 1/3, 2/3


# --- budget lines -----------------------------------------------------------------------------------

def test_budget_lines_by_month_and_category():
    # T1: cost 1000 from Tue 2024-01-30 to Fri 02-02 (Jan 2 days, Feb 2 days); its labour assignment
    # costs 800, the other 200 is fixed cost -> external. Forecast: labour 400 + 400, external 100 + 100.
    # Baseline 900 over 01-29..01-31 (all January), split as the forecast (80:20): labour 720, external 180.
    # Actual 100 from 01-30 to the status date 01-31 (2 January days), split 80:20 -> 80, 20.
    # T2: no assignment, cost 10 on Mon 02-05 -> external February. February is after the status month:
    # consumed blank there.
    s = _schedule([_task("T1", start=D(2024, 1, 30), finish=D(2024, 2, 2), cost=1000.0, baseline_cost=900.0,
                         baseline_start=D(2024, 1, 29), baseline_finish=D(2024, 1, 31), actual_cost=100.0,
                         actual_start=D(2024, 1, 30)),
                   _task("T2", start=D(2024, 2, 5), finish=D(2024, 2, 5), cost=10.0, actual_cost=0.0)],
                  [Resource("R1", "Ann", "work")], [Assignment("R1", "T1", work_hours=8.0, cost=800.0)],
                  status_date=D(2024, 1, 31))
    assert tables_of(s, "P")["budget_lines"][["period", "category", "budget", "forecast", "committed",
                                               "consumed"]].values.tolist() == [
        ["2024-01-01", "labour", "720.00", "400.00", None, "80.00"],
        ["2024-01-01", "external", "180.00", "100.00", None, "20.00"],
        ["2024-02-01", "labour", "0.00", "400.00", None, None],
        ["2024-02-01", "external", "0.00", "110.00", None, None]]


def test_budget_lines_rounding_and_missing_values():
    # 1000.00 from Wed 2024-01-31 to Fri 02-02: 100000 cents x 1/3 = 33333.33 (Jan), x 2/3 = 66666.67 (Feb)
    # -> 33333 + 66667. Its assignment to a work resource has no cost: all labour. No baseline cost
    # anywhere: budget blank; no actual cost anywhere: consumed blank (missing, not 0.00).
    s = _schedule([_task("T1", start=D(2024, 1, 31), finish=D(2024, 2, 2), cost=1000.0)],
                  [Resource("R1", "Ann", "work")], [Assignment("R1", "T1", work_hours=24.0)])
    assert tables_of(s, "P")["budget_lines"][["period", "category", "budget", "forecast", "consumed"]
                                             ].values.tolist() == [
        ["2024-01-01", "labour", None, "333.33", None], ["2024-02-01", "labour", None, "666.67", None]]


def test_budget_lines_external_without_work_assignments():
    # no assignment to a work resource: all external; the summary's own cost is not spread (its leaves are)
    s = _schedule([_task("T0", "summary", cost=99.0, start=D(2024, 3, 4), finish=D(2024, 3, 4)),
                   _task("T1", start=D(2024, 3, 4), finish=D(2024, 3, 4), cost=50.0, actual_cost=50.0)],
                  [Resource("R2", "Sand", "material")], [Assignment("R2", "T1", work_hours=5.0)])
    assert tables_of(s, "P")["budget_lines"][["period", "category", "forecast", "consumed"]].values.tolist() == [
        ["2024-03-01", "external", "50.00", "50.00"]]


# --- the real files: shape --------------------------------------------------------------------------

def test_real_exports_are_beside_the_project():
    assert REAL.is_dir(), f"{REAL} is missing"


@pytest.fixture(scope="module")
def read():
    cache = {}

    def _read(name):
        if name not in cache:
            cache[name] = read_tables(REAL / name)
        return cache[name]
    return _read


@pytest.mark.parametrize("name", FILES)
def test_real_frames_follow_the_contract(read, name):
    tables = read(name)
    assert list(tables) == list(COLUMNS)
    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    for table, df in tables.items():
        spec = contract.TABLES[table]
        assert list(df.columns) == COLUMNS[table]
        assert all(v is None or isinstance(v, str) for v in df.to_numpy().ravel().tolist()), table
        for col in spec.required:
            assert df[col].notna().all(), (table, col)
        assert not df.duplicated(list(spec.key)).any(), table
        for col in df.columns:
            for v in df[col].dropna():
                if spec.column(col).type == contract.DATE:
                    assert iso.fullmatch(v), (table, col, v)
                elif spec.column(col).type == contract.NUMBER:
                    assert re.fullmatch(r"-?\d+(\.\d+)?", v), (table, col, v)
    assert all(date.fromisoformat(w).weekday() == 0 for w in tables["allocations"]["week"])


def test_project_id_from_the_file_name_and_arguments(read):
    assert read("legacy_sample.mpx")["projects"].iloc[0]["project_id"] == "LEGACY_SAMPLE"
    t = read_tables(REAL / "legacy_sample.mpx", project_id="P-7", portfolio="Infra")
    assert t["projects"].iloc[0][["project_id", "portfolio"]].tolist() == ["P-7", "Infra"]
    assert set(t["allocations"]["project_id"]) == {"P-7"}


def _hours(tables) -> tuple[float, float]:
    """Planned and actual hours of the allocations (to the hundredth they are written in)."""
    al = tables["allocations"]
    return (round(al["planned_hours"].astype(float).sum(), 2),
            round(al["actual_hours"].dropna().astype(float).sum(), 2))


# --- Primavera P6: XER and P6 XML -------------------------------------------------------------------

def _xer(name: str) -> dict[str, list[dict]]:
    return read_xer(REAL / name)


def test_xer(read):
    raw = _xer("assignment_resource-rates-test.xer")
    t = read("assignment_resource-rates-test.xer")
    assert len(t["milestones"]) == sum(r["task_type"] in ("TT_Mile", "TT_FinMile") for r in raw["TASK"]) == 0
    # MPXJ reads P6 roles as resources too: 1 RSRC row (Resource 1) + 1 ROLES row (Role 1)
    assert len(t["resources"]) == len(raw["RSRC"]) + len(raw["ROLES"]) == 2
    p = t["projects"].iloc[0]
    assert p["name"] == next(r["wbs_name"] for r in raw["PROJWBS"] if r["proj_node_flag"] == "Y")
    # no summary 'T0' and no leaf baseline cost: bac = the leaf's cost, which P6 sums from its five
    # assignments' target_cost 240 + 480 + 1440 + 1680 + 23760 = 27600
    assert float(p["bac"]) == sum(float(r["target_cost"]) for r in raw["TASKRSRC"]) == 27600
    assert p["start_date"] == raw["PROJECT"][0]["plan_start_date"][:10] == "2022-08-22"
    assert p["end_date"] == max(r["target_end_date"] for r in raw["TASK"])[:10] == "2022-09-30"
    assert p["baseline_end_date"] == "2022-09-30"
    # status: last_recalc_date 2022-08-22 -> the August row, 0% (phys_complete_pct 0)
    assert t["progress"][["period", "percent_complete"]].values.tolist() == [["2022-08-01", "0"]]
    planned, actual = _hours(t)
    assert planned == sum(float(r["target_qty"]) for r in raw["TASKRSRC"]) == 1200
    assert actual == sum(float(r["act_reg_qty"]) + float(r["act_ot_qty"]) for r in raw["TASKRSRC"]) == 0
    # 5 x 240 h from Mon 2022-08-22 to Fri 09-30 = 6 whole weeks of 200 h, all Resource 1's
    assert t["allocations"]["planned_hours"].tolist() == ["200.00"] * 6
    assert set(t["allocations"]["resource_id"]) == {"R" + raw["RSRC"][0]["rsrc_id"]}


def _pmxml():
    return ET.parse(REAL / "assignment_resource-rates-test.xml").getroot()


def test_p6_xml(read):
    root = _pmxml()
    project = root.find("{*}Project")
    activities = project.findall("{*}Activity")
    assignments = project.findall("{*}ResourceAssignment")
    t = read("assignment_resource-rates-test.xml")
    assert len(t["milestones"]) == sum(a.findtext("{*}Type") in ("Start Milestone", "Finish Milestone")
                                       for a in activities) == 0
    assert len(t["resources"]) == len(root.findall("{*}Resource")) + len(root.findall("{*}Role")) == 2
    p = t["projects"].iloc[0]
    assert p["name"] == project.findtext("{*}Name") == "Resource Rates Test"
    assert float(p["bac"]) == sum(float(a.findtext("{*}PlannedCost")) for a in assignments) == 27600
    assert p["start_date"] == project.findtext("{*}PlannedStartDate")[:10]
    assert p["end_date"] == max(a.findtext("{*}FinishDate") for a in activities)[:10] == "2022-09-30"
    assert t["progress"]["period"].tolist() == [project.findtext("{*}DataDate")[:8] + "01"]
    planned, actual = _hours(t)
    assert planned == sum(float(a.findtext("{*}PlannedUnits")) for a in assignments) == 1200
    assert actual == sum(float(a.findtext("{*}ActualUnits")) for a in assignments) == 0


def test_xer_and_p6_xml_of_one_project_agree(read):
    # the same P6 project exported both ways; the XER carries its WBS node as a summary, P6 XML not
    a, b = read("assignment_resource-rates-test.xer"), read("assignment_resource-rates-test.xml")
    for table in ("projects", "milestones", "progress", "resources", "allocations", "budget_lines"):
        assert a[table].equals(b[table]), table


# --- GNOME Planner and MPX --------------------------------------------------------------------------

def test_planner(read):
    root = ET.parse(REAL / "planner-sample.planner").getroot()
    t = read("planner-sample.planner")
    tasks = root.findall("tasks/task")
    assert len(t["milestones"]) == sum(x.get("type") == "milestone" for x in tasks) == 0
    assert len(t["resources"]) == len(root.findall("resources/resource")) == 1
    assert len(t["allocations"]) == len(root.findall("allocations/allocation")) == 0
    p = t["projects"].iloc[0]
    assert (p["name"], p["manager"]) == (root.get("name"), root.get("manager")) == ("Name", "Manager")
    assert p["start_date"] == datetime.strptime(root.get("project-start")[:8], "%Y%m%d").date().isoformat()
    assert p["end_date"] == datetime.strptime(max(x.get("end") for x in tasks)[:8], "%Y%m%d").date().isoformat()
    assert p["bac"] is None and t["budget_lines"].empty  # a Planner file has no costs
    assert t["progress"].empty  # nor a status date


def _mpx() -> dict[str, list[list[str]]]:
    """Record number -> its records (fields after the number)."""
    out: dict[str, list[list[str]]] = {}
    with open(REAL / "legacy_sample.mpx", encoding="latin-1", newline="") as fh:
        for row in csv.reader(fh):
            out.setdefault(row[0], []).append(row[1:])
    return out


def _mpx_date(text: str) -> str:
    return datetime.strptime(text.split()[1], "%d/%m/%y").date().isoformat()  # 'Tue 07/01/03'


def test_mpx(read):
    raw = _mpx()
    task_fields = raw["60"][0]  # the names of the '70' task fields, in order
    tasks = [dict(zip(task_fields, r)) for r in raw["70"]]
    t = read("legacy_sample.mpx")
    assert len(t["milestones"]) == sum(x["Milestone"] == "Yes" and x["ID"] != "0" for x in tasks) == 1
    assert len(t["resources"]) == len(raw["50"]) == 2
    project = raw["30"][0]  # 30,sample,,,Standard,Tue 07/01/03,Tue 18/03/03,...
    p = t["projects"].iloc[0]
    assert p["name"] == project[0] == "sample"
    assert (p["start_date"], p["end_date"]) == (_mpx_date(project[4]), _mpx_date(project[5]))
    # no baseline: bac = the project summary task's (ID 0) Cost, '£3526.25'
    summary = next(x for x in tasks if x["ID"] == "0")
    assert p["bac"] == re.sub(r"[^0-9.]", "", summary["Cost"]) == "3526.25"
    # 75 = assignment: task's resource ID, units, work ('200h'), ...
    planned, actual = _hours(t)
    assert planned == sum(float(r[2].rstrip("h")) for r in raw["75"]) == 500
    assert actual == sum(float(r[4].rstrip("h")) for r in raw["75"]) == 0
    assert t["progress"].empty  # MPXJ gives no status date for it (the MPX file has a current date only)


# --- MS Project .mpp: against its MSPDI twin --------------------------------------------------------

def test_legacy_sample_mpp_against_its_mspdi_twin(read):
    mpp, xml = read("legacy_sample.mpp"), read_mspdi(REAL / "legacy_sample.xml")
    assert mpp["milestones"].equals(xml["milestones"])  # T3 'Third task', 2003-01-07
    same = ["resource_id", "name", "team", "role", "weekly_capacity_hours"]
    assert mpp["resources"][same].equals(xml["resources"][same])
    keep = ["project_id", "name", "portfolio", "manager", "status", "start_date", "end_date",
            "baseline_end_date", "currency"]
    assert mpp["projects"][keep].equals(xml["projects"][keep])
    # What differs, by eye: the .mpp carries three tasks the XML does not, 'Resource Assignments' with
    # 'Assigned Task 1' (40 h First Resource, 430.00) and 'Assigned Task 2' (40 h Second Resource, 215.00)
    blob, text = (REAL / "legacy_sample.mpp").read_bytes(), (REAL / "legacy_sample.xml").read_text()
    for task in ("Resource Assignments", "Assigned Task 1", "Assigned Task 2"):
        assert task.encode("utf-16-le") in blob and task not in text
    assert float(mpp["projects"].iloc[0]["bac"]) == float(xml["projects"].iloc[0]["bac"]) + 430 + 215 == 4171.25
    assert _hours(mpp)[0] == _hours(xml)[0] + 40 + 40 == 580
    # the XML has CurrentDate 2003-02-19 (its progress row); MPXJ gives the .mpp no status date
    assert len(xml["progress"]) == 1 and mpp["progress"].empty


def test_mpp14timephased_against_its_mspdi_twin(read):
    # mspditimephased.xml is the same project saved as XML: 41 resources, 40 assignments
    mpp, xml = read("mpp14timephased.mpp"), read_mspdi(REAL / "mspditimephased.xml")
    same = ["resource_id", "name", "team", "role", "weekly_capacity_hours"]  # 37.5 h: a 7.5 h day
    assert mpp["resources"][same].equals(xml["resources"][same])
    assert len(mpp["resources"]) == 41 and mpp["milestones"].empty and xml["milestones"].empty
    keep = ["status", "start_date", "end_date", "baseline_end_date", "bac", "currency"]
    assert mpp["projects"][keep].equals(xml["projects"][keep])  # 2008-11-20..2009-01-02, 0.00, GBP
    # neither has a title: each is named after its own file
    assert [t["projects"].iloc[0]["name"] for t in (mpp, xml)] == ["mpp14timephased", "mspditimephased"]
    # totals agree (3175 h planned, 1230 h actual: the XML summary's Work / ActualWork); the weeks may
    # not, as the XML reader follows the timephased shape and this one spreads evenly
    assert _hours(mpp) == _hours(xml) == (3175, 1230)
    by_resource = [t["allocations"].assign(h=t["allocations"]["planned_hours"].astype(float))
                   .groupby("resource_id")["h"].sum().round(2).to_dict() for t in (mpp, xml)]
    assert by_resource[0] == by_resource[1]


def test_mpp14baseline(read, tmp_path):
    # No MSPDI twin: expected values from MPXJ's own test of this file (MppTaskTest.testBaselineTasks:
    # task 7 'Complete', Base Task baseline 24/08/2006..13/09/2006), the strings in the binary, and
    # the file written as MSPDI by MPXJ's own writer, then read by read_mspdi.
    blob = (REAL / "mpp14baseline.mpp").read_bytes()
    t = read("mpp14baseline.mpp")
    assert t["milestones"][["milestone_id", "name"]].values.tolist() == [["T5", "Complete"]]
    assert t["resources"]["name"].tolist() == ["Wade Golden", "Jon Iles"]
    assert all(n.encode("utf-16-le") in blob for n in ["Wade Golden", "Jon Iles", "MPP12BaselineTest-9"])
    p = t["projects"].iloc[0]
    assert p["name"] == "MPP12BaselineTest-9"
    assert (p["start_date"], p["baseline_end_date"]) == ("2006-08-24", "2006-09-13")
    assert p["bac"] == "0.00"  # baselined (dates set) but no cost anywhere: resources at 0/h
    assert p["currency"] == "GBP"

    from org.mpxj.mspdi import MSPDIWriter  # the JVM runs: read() started it
    from org.mpxj.reader import UniversalProjectReader

    xml = tmp_path / "mpp14baseline.xml"
    MSPDIWriter().write(UniversalProjectReader().read(str(REAL / "mpp14baseline.mpp")), str(xml))
    twin = read_mspdi(xml, project_id="MPP14BASELINE")
    same = ["resource_id", "name", "team", "role", "weekly_capacity_hours"]
    assert t["resources"][same].equals(twin["resources"][same])
    for table in ("milestones", "allocations"):
        assert t[table].equals(twin[table]), table
    assert _hours(t) == _hours(twin) == (208, 104)  # 24 + 16 + 80 + 24 + 40 + 24 h; 24 + 40 + 40 actual
