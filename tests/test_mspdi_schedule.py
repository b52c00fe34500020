"""MSPDI read into the Schedule model without Java (mspdi_schedule.py), checked two ways: against MPXJ's
reading of the same real files (an independent reader, in Java), field by field, with the XML deciding
where the two differ; and on small hand-written files whose every value is worked out in a comment.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.schedules.mpxj_read import read_schedule
from pmo_analytics.ingest.schedules.mspdi_schedule import read_mspdi_schedule

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "mpxj-schedule-exports"
MSPDI_FILES = ["baselines.xml", "legacy_sample.xml", "mspdiresource.xml", "mspditimephased.xml"]
EXACT = ("name", "kind", "wbs", "start", "finish", "actual_start", "actual_finish", "baseline_start",
         "baseline_finish", "critical", "constraint_type", "constraint_date", "resources", "parent_id",
         "percent_complete")
DAYS = ("duration_days", "remaining_days", "baseline_duration_days", "total_float_days")
MONEY = ("cost", "baseline_cost", "actual_cost")


@pytest.fixture(scope="module")
def both():
    cache = {}

    def _read(name):
        if name not in cache:
            cache[name] = (read_mspdi_schedule(REAL / name), read_schedule(REAL / name))
        return cache[name]
    return _read


def _close(a, b, tol):
    return a == b if a is None or b is None else abs(a - b) <= tol


# --- the real files against MPXJ ----------------------------------------------------------------------

@pytest.mark.parametrize("name", MSPDI_FILES)
def test_project_values_match_mpxj(both, name):
    ours, mpxj = both(name)
    for f in ("name", "status_date", "start", "finish", "manager", "currency", "hours_per_day",
              "hours_per_week", "source_format"):
        assert getattr(ours, f) == getattr(mpxj, f), f
    # None of the four files has a StatusDate (each has a CurrentDate, which is not a status date)
    assert ours.status_date is None


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_activities_match_mpxj_field_by_field(both, name):
    ours, mpxj = both(name)
    assert [a.activity_id for a in ours.activities] == [a.activity_id for a in mpxj.activities]
    for a, b in zip(ours.activities, mpxj.activities):
        for f in EXACT:
            assert getattr(a, f) == getattr(b, f), (a.activity_id, f)
        for f in DAYS:
            assert _close(getattr(a, f), getattr(b, f), 0.01), (a.activity_id, f)
        for f in MONEY:
            assert _close(getattr(a, f), getattr(b, f), 0.005), (a.activity_id, f)
        if a.activity_id != "T0":
            assert a.code == b.code, a.activity_id


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_project_task_code_is_its_id_0(both, name):
    # MPXJ's reading says None: mpxj_read takes `getID() or ...`, and Java's Integer 0 is falsy in
    # Python. The XML has it: <Task><UID>0</UID><ID>0</ID> (baselines.xml and legacy_sample.xml line 2,
    # mspdiresource.xml line 586, mspditimephased.xml line 584).
    ours, _ = both(name)
    assert ours.summary.code == "0"


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_relations_match_mpxj(both, name):
    ours, mpxj = both(name)
    assert [(r.predecessor, r.successor, r.type) for r in ours.relations] == \
           [(r.predecessor, r.successor, r.type) for r in mpxj.relations]
    assert all(_close(r.lag_days, m.lag_days, 0.001) for r, m in zip(ours.relations, mpxj.relations))


def test_legacy_sample_links_read_from_the_xml():
    # legacy_sample.xml line 2, the PredecessorLinks (MinutesPerDay 480, so a day is 4800 tenths of a minute):
    # UID 10 <- 9 Type 1 LinkLag 0; 12 <- 11 Type 1 LinkLag 4800 (+1 d); 14 <- 13 Type 1 LinkLag -4800
    # (a 1-day lead); 16 <- 15 Type 3 (SS); 18 <- 17 Type 0 (FF); 21 <- 20 Type 2 (SF); all LagFormat 7
    s = read_mspdi_schedule(REAL / "legacy_sample.xml")
    assert [(r.predecessor, r.successor, r.type, r.lag_days) for r in s.relations] == [
        ("T9", "T10", "FS", 0.0), ("T11", "T12", "FS", 1.0), ("T13", "T14", "FS", -1.0),
        ("T15", "T16", "SS", 0.0), ("T17", "T18", "FF", 0.0), ("T20", "T21", "SF", 0.0)]


def test_legacy_sample_values_read_from_the_xml():
    s = read_mspdi_schedule(REAL / "legacy_sample.xml")
    t = {a.activity_id: a for a in s.activities}
    # UID 2: <Duration>PT800H0M0S</Duration>, MinutesPerDay 480 -> 800 / 8 = 100 days
    assert t["T2"].duration_days == 100.0
    # UID 3: <TotalSlack>240000</TotalSlack> tenths of a minute -> 24000 min = 400 h = 50 days; milestone
    assert (t["T3"].total_float_days, t["T3"].kind, t["T3"].critical) == (50.0, "milestone", False)
    # UID 7: <ConstraintType>4</ConstraintType><ConstraintDate>2003-02-01T08:00:00 -> SNET; parent by
    # OutlineNumber 2.1 -> UID 6 (OutlineNumber 2); UID 6 (OutlineNumber 2) sits under the project task
    assert (t["T7"].constraint_type, t["T7"].constraint_date) == ("SNET", date(2003, 2, 1))
    assert (t["T7"].parent_id, t["T6"].parent_id, t["T0"].parent_id) == ("T6", "T0", None)
    # UID 0: <Cost>352625</Cost> hundredths -> 3526.25
    assert t["T0"].cost == 3526.25


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_no_real_file_has_a_baseline_0_on_a_task(both, name):
    # baselines.xml line 2: Task UID 1 carries <Baseline><Number>1</Number> ... 10 only, no Number 0; the
    # only <Number>0</Number> in the four files is an assignment's (mspdiresource.xml line 1675)
    ours, mpxj = both(name)
    assert all(a.baseline_start is None and a.baseline_duration_days is None for a in ours.activities)


def test_assignment_baseline_0_cost():
    # mspdiresource.xml lines 1627-1679: assignment of resource 1 to task 2, <Cost>120000</Cost> and
    # <Baseline><Number>0</Number> ... <Cost>100</Cost> -> 1200.00 and 1.00; <Work>PT24H0M0S</Work>
    ours = read_mspdi_schedule(REAL / "mspdiresource.xml")
    a = ours.assignments[0]
    assert (a.resource_id, a.activity_id, a.cost, a.baseline_cost, a.work_hours) == ("R1", "T2", 1200.0, 1.0, 24.0)


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_resources_and_assignments_match_mpxj(both, name):
    ours, mpxj = both(name)
    assert [(r.resource_id, r.name, r.kind, r.group, r.max_units) for r in ours.resources] == \
           [(r.resource_id, r.name, r.kind, r.group, r.max_units) for r in mpxj.resources]
    keys = ("resource_id", "activity_id", "start", "finish", "actual_start", "actual_finish")
    assert [tuple(getattr(a, k) for k in keys) for a in ours.assignments] == \
           [tuple(getattr(a, k) for k in keys) for a in mpxj.assignments]
    for a, b in zip(ours.assignments, mpxj.assignments):
        for f in ("work_hours", "actual_work_hours", "cost", "baseline_cost", "actual_cost"):
            assert _close(getattr(a, f), getattr(b, f), 0.005), (a.resource_id, a.activity_id, f)


@pytest.mark.parametrize("name, rates", [
    # legacy_sample.xml line 2: Resource UID 1 <StandardRate>10</StandardRate><StandardRateFormat>2 (per
    # hour), UID 2 <StandardRate>5</StandardRate>
    ("legacy_sample.xml", {"R1": 10.0, "R2": 5.0}),
    # mspdiresource.xml lines 989, 1500, 1551: <StandardRate>50</StandardRate>, 75, 100
    ("mspdiresource.xml", {"R1": 50.0, "R2": 75.0, "R3": 100.0}),
])
def test_resource_rates_come_from_standard_rate(both, name, rates):
    # MPXJ's reading has no rate at all: mpxj_read matches str(rate.getUnits()) against 'HOURS', and
    # MPXJ's TimeUnit prints as 'h'. The XML's StandardRate is per hour.
    ours, _ = both(name)
    assert {r.resource_id: r.rate for r in ours.resources if r.resource_id in rates} == rates


# --- hand-written files --------------------------------------------------------------------------------

HEADER = ("<Title>Hand</Title><Name>hand.xml</Name><StatusDate>2024-03-08T17:00:00</StatusDate>"
          "<CurrentDate>2024-03-11T08:00:00</CurrentDate><StartDate>2024-03-04T08:00:00</StartDate>"
          "<FinishDate>2024-03-15T17:00:00</FinishDate><Manager>Ann</Manager><CurrencyCode>EUR</CurrencyCode>")


def _file(tmp_path, tasks: str, header: str = HEADER, minutes=(480, 2400), rest: str = "") -> Path:
    path = tmp_path / "hand.xml"
    path.write_text(f'<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project">{header}'
                    f"<MinutesPerDay>{minutes[0]}</MinutesPerDay><MinutesPerWeek>{minutes[1]}</MinutesPerWeek>"
                    f"<Tasks>{tasks}</Tasks>{rest}</Project>", encoding="utf-8")
    return path


def _link(pred: int, kind: int, lag: int, fmt: int = 7) -> str:
    return (f"<PredecessorLink><PredecessorUID>{pred}</PredecessorUID><Type>{kind}</Type>"
            f"<LinkLag>{lag}</LinkLag><LagFormat>{fmt}</LagFormat></PredecessorLink>")


TASKS = (
    "<Task><UID>0</UID><ID>0</ID><Name>Hand</Name><OutlineNumber>0</OutlineNumber><OutlineLevel>0</OutlineLevel>"
    "<Summary>1</Summary></Task>"
    "<Task><UID>1</UID><ID>1</ID><Name>A</Name><WBS>1</WBS><OutlineNumber>1</OutlineNumber>"
    "<OutlineLevel>1</OutlineLevel><Summary>0</Summary><Milestone>0</Milestone>"
    "<Start>2024-03-04T08:00:00</Start><Finish>2024-03-08T17:00:00</Finish>"
    "<ActualStart>2024-03-04T08:00:00</ActualStart>"
    "<Duration>PT40H0M0S</Duration><RemainingDuration>PT20H0M0S</RemainingDuration>"
    "<PercentComplete>50</PercentComplete><TotalSlack>0</TotalSlack><Critical>1</Critical>"
    "<ConstraintType>0</ConstraintType><Cost>123456</Cost><ActualCost>61728</ActualCost>"
    "<Baseline><Number>1</Number><Duration>PT8H0M0S</Duration><Start>2023-01-02T08:00:00</Start></Baseline>"
    "<Baseline><Number>0</Number><Start>2024-03-04T08:00:00</Start><Finish>2024-03-07T17:00:00</Finish>"
    "<Duration>PT32H0M0S</Duration><Cost>100000</Cost></Baseline></Task>"
    "<Task><UID>2</UID><ID>2</ID><Name>B</Name><OutlineNumber>2</OutlineNumber><OutlineLevel>1</OutlineLevel>"
    "<Duration>PT16H0M0S</Duration><TotalSlack>14400</TotalSlack><Critical>0</Critical>"
    f"{_link(1, 3, 9600)}</Task>"
    "<Task><UID>3</UID><ID>3</ID><Name>C</Name><OutlineNumber>3</OutlineNumber><OutlineLevel>1</OutlineLevel>"
    "<Milestone>1</Milestone><Duration>PT0H0M0S</Duration><ConstraintType>3</ConstraintType>"
    f"<ConstraintDate>2024-03-15T17:00:00</ConstraintDate>{_link(2, 1, -4800)}{_link(99, 1, 0)}</Task>"
    "<Task><UID>4</UID><ID>4</ID><Name>D</Name><OutlineNumber>4</OutlineNumber><OutlineLevel>1</OutlineLevel>"
    f"<Duration>PT8H0M0S</Duration>{_link(1, 0, 14400, 8)}{_link(1, 2, 50, 19)}{_link(3, 1, 2400, 39)}</Task>"
    "<Task><UID>5</UID><ID>5</ID><IsNull>1</IsNull></Task>"
)


def test_hand_project_values(tmp_path):
    s = read_mspdi_schedule(_file(tmp_path, TASKS))
    # Title before Name; StatusDate, not CurrentDate; MinutesPerDay 480 / 60 = 8, MinutesPerWeek 2400 / 60 = 40
    assert (s.name, s.status_date, s.start, s.finish, s.manager, s.currency) == (
        "Hand", date(2024, 3, 8), date(2024, 3, 4), date(2024, 3, 15), "Ann", "EUR")
    assert (s.hours_per_day, s.hours_per_week, s.source_format) == (8.0, 40.0, "MSPDI")
    # UID 5 is IsNull=1: not an activity
    assert [a.activity_id for a in s.activities] == ["T0", "T1", "T2", "T3", "T4"]


def test_hand_task_values(tmp_path):
    t = {a.activity_id: a for a in read_mspdi_schedule(_file(tmp_path, TASKS)).activities}
    a = t["T1"]
    # PT40H / 8 h = 5 d; PT20H / 8 = 2.5 d; baseline 0 (not 1) PT32H / 8 = 4 d; Cost 123456 -> 1234.56,
    # ActualCost 61728 -> 617.28, baseline Cost 100000 -> 1000.00
    assert (a.kind, a.code, a.wbs, a.duration_days, a.remaining_days, a.baseline_duration_days) == (
        "task", "1", "1", 5.0, 2.5, 4.0)
    assert (a.cost, a.actual_cost, a.baseline_cost, a.percent_complete) == (1234.56, 617.28, 1000.0, 50.0)
    assert (a.start, a.finish, a.baseline_start, a.baseline_finish, a.actual_start, a.actual_finish) == (
        date(2024, 3, 4), date(2024, 3, 8), date(2024, 3, 4), date(2024, 3, 7), date(2024, 3, 4), None)
    assert (a.total_float_days, a.critical, a.constraint_type, a.parent_id) == (0.0, True, None, "T0")
    # UID 2: TotalSlack 14400 tenths of a minute = 1440 min = 24 h = 3 d; nothing says the cost: None, not 0
    b = t["T2"]
    assert (b.total_float_days, b.critical, b.cost, b.baseline_start) == (3.0, False, None, None)
    # UID 3: milestone, ConstraintType 3 = must finish on (MFO) on 2024-03-15
    assert (t["T3"].kind, t["T3"].constraint_type, t["T3"].constraint_date) == ("milestone", "MFO", date(2024, 3, 15))
    # UID 4 says neither Critical nor TotalSlack: unknown, not False / 0
    assert (t["T4"].critical, t["T4"].total_float_days, t["T4"].resources) == (None, None, 0)
    assert (t["T0"].kind, t["T0"].parent_id) == ("summary", None)


def test_hand_relations(tmp_path):
    rel = read_mspdi_schedule(_file(tmp_path, TASKS)).relations
    assert [(r.predecessor, r.successor, r.type, r.lag_days) for r in rel] == [
        # SS (Type 3) with LinkLag 9600 tenths = 960 min = 16 h = 2 d
        ("T1", "T2", "SS", 2.0),
        # FS with LinkLag -4800 = -480 min = -8 h: a lead of 1 d; the link from UID 99 (not in the file) is dropped
        ("T2", "T3", "FS", -1.0),
        # FF, LagFormat 8 (elapsed days): 14400 tenths = 24 clock hours = 1 eday = 5/7 working day = 0.7143
        ("T1", "T4", "FF", 0.7143),
        # SF, LagFormat 19 (%): LinkLag 50 = 50 % of A's 5 d = 2.5 d
        ("T1", "T4", "SF", 2.5),
        # FS, LagFormat 39 (estimated days, 7 + 32): 2400 tenths = 240 min = 4 h = 0.5 d
        ("T3", "T4", "FS", 0.5)]


def test_hand_lead_ss_lag_and_mfo_agree_with_mpxj(tmp_path):
    # The values checked by hand above, read by MPXJ too. Elapsed and percent lags are left out: mpxj_read
    # turns 1 eday into 3 d (24 clock hours counted as working hours) and 50 % into 0.1042 d (50 minutes)
    path = _file(tmp_path, TASKS)
    ours, mpxj = read_mspdi_schedule(path), read_schedule(path)
    pick = [("T1", "T2", "SS"), ("T2", "T3", "FS"), ("T3", "T4", "FS")]
    lags = [{(r.predecessor, r.successor, r.type): r.lag_days for r in s.relations} for s in (ours, mpxj)]
    assert [lags[0][k] for k in pick] == [lags[1][k] for k in pick] == [2.0, -1.0, 0.5]
    assert [(a.constraint_type, a.constraint_date) for a in ours.activities] == \
           [(a.constraint_type, a.constraint_date) for a in mpxj.activities]


def test_working_day_of_seven_and_a_half_hours(tmp_path):
    tasks = ("<Task><UID>1</UID><ID>1</ID><Name>A</Name><Duration>PT15H0M0S</Duration>"
             "<TotalSlack>9000</TotalSlack></Task>"
             f"<Task><UID>2</UID><ID>2</ID><Name>B</Name><Duration>PT3H45M0S</Duration>{_link(1, 1, -4500)}</Task>")
    s = read_mspdi_schedule(_file(tmp_path, tasks, header="<Name>plain</Name>", minutes=(450, 2250)))
    # MinutesPerDay 450 -> 7.5 h: PT15H = 2 d; TotalSlack 9000 tenths = 900 min = 15 h = 2 d;
    # PT3H45M = 3.75 h = 0.5 d; LinkLag -4500 = -450 min = -7.5 h = a lead of 1 d
    a, b = s.activities
    assert (s.name, s.status_date, s.hours_per_day, s.hours_per_week) == ("plain", None, 7.5, 37.5)
    assert (a.duration_days, a.total_float_days, b.duration_days) == (2.0, 2.0, 0.5)
    assert [(r.type, r.lag_days) for r in s.relations] == [("FS", -1.0)]
    # no task 0 and no outline: no parent
    assert (a.parent_id, b.parent_id) == (None, None)


def test_parents_by_outline_level_without_outline_numbers(tmp_path):
    tasks = ("<Task><UID>10</UID><ID>1</ID><Name>S</Name><OutlineLevel>1</OutlineLevel><Summary>1</Summary></Task>"
             "<Task><UID>11</UID><ID>2</ID><Name>S.1</Name><OutlineLevel>2</OutlineLevel></Task>"
             "<Task><UID>12</UID><ID>3</ID><Name>S.2</Name><OutlineLevel>2</OutlineLevel></Task>"
             "<Task><UID>13</UID><ID>4</ID><Name>T</Name><OutlineLevel>1</OutlineLevel></Task>")
    parents = [a.parent_id for a in read_mspdi_schedule(_file(tmp_path, tasks)).activities]
    # 11 and 12 sit one level under 10; 10 and 13 are at the top, with no task 0 above them
    assert parents == [None, "T10", "T10", None]


def test_parents_by_outline_number_without_levels(tmp_path):
    tasks = ("<Task><UID>0</UID><Name>P</Name><OutlineNumber>0</OutlineNumber><Summary>1</Summary></Task>"
             "<Task><UID>20</UID><Name>S</Name><OutlineNumber>1</OutlineNumber><Summary>1</Summary></Task>"
             "<Task><UID>21</UID><Name>S.1</Name><OutlineNumber>1.1</OutlineNumber></Task>"
             "<Task><UID>22</UID><Name>T</Name><OutlineNumber>2</OutlineNumber></Task>"
             "<Task><UID>23</UID><Name>S.2</Name><OutlineNumber>1.2</OutlineNumber></Task>")
    parents = [a.parent_id for a in read_mspdi_schedule(_file(tmp_path, tasks)).activities]
    # '1' and '2' sit under the project task '0'; '1.1' and '1.2' under '1', even after '2' in file order
    assert parents == [None, "T0", "T20", "T0", "T20"]


@pytest.mark.parametrize("code, canonical", [("0", None), ("1", "ALAP"), ("2", "MSO"), ("3", "MFO"),
                                             ("4", "SNET"), ("5", "SNLT"), ("6", "FNET"), ("7", "FNLT")])
def test_constraint_codes(tmp_path, code, canonical):
    tasks = f"<Task><UID>1</UID><Name>A</Name><ConstraintType>{code}</ConstraintType></Task>"
    assert read_mspdi_schedule(_file(tmp_path, tasks)).activities[0].constraint_type == canonical


def test_resources_and_assignments(tmp_path):
    rest = ("<Resources><Resource><UID>0</UID><ID>0</ID></Resource>"
            "<Resource><UID>1</UID><Name>Ann</Name><Type>1</Type><Group>Dev</Group><MaxUnits>0.5</MaxUnits>"
            "<StandardRate>80</StandardRate></Resource>"
            "<Resource><UID>2</UID><Name>Steel</Name><Type>0</Type><StandardRate>3</StandardRate></Resource>"
            "</Resources><Assignments>"
            "<Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID><Work>PT12H30M0S</Work>"
            "<Cost>100050</Cost><Start>2024-03-04T08:00:00</Start></Assignment>"
            "<Assignment><UID>2</UID><TaskUID>1</TaskUID><ResourceUID>2</ResourceUID><Work>PT5H0M0S</Work></Assignment>"
            "<Assignment><UID>3</UID><TaskUID>1</TaskUID><ResourceUID>-65535</ResourceUID></Assignment>"
            "<Assignment><UID>4</UID><TaskUID>1</TaskUID><ResourceUID>0</ResourceUID></Assignment>"
            "</Assignments>")
    s = read_mspdi_schedule(_file(tmp_path, "<Task><UID>1</UID><Name>A</Name></Task>", rest=rest))
    # UID 0 (unnamed placeholder) is no resource; a material has no capacity, rate or hours of work
    assert [(r.resource_id, r.name, r.kind, r.group, r.max_units, r.rate) for r in s.resources] == [
        ("R1", "Ann", "work", "Dev", 0.5, 80.0), ("R2", "Steel", "material", None, None, None)]
    # unassigned (-65535) and the placeholder 0 give no assignment; PT12H30M = 12.5 h; Cost 100050 -> 1000.50
    assert [(a.resource_id, a.work_hours, a.cost, a.start) for a in s.assignments] == [
        ("R1", 12.5, 1000.5, date(2024, 3, 4)), ("R2", None, None, None)]
    assert s.activities[0].resources == 2


@pytest.mark.parametrize("task, words", [
    ("<ConstraintType>9</ConstraintType>", "task UID 1: ConstraintType '9'"),
    ("<Duration>three days</Duration>", "task UID 1: Duration 'three days'"),
    ("<Start>next monday</Start>", "task UID 1: Start 'next monday' is not a date"),
    ("<Cost>lots</Cost>", "task UID 1: Cost 'lots'"),
    (_link(0, 7, 0), "task UID 1, predecessor link from UID 0: Type '7'"),
])
def test_bad_values_name_the_file_task_and_field(tmp_path, task, words):
    tasks = "<Task><UID>0</UID><Name>P</Name></Task>" f"<Task><UID>1</UID><Name>A</Name>{task}</Task>"
    path = _file(tmp_path, tasks)
    with pytest.raises(InputError) as err:
        read_mspdi_schedule(path)
    assert str(err.value).startswith(f"{path}: {words}")
    assert "\n" not in str(err.value)


def test_files_that_are_not_mspdi_say_so(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_mspdi_schedule(tmp_path / "missing.xml")
    with pytest.raises(InputError, match="Primavera P6 XML"):
        read_mspdi_schedule(REAL / "assignment_resource-rates-test.xml")
    truncated = tmp_path / "cut.xml"
    truncated.write_text(_file(tmp_path, TASKS).read_text()[:400], encoding="utf-8")
    with pytest.raises(InputError, match="truncated"):
        read_mspdi_schedule(truncated)
