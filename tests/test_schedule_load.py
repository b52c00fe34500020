"""Every schedule format through `pmo load` and `pmo check`: each real MPXJ test file loaded alone stores
as many activities and relationships as its raw file holds (counted another way: regular expressions on
MSPDI, MPX records, XER %R rows, xml.etree on P6 XML and Planner, an .mpp against its MSPDI twin); a
folder of schedules loads as one month, one project each; schedules built with MPXJ here, with
violations counted by hand, give `pmo check` those DCMA counts as .mpx and as MSPDI; and without
MPXJ, or with a damaged file, the command says so in one line and writes nothing.
"""
from __future__ import annotations

import csv
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from conftest import one_line_error, read_xer, sha256
from pmo_analytics.ingest.schedules.mspdi_schedule import read_mspdi_schedule
from pmo_analytics.ingest.schedules.reading import detail, project_id_of

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "mpxj-schedule-exports"
MONTH = "2026-10"
MSPDI = ["baselines.xml", "legacy_sample.xml", "mspdiresource.xml", "mspditimephased.xml"]
MPXJ_READ = ["assignment_resource-rates-test.xer", "assignment_resource-rates-test.xml", "legacy_sample.mpp",
             "legacy_sample.mpx", "mpp14baseline.mpp", "mpp14timephased.mpp", "planner-sample.planner"]
RATES = "assignment_resource-rates-test.xer"


@pytest.fixture(scope="module")
def jvm():
    """MPXJ's classes, the JVM started once for the module (as the first schedule read would)."""
    from pmo_analytics.ingest.schedules.mpxj_read import _java

    _java()


def test_every_real_file_is_here():
    assert sorted(p.name for p in REAL.iterdir() if p.suffix != ".txt") == sorted(MSPDI + MPXJ_READ)


# --- independent counts from the raw files ----------------------------------------------------------

def _mspdi_counts(path: Path) -> tuple[int, int]:
    """<Task> blocks with a whole-number UID and IsNull not 1; their <PredecessorLink>s to such tasks."""
    tasks = [b for b in re.findall(r"<Task>(.*?)</Task>", path.read_text(encoding="utf-8"), flags=re.DOTALL)
             if re.search(r"<UID>\d+</UID>", b) and "<IsNull>1</IsNull>" not in b]
    uids = {re.search(r"<UID>(\d+)</UID>", re.sub(r"<PredecessorLink>.*?</PredecessorLink>", "", b,
                                                     flags=re.DOTALL)).group(1) for b in tasks}
    links = [u for b in tasks for u in re.findall(r"<PredecessorUID>(\d+)</PredecessorUID>", b) if u in uids]
    return len(tasks), len(links)


def _mpx_counts(path: Path) -> tuple[int, int]:
    """'70' task records; relationships: the items of each task's Predecessors field ('10FS+1d,9' is
    two), the field found by name in the '60' record that lists the task fields."""
    with open(path, encoding="latin-1", newline="") as fh:
        records = list(csv.reader(fh))
    fields = next(r[1:] for r in records if r[0] == "60")
    tasks = [dict(zip(fields, r[1:])) for r in records if r[0] == "70"]
    return len(tasks), sum(len([p for p in t.get("Predecessors", "").split(",") if p.strip()]) for t in tasks)


def _xer_counts(path: Path) -> tuple[int, int]:
    # MPXJ turns every PROJWBS row into a summary task, the project node (proj_node_flag Y, 'Resource
    # Rates Test') included: it is not dropped. The file has no TASKPRED table.
    raw = read_xer(path)
    return len(raw["TASK"]) + len(raw["PROJWBS"]), len(raw.get("TASKPRED", []))


def _p6_xml_counts(path: Path) -> tuple[int, int]:
    project = ET.parse(path).getroot().find("{*}Project")
    return (len(project.findall("{*}Activity")) + len(project.findall("{*}WBS")),
            len(project.findall("{*}Relationship")))


def _planner_counts(path: Path) -> tuple[int, int]:
    root = ET.parse(path).getroot()
    return len(list(root.iter("task"))), len(list(root.iter("predecessor")))


def _twin_counts(path: Path) -> tuple[int, int]:
    s = read_mspdi_schedule(path)
    return len(s.activities), len(s.relations)


def _raw_counts(name: str) -> tuple[int, int]:
    """(activities, relationships) of a real file, read without the reader under test."""
    path = REAL / name
    if name in MSPDI:
        return _mspdi_counts(path)
    if name == "mpp14timephased.mpp":
        return _twin_counts(REAL / "mspditimephased.xml")  # the same project saved as MSPDI: (41, 0)
    if name == "legacy_sample.mpp":
        # legacy_sample.xml's 20 tasks and 6 links, plus the 3 tasks only the .mpp has ('Resource
        # Assignments', 'Assigned Task 1', 'Assigned Task 2': test_legacy_sample_mpp_twin)
        return _twin_counts(REAL / "legacy_sample.xml")[0] + 3, 6
    if name == "mpp14baseline.mpp":
        # No twin. 15 tasks: MPP14BASELINE_TASKS, each name found in the binary (test_mpp14baseline_by_hand);
        # 6 links, MPXJ's own MSPDIWriter's <PredecessorLink>s of it, by UID 2->3, 3->4, 2->7, 4->6, 7->6, 6->5
        return 15, 6
    return {".mpx": _mpx_counts, ".xer": _xer_counts, ".planner": _planner_counts,
            ".xml": _p6_xml_counts}[path.suffix](path)


MPP14BASELINE_TASKS = ["MPP12BaselineTest-9", "Base Task", "Subtask 1", "Subtask 2", "Subtask 3", "Subtask 4",
                       "Subtask 5", "Complete", "Complex Outline Number", "Subtask A", "Subtask A1", "Subtask A2",
                       "Subtask B", "Subtask B1", "Subtask B1a"]


def test_raw_counts_by_hand():
    # the counters themselves, against the files read by eye
    assert _mspdi_counts(REAL / "legacy_sample.xml") == (20, 6)  # Related Task 1b..6b: one link each
    # MPX: 20 '70' lines; Predecessors '8', '10FS+1d,9', '12FS-1d', '14SS', '16FF', '18SF' = 7
    assert _mpx_counts(REAL / "legacy_sample.mpx") == (20, 7)
    assert _xer_counts(REAL / RATES) == (2, 0)  # TASK A1000 + PROJWBS NEWPROJ
    assert _p6_xml_counts(REAL / "assignment_resource-rates-test.xml") == (1, 0)  # P6 XML leaves the node out
    assert _planner_counts(REAL / "planner-sample.planner") == (2, 1)  # Task One -> Task Two


def test_legacy_sample_mpp_twin():
    blob, text = (REAL / "legacy_sample.mpp").read_bytes(), (REAL / "legacy_sample.xml").read_text()
    for task in ("Resource Assignments", "Assigned Task 1", "Assigned Task 2"):
        assert task.encode("utf-16-le") in blob and task not in text


def test_mpp14baseline_by_hand(jvm, tmp_path):
    blob = (REAL / "mpp14baseline.mpp").read_bytes()
    assert [n for n in MPP14BASELINE_TASKS if n.encode("utf-16-le") not in blob] == []
    from org.mpxj.mspdi import MSPDIWriter
    from org.mpxj.reader import UniversalProjectReader

    xml = tmp_path / "mpp14baseline.xml"
    MSPDIWriter().write(UniversalProjectReader().read(str(REAL / "mpp14baseline.mpp")), str(xml))
    assert _mspdi_counts(xml) == (15, 6)


# --- 1. each real file loaded alone -----------------------------------------------------------------

def _stored(database: Path, project_id: str) -> dict:
    con = duckdb.connect(str(database), read_only=True)
    try:
        def count(table):
            return con.sql(f"SELECT count(*) FROM {table} WHERE project_id = ? AND as_of = '2026-10-31'",
                           params=[project_id]).fetchall()[0][0]
        header = con.sql("SELECT activities, relations FROM schedules WHERE project_id = ?",
                         params=[project_id]).fetchall()
        projects = con.sql("SELECT DISTINCT project_id FROM schedule_activities").fetchall()
        return {"counts": (count("schedule_activities"), count("schedule_relations")), "header": header,
                "projects": [p for (p,) in projects]}
    finally:
        con.close()


@pytest.mark.parametrize("name", MSPDI + MPXJ_READ)
def test_each_real_schedule_loads_alone(run, db_file, jvm, name):
    code, out, err = run("load", REAL / name, "--as-of", MONTH, "--db", db_file)
    assert code == 0, err
    assert f"schedule health (DCMA-14) of {name} ({project_id_of(name)}):" in out
    stored = _stored(db_file, project_id_of(name))
    expected = _raw_counts(name)
    assert stored == {"counts": expected, "header": [expected], "projects": [project_id_of(name)]}


@pytest.mark.parametrize("name", [RATES, "assignment_resource-rates-test.xml"])
def test_the_over_allocated_p6_plan_loads_with_warnings(run, db_file, jvm, name):
    # P6 assigns Resource 1 five times to A1000: 5 x 240 h (TASKRSRC target_qty) = 1200 h over
    # Mon 2022-08-22..Fri 09-30, 6 weeks of 200 h, more than a week's 168 h: a planned over-allocation,
    # which a schedule may carry (it is not levelled yet), so each week is a warning, not a refusal
    code, out, err = run("load", REAL / name, "--as-of", MONTH, "--db", db_file)
    assert code == 0, err
    over = [line for line in err.splitlines() if "column planned_hours" in line]
    assert over == [f"warning: {REAL / name}: row {row}, column planned_hours: '200' planned hours in one week: "
                    "more than a week has (parallel assignments); the plan over-allocates this person"
                    for row in range(1, 7)]
    assert _stored(db_file, project_id_of(name))["counts"] == _raw_counts(name)


def test_check_prints_the_dcma_table_of_the_p6_plan(run, jvm):
    code, out, err = run("check", REAL / RATES)
    assert code == 0, err
    table = out.split(f"DCMA-14 checks of {REAL / RATES} (project ASSIGNMENT_RESOURCE_RATES_TEST):\n")[1]
    rows = _dcma_rows(table)
    assert sorted(rows) == list(range(1, 15))
    # one incomplete task (A1000, T35845) without any link: 1 of 1 fails check 1; it has no float
    assert rows[1] == ("1/1", "FAIL", "T35845") and rows[6][1] == "n/a"


def test_a_refused_load_leaves_the_database_as_it_was(run, db_file, jvm, tmp_path):
    assert run("load", REAL / "legacy_sample.xml", "--as-of", MONTH, "--db", db_file)[0] == 0
    before = sha256(db_file)
    garbage = tmp_path / "broken.xer"
    garbage.write_bytes((REAL / RATES).read_bytes()[:3000])  # cut in the CALENDAR table, no %E line
    code, out, err = run("load", garbage, "--as-of", MONTH, "--db", db_file)
    assert code == 1 and sha256(db_file) == before
    assert one_line_error(err) == [f"error: {garbage}: the XER file ends before its '%E' end line (a copy or "
                                   "download cut short?); export it from P6 again"]


def test_an_xer_holding_two_projects_is_refused_with_their_names(run, db_file, jvm, tmp_path):
    # The sample's PROJECT table (line 32: proj_id 368, short name NEWPROJ) with a second row for
    # proj_id 369 'SECONDPROJ': MPXJ's reader would read one project and drop the other silently.
    lines = (REAL / RATES).read_text(encoding="cp1252").split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("%F\tproj_id\t"))
    fields, cells = lines[header].split("\t"), lines[header + 1].split("\t")
    cells[fields.index("proj_id")], cells[fields.index("proj_short_name")] = "369", "SECONDPROJ"
    two = tmp_path / "two.xer"
    two.write_text("\n".join(lines[:header + 2] + ["\t".join(cells)] + lines[header + 2:]), encoding="cp1252")
    assert run("load", REAL / "legacy_sample.xml", "--as-of", MONTH, "--db", db_file)[0] == 0
    before = sha256(db_file)
    code, out, err = run("load", two, "--as-of", MONTH, "--db", db_file)
    assert code == 1 and sha256(db_file) == before
    assert one_line_error(err) == [f"error: {two}: holds 2 projects (NEWPROJ, SECONDPROJ); the workbench reads "
                                   "one project per schedule file: export each project from P6 on its own"]


# --- 2. a folder of schedules -----------------------------------------------------------------------

FOLDER = ["legacy_sample.xml", "mpp14baseline.mpp", "mspdiresource.xml", "planner-sample.planner"]


def _folder(tmp_path: Path, names) -> Path:
    folder = tmp_path / "schedules"
    folder.mkdir()
    for name in names:
        shutil.copy(REAL / name, folder / name)
    return folder


def test_a_folder_loads_one_project_per_schedule(run, db_file, jvm, tmp_path):
    code, out, err = run("load", _folder(tmp_path, FOLDER), "--as-of", MONTH, "--db", db_file)
    assert code == 0, err
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        def rows(sql):
            return con.sql(sql).fetchall()
        assert rows("SELECT project_id FROM projects ORDER BY 1") == [
            ("LEGACY_SAMPLE",), ("MPP14BASELINE",), ("MSPDIRESOURCE",), ("PLANNER_SAMPLE",)]
        acts = dict(rows("SELECT project_id, count(*) FROM schedule_activities GROUP BY 1"))
        rels = dict(rows("SELECT project_id, count(*) FROM schedule_relations GROUP BY 1"))
        resources = [r for (r,) in rows("SELECT resource_id FROM resources ORDER BY 1")]
        allocated = {r for (r,) in rows("SELECT DISTINCT resource_id FROM allocations")}
        months = rows("SELECT DISTINCT as_of::VARCHAR FROM schedule_activities")
    finally:
        con.close()
    assert months == [("2026-10-31",)]
    for name in FOLDER:
        assert (acts[project_id_of(name)], rels.get(project_id_of(name), 0)) == _raw_counts(name), name
    # each file's R<uid> under its project: legacy_sample R1, R2; mpp14baseline 2 (Wade Golden, Jon Iles);
    # mspdiresource 4; planner 1
    assert {r.split(":")[0] for r in resources} == {"LEGACY_SAMPLE", "MPP14BASELINE", "MSPDIRESOURCE",
                                                     "PLANNER_SAMPLE"}
    assert len(resources) == 2 + 2 + 4 + 1 and "LEGACY_SAMPLE:R1" in resources and "LEGACY_SAMPLE:R2" in resources
    assert allocated <= set(resources) and "LEGACY_SAMPLE:R1" in allocated


def test_a_problem_in_one_schedule_of_a_folder_names_it_and_its_row(run, db_file, jvm, tmp_path):
    folder = _folder(tmp_path, FOLDER)
    # after legacy_sample.xml, mpp14baseline.mpp and mspdiresource.xml (22 + 7 + 7 allocation rows),
    # so its first allocation is row 37 of the table they feed and row 1 of its own
    shutil.copy(REAL / "assignment_resource-rates-test.xml", folder / "p6_rates.xml")
    code, out, err = run("check", folder)
    assert code == 0, err  # warnings only
    over = [line for line in out.splitlines() if "column planned_hours" in line]
    assert [re.match(r"warning: (.*?): row (\d+),", line).groups() for line in over] == [
        (str(folder / "p6_rates.xml"), str(row)) for row in range(1, 7)]
    # mspdiresource.xml's row 4 has no capacity: named by its own file and row
    assert f"warning: {folder / 'mspdiresource.xml'}: row 4, column weekly_capacity_hours:" in out
    assert "DCMA-14 checks of" in out and out.count("DCMA-14 checks of") == 5
    # a schedule that cannot be read stops the load of the folder, named alone, nothing written
    (folder / "broken.mpp").write_text("not a project\n")
    code, out, err = run("load", folder, "--as-of", MONTH, "--db", db_file)
    assert code == 1 and not db_file.exists()
    assert one_line_error(err) == [f"error: {folder / 'broken.mpp'}: not a schedule MPXJ recognises (Primavera "
                                   ".xer / P6 XML, MS Project .mpp / .mpx / XML, GNOME Planner)"]


# --- 3. schedules built with MPXJ, with known DCMA violations -----------------------------------------

# (name, working days, start, finish, total float in days); ID = unique ID = the position, from 1
PLAN = [("Kick-off", 0, "2025-12-15", "2025-12-15", None), ("Design", 10, "2026-01-05", "2026-01-16", 1),
        ("Build", 5, "2026-01-15", "2026-01-21", 1), ("Test", 5, "2026-01-22", "2026-01-28", -2),
        ("Docs", 5, "2026-01-05", "2026-01-09", 10), ("Inspection", 2, "2026-02-02", "2026-02-03", 3),
        ("Fabrication", 60, "2026-01-05", "2026-03-27", 1), ("Handover", 0, "2026-03-27", "2026-03-27", 1),
        ("Loose end", 3, "2026-01-05", "2026-01-07", 55), ("Late", 10, "2025-12-15", "2025-12-26", 1)]
# (predecessor, successor, MPXJ RelationType, lag in working days)
LINKS = [(1, 2, "FINISH_START", 0), (10, 2, "FINISH_START", 0), (2, 3, "FINISH_START", -2),
         (2, 4, "FINISH_START", 3), (2, 5, "START_START", 0), (3, 6, "FINISH_START", 0),
         (1, 7, "FINISH_START", 0), (1, 9, "FINISH_START", 0), (1, 10, "FINISH_START", 0),
         *[(n, 8, "FINISH_START", 0) for n in (3, 4, 5, 6, 7)]]


def _build(path: Path) -> None:
    """PLAN and LINKS written by MPXJ (.mpx or MSPDI by the suffix), status date Mon 2026-01-05:
      1 Kick-off     milestone, done 2025-12-15                   -> 2, 7, 9, 10
      2 Design       10 d  01-05..01-16       preds 1, 10         -> 3 (FS -2 d: a lead), 4 (FS +3 d: a lag),
                                                                     5 (SS)
      3 Build         5 d  01-15..01-21                            -> 6, 8
      4 Test          5 d  01-22..01-28       total float -2 d     -> 8
      5 Docs          5 d  01-05..01-09                            -> 8
      6 Inspection    2 d  must start on 2026-02-02                 -> 8
      7 Fabrication  60 d  01-05..03-27                            -> 8
      8 Handover     milestone 03-27                               (no successor: the end)
      9 Loose end     3 d  01-05..01-07       total float 55 d, no resource, no successor
     10 Late         10 d  2025-12-15..12-26, started 12-15, 50%  -> 2 (finishes before the status date)
    One resource, 'Crew', works on every task but the milestones and 9. Every other incomplete task has
    some float (1-10 d: MPXJ's MSPDI writer leaves a float of 0 out)."""
    from java.lang import Double
    from java.time import LocalDateTime
    from org.mpxj import ConstraintType, Duration, ProjectFile, Relation, RelationType, TimeUnit
    from org.mpxj.writer import FileFormat, UniversalProjectWriter

    def at(day: str, hour: int = 8):
        return LocalDateTime.of(*map(int, day.split("-")), hour, 0)

    project = ProjectFile()
    project.setDefaultCalendar(project.addDefaultBaseCalendar())
    props = project.getProjectProperties()
    props.setProjectTitle("Built")
    props.setStartDate(at("2025-12-15"))
    props.setStatusDate(at("2026-01-05"))
    crew = project.addResource()
    crew.setName("Crew")
    tasks = {}
    for n, (name, days, start, finish, _slack) in enumerate(PLAN, 1):
        t = tasks[n] = project.addTask()
        t.setName(name)
        t.setDuration(Duration.getInstance(days, TimeUnit.DAYS))
        t.setStart(at(start))
        t.setFinish(at(finish, 17 if days else 8))
        t.setMilestone(days == 0)
        t.setPercentageComplete(Double(100.0 if n == 1 else 50.0 if n == 10 else 0.0))
        if n not in (1, 8, 9):
            t.addResourceAssignment(crew).setWork(Duration.getInstance(days * 8, TimeUnit.HOURS))
    tasks[1].setActualStart(at("2025-12-15"))
    tasks[1].setActualFinish(at("2025-12-15"))
    tasks[10].setActualStart(at("2025-12-15"))
    tasks[6].setConstraintType(ConstraintType.MUST_START_ON)
    tasks[6].setConstraintDate(at("2026-02-02"))
    for n, (*_, slack) in enumerate(PLAN, 1):  # last: setting an actual date clears a task's float
        if slack is not None:
            tasks[n].setTotalSlack(Duration.getInstance(slack, TimeUnit.DAYS))
    for pred, succ, kind, lag in LINKS:
        tasks[succ].addPredecessor(Relation.Builder().predecessorTask(tasks[pred])
                                   .type(getattr(RelationType, kind)).lag(Duration.getInstance(lag, TimeUnit.DAYS)))
    fmt = FileFormat.MPX if path.suffix == ".mpx" else FileFormat.MSPDI
    UniversalProjectWriter(fmt).write(project, str(path))


def _dcma_rows(table: str) -> dict[int, tuple[str, str, str]]:
    """{number: (count, result, offenders or note)} from `pmo check`'s aligned DCMA lines."""
    rows = {}
    for line in table.splitlines()[1:15]:
        m = re.match(r"\s*(\d+)  .*?\s(\d+/\d+|–)\s.*?\s(PASS|FAIL|n/a)\s*(.*)$", line)
        rows[int(m.group(1))] = (m.group(2), m.group(3), m.group(4))
    return rows


# By hand. The network: all ten (no summary). Incomplete: 2-10 (9; task 1 finished). 14 links, all into
# incomplete tasks.
#  1 Logic: 8 and 9 have no successor, every other incomplete task has both ends: 2 of 9, 22% > 5% FAIL
#  2 Leads: 2->3 at -2 d: 1 of 14, FAIL (none allowed); offender the successor, T3
#  3 Lags: 2->4 at +3 d: 1 of 14 = 7.1% > 5%, FAIL; T4
#  4 Types: 2->5 SS: 13 of 14 FS = 92.9% >= 90%, PASS; T5 counted
#  5 Hard constraints: 6 must start on: 1 of 9 = 11% > 5%, FAIL; T6
#  6 High float: 9 at 55 d > 44 of the 9 incomplete tasks with a float: 1 of 9, FAIL; T9
#  7 Negative float: 4 at -2 d: 1 of 9, FAIL; T4
#  8 High duration: 7 at 60 d > 44, of the 8 incomplete non-milestones: 1 of 8, FAIL; T7
#  9 Invalid dates: 10 (started) finishes 2025-12-26, before the status date 2026-01-05; nothing else
#    starts or finishes before it, no actual date after it: 1 of the 10 activities, FAIL; T10
# 10 Resources: 9 has duration and no resource: 1 of the 8 incomplete non-milestones, FAIL; T9
BY_HAND = {1: ("2/9", "FAIL", "T8, T9"), 2: ("1/14", "FAIL", "T3"), 3: ("1/14", "FAIL", "T4"),
           4: ("1/14", "PASS", "T5"), 5: ("1/9", "FAIL", "T6"), 6: ("1/9", "FAIL", "T9"), 7: ("1/9", "FAIL", "T4"),
           8: ("1/8", "FAIL", "T7"), 9: ("1/10", "FAIL", "T10"), 10: ("1/8", "FAIL", "T9")}


@pytest.mark.parametrize("suffix", [".xml", ".mpx"])
def test_built_schedules_give_the_dcma_counts_by_hand(run, jvm, tmp_path, suffix):
    path = tmp_path / f"built{suffix}"
    _build(path)
    assert detail(path).schedule.source_format == {".xml": "MSPDI", ".mpx": "MPX"}[suffix]  # its own reader
    code, out, err = run("check", path)
    assert code == 0, err
    rows = _dcma_rows(out.split(f"DCMA-14 checks of {path} (project BUILT):\n")[1])
    expected = dict(BY_HAND)
    if suffix == ".mpx":
        # MPX has no status date field (record 30 carries the current date only), so check 9 has none
        expected[9] = ("–", "n/a", "the file has no status date")
    assert {n: rows[n] for n in range(1, 11)} == expected


# --- 4. without MPXJ, and damaged files --------------------------------------------------------------

def test_without_mpxj_the_load_says_how_to_install(pmo_process, tmp_path):
    blocker = tmp_path / "no_jpype"
    blocker.mkdir()
    (blocker / "jpype.py").write_text("raise ImportError('No module named jpype (blocked by the test)')\n")
    env = {"PYTHONPATH": str(blocker)}
    database = tmp_path / "pmo.duckdb"
    # MS Project XML needs no Java: it loads; then the .xer cannot and leaves the file as it was
    code, out, err = pmo_process("load", REAL / "legacy_sample.xml", "--as-of", MONTH, "--db", database, env=env)
    assert code == 0, err
    before = sha256(database)
    code, out, err = pmo_process("load", REAL / RATES, "--as-of", MONTH, "--db", database, env=env)
    assert (code, sha256(database)) == (1, before)
    assert one_line_error(err) == [
        f"error: {REAL / RATES}: reading Primavera P6 XER needs MPXJ; the schedules extra is not installed: "
        "pip install 'pmo-analytics[schedules]' (MPXJ) and a Java runtime (Debian: apt-get install "
        "default-jre-headless)"]


@pytest.mark.parametrize("name, content, message", [
    ("cut.xer", (REAL / RATES).read_bytes()[:-11], "the XER file ends before its '%E' end line"),  # mid-TASKRSRC
    ("garbage.xer", b"\x00\x01garbage, not an export\n", "not a schedule MPXJ recognises"),
    ("empty.xer", b"", "not a schedule MPXJ recognises"),
    ("notes.mpp", b"Plan for Q3: see the shared drive\n", "not a schedule MPXJ recognises"),
])
def test_damaged_files_give_one_line_naming_the_file(run, db_file, jvm, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    for command in (["load", path, "--as-of", MONTH, "--db", db_file], ["check", path]):
        code, out, err = run(*command)
        lines = one_line_error(err)
        assert code == 1 and len(lines) == 1 and lines[0].startswith(f"error: {path}: {message}"), err
    assert not db_file.exists()
