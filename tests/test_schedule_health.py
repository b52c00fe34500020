"""The DCMA 14-point assessment on schedules built by hand: each check passing and failing (at its
threshold where one can be reached), not applicable when the file cannot say, the score, and the
stored tables of a DuckDB file read back per project and month. Status date: Monday 2024-01-15."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pmo_analytics.ingest.schedules.model import Activity, Relation, Schedule, activities_frame, relations_frame
from pmo_analytics.metrics import schedule_health as sh
from pmo_analytics.store import connection, schedules

STATUS = dt.date(2024, 1, 15)
DAY = dt.date


def task(activity_id, duration=5.0, **kw) -> Activity:
    return Activity(activity_id, activity_id, kw.pop("kind", "task"), duration_days=duration, **kw)


def done(activity_id, **kw) -> Activity:
    return task(activity_id, actual_start=DAY(2024, 1, 1), actual_finish=DAY(2024, 1, 5), percent_complete=100.0,
                **kw)


def frames(activities, relations=()):
    schedule = Schedule("test", "XER", activities=list(activities), relations=list(relations))
    return activities_frame(schedule), relations_frame(schedule)


def check(number, activities, relations=(), status=STATUS, baseline=None) -> dict:
    result = sh.dcma(*frames(activities, relations), status, baseline)
    return result.set_index("number").loc[number].to_dict()


def outcome(row) -> tuple:
    passed = None if pd.isna(row["passed"]) else bool(row["passed"])
    count = None if pd.isna(row["count"]) else int(row["count"])
    return count, None if pd.isna(row["total"]) else int(row["total"]), passed


def chain(n, **kw) -> tuple[list[Activity], list[Relation]]:
    """A finished start milestone M0 -> T1 -> ... -> Tn (incomplete, 5 days each)."""
    acts = [done("M0", kind="milestone")] + [task(f"T{i}", **kw) for i in range(1, n + 1)]
    ids = [a.activity_id for a in acts]
    return acts, [Relation(p, s) for p, s in zip(ids, ids[1:])]


def test_the_result_has_fourteen_checks_in_order():
    result = sh.dcma(*frames(*chain(3)), STATUS)
    assert list(result.columns) == sh.COLUMNS
    assert result["number"].tolist() == list(range(1, 15))
    assert result["check"].tolist() == [
        "Logic", "Leads", "Lags", "Relationship types", "Hard constraints", "High float", "Negative float",
        "High duration", "Invalid dates", "Resources", "Missed tasks", "Critical path test", "CPLI", "BEI"]
    assert result["threshold"].tolist() == ["≤ 5%", "= 0", "≤ 5%", "≥ 90%", "≤ 5%", "≤ 5%", "= 0", "≤ 5%", "= 0",
                                            "= 0%", "≤ 5%", "pass", "≥ 0.95", "≥ 0.95"]
    assert (str(result["count"].dtype), str(result["total"].dtype), str(result["passed"].dtype)) == \
        ("Int64", "Int64", "boolean")


def test_logic_at_and_over_five_percent():
    # 20 incomplete tasks, only T20 lacks a successor (T1's predecessor is the finished M0): 1/20 = 5%.
    row = check(1, *chain(20))
    assert outcome(row) == (1, 20, True) and row["value"] == 0.05 and row["offenders"] == ["T20"]
    # 19 tasks: 1/19 = 5.3% > 5%.
    assert outcome(check(1, *chain(19))) == (1, 19, False)


def test_logic_through_a_summary_does_not_count():
    # X's only predecessor is the summary S: X and Y (no successor) both dangle, 2 of 2; S is not counted.
    row = check(1, [task("S", kind="summary"), task("X"), task("Y")], [Relation("S", "X"), Relation("X", "Y")])
    assert outcome(row) == (2, 2, False) and row["offenders"] == ["X", "Y"]
    assert outcome(check(1, [done("A")])) == (None, None, None)          # nothing incomplete


def test_leads():
    # Into incomplete B, C, D: A->B 0, B->C -2, C->D 0 -> 1 lead of 3. Z->A (-1) ends in finished A: not counted.
    acts = [done("Z"), done("A"), task("B"), task("C"), task("D")]
    rels = [Relation("A", "B"), Relation("B", "C", lag_days=-2), Relation("C", "D"), Relation("Z", "A", lag_days=-1)]
    row = check(2, acts, rels)
    assert outcome(row) == (1, 3, False) and row["value"] == pytest.approx(1 / 3) and row["offenders"] == ["C"]
    rels[1] = Relation("B", "C")
    assert outcome(check(2, acts, rels)) == (0, 3, True)
    row = check(2, acts, [])
    assert outcome(row) == (None, None, None) and row["note"] == "no relationships into incomplete tasks"


def test_lags():
    # 20 relationships into T1..T20; a lag on T5's: 1/20 = 5% passes, and on T6's as well: 2/20 = 10% fails.
    acts, rels = chain(20)
    rels[4].lag_days = 3.0
    assert outcome(check(3, acts, rels)) == (1, 20, True)
    rels[5].lag_days = 1.0
    rels[6].lag_days = -1.0                                              # a lead is not a lag
    row = check(3, acts, rels)
    assert outcome(row) == (2, 20, False) and row["offenders"] == ["T5", "T6"] and row["value"] == 0.1


def test_relationship_types():
    # 10 relationships, one SS: FS 9/10 = 90% passes; SS and FF: 8/10 = 80% fails.
    acts, rels = chain(10)
    rels[2].type = "SS"
    row = check(4, acts, rels)
    assert outcome(row) == (1, 10, True) and row["value"] == 0.9
    rels[7].type = "FF"
    row = check(4, acts, rels)
    assert outcome(row) == (2, 10, False) and row["value"] == 0.8 and row["offenders"] == ["T3", "T8"]


def test_hard_constraints():
    # 20 incomplete: T1 MSO (hard), T2 SNET (soft): 1/20 passes; T3 FNLT too: 2/20 fails. M0 (finished, MFO) is out.
    acts, rels = chain(20, constraint_date=DAY(2024, 2, 1))
    acts[0].constraint_type = "MFO"
    acts[1].constraint_type, acts[2].constraint_type = "MSO", "SNET"
    assert outcome(check(5, acts, rels)) == (1, 20, True)
    acts[3].constraint_type = "FNLT"
    row = check(5, acts, rels)
    assert outcome(row) == (2, 20, False) and row["offenders"] == ["T1", "T3"]


def test_high_and_negative_float():
    # 10 incomplete tasks with float 0..9 (T1..T10) and T11 with none: total 10.
    acts = [task(f"T{i}", total_float_days=float(i - 1)) for i in range(1, 11)] + [task("T11")]
    acts[0].total_float_days = 44.0                                       # 44 is not over 44
    assert outcome(check(6, acts)) == (0, 10, True) and outcome(check(7, acts)) == (0, 10, True)
    acts[0].total_float_days, acts[1].total_float_days = 45.0, -1.0     # 1/10 high, 1 negative
    assert outcome(check(6, acts)) == (1, 10, False)
    row = check(7, acts)
    assert outcome(row) == (1, 10, False) and row["offenders"] == ["T2"] and row["value"] == 0.1
    row = check(6, [task("A"), task("B")])
    assert outcome(row) == (None, None, None) and row["note"] == "the file carries no total float"


def test_high_duration():
    # 20 tasks of 5 days and an incomplete milestone (not counted): T1 baselined at 45 days: 1/20 passes.
    acts = [task(f"T{i}") for i in range(1, 21)] + [task("M", 0.0, kind="milestone")]
    acts[0].baseline_duration_days = 45.0
    assert outcome(check(8, acts)) == (1, 20, True)
    # T2 46 days with no baseline counts; T3 50 days baselined at 40 does not: 2/20 fails.
    acts[1].duration_days = 46.0
    acts[2].duration_days, acts[2].baseline_duration_days = 50.0, 40.0
    row = check(8, acts)
    assert outcome(row) == (2, 20, False) and row["offenders"] == ["T1", "T2"]


def test_invalid_dates():
    fine = [task("C", actual_start=DAY(2024, 1, 8), start=DAY(2024, 1, 8), finish=DAY(2024, 1, 19)),  # started
            task("D", start=STATUS, finish=DAY(2024, 1, 19)),            # starts on the status date
            task("H", actual_start=DAY(2024, 1, 8), finish=STATUS),      # finishes on it
            done("G")]
    assert outcome(check(9, fine)) == (0, 4, True)
    bad = [task("B", start=DAY(2024, 1, 12), finish=DAY(2024, 1, 19)),   # not started, start before
           task("E", actual_start=DAY(2024, 1, 10), finish=DAY(2024, 1, 12)),  # finish before
           task("F", actual_start=DAY(2024, 1, 8), actual_finish=DAY(2024, 1, 16))]  # actual after
    row = check(9, fine + bad)
    assert outcome(row) == (3, 7, False) and row["offenders"] == ["B", "E", "F"] and row["value"] == 3 / 7
    assert check(9, fine, status=None)["note"] == "the file has no status date"


def test_resources():
    acts = [task("A", resources=1), task("B", resources=2), done("C"), task("M", 0.0, kind="milestone"),
            task("Z", 0.0)]                                              # C done, M a milestone, Z no duration
    assert outcome(check(10, acts)) == (0, 2, True)
    acts.append(task("D"))
    row = check(10, acts)
    assert outcome(row) == (1, 3, False) and row["offenders"] == ["D"]
    row = check(10, [task("A"), task("B")])
    assert outcome(row) == (None, None, None) and row["note"] == "not resource-loaded"


def finished(activity_id, baseline, actual) -> Activity:
    return task(activity_id, baseline_finish=baseline, actual_start=DAY(2024, 1, 1), actual_finish=actual,
                percent_complete=100.0)


def test_missed_tasks():
    # Due by 01-15: A on time, B late (01-15 > 01-12), C not finished; D is due later. 2 of 3 missed.
    acts = [finished("A", DAY(2024, 1, 10), DAY(2024, 1, 10)), finished("B", DAY(2024, 1, 12), STATUS),
            task("C", baseline_finish=STATUS), task("D", baseline_finish=DAY(2024, 1, 19))]
    row = check(11, acts)
    assert outcome(row) == (2, 3, False) and row["offenders"] == ["B", "C"]
    # 20 due, 19 on time, one late: 1/20 passes.
    acts = [finished(f"T{i}", DAY(2024, 1, 5), DAY(2024, 1, 5)) for i in range(1, 20)]
    acts.append(finished("L", DAY(2024, 1, 5), DAY(2024, 1, 8)))
    assert outcome(check(11, acts)) == (1, 20, True)


def test_checks_that_need_a_status_date_or_a_baseline():
    acts, rels = chain(3)
    for number in (9, 11, 13, 14):
        row = check(number, acts, rels, status=None)
        assert outcome(row) == (None, None, None) and row["note"] == "the file has no status date"
    for number in (11, 13, 14):
        assert check(number, acts, rels)["note"] == "no baseline"
    later = [task("A", baseline_finish=DAY(2024, 2, 1), finish=DAY(2024, 2, 1))]
    assert check(11, later)["note"] == check(14, later)["note"] == "no task was due by the status date"


def test_critical_path_test():
    # M0 done -> T1 -> T2 -> T3, all flagged critical: delaying T1 moves the finish as much.
    acts, rels = chain(3, critical=True)
    row = check(12, acts, rels)
    assert outcome(row) == (0, 1, True) and row["value"] == 1.0 and row["offenders"] == []
    # T1 0-5, T2 5-10, T3 10-15 from 01-15. T3 must finish on Fri 02-02 (the end of offset 15, where logic
    # puts it too): the delay pushes T2 to 610, T3 stays at 15, the finish moves 0 of 600.
    acts[3].constraint_type, acts[3].constraint_date = "MFO", DAY(2024, 2, 2)
    row = check(12, acts, rels)
    assert outcome(row) == (1, 1, False) and row["offenders"] == ["T1"] and row["value"] == 0.0


def test_a_logic_loop_fails_the_critical_path_test_without_crashing():
    acts, rels = chain(3)
    rels.append(Relation("T3", "T1"))
    row = check(12, acts, rels)
    assert outcome(row) == (1, 1, False) and "loops" in row["note"]
    row = check(12, [done("A", critical=True)])
    assert outcome(row) == (None, None, None) and row["note"] == "no incomplete activity is critical"


def test_cpli():
    # Latest forecast finish Fri 01-26: CPL = 10 working days from Mon 01-15 (the end of 01-26).
    acts = [task("A", 10.0, finish=DAY(2024, 1, 26), baseline_finish=DAY(2024, 1, 26))]
    row = check(13, acts)
    assert row["value"] == 1.0 and row["passed"] is True                 # TF 0: (10 + 0) / 10
    acts[0].baseline_finish = DAY(2024, 1, 19)                           # TF = 5 - 10 = -5: 5/10
    row = check(13, acts)
    assert row["value"] == 0.5 and row["passed"] is False and pd.isna(row["count"])
    row = check(13, acts, baseline=DAY(2024, 1, 29))                     # the given baseline: TF +1, 11/10
    assert row["value"] == 1.1 and row["passed"] is True
    # Finish Fri 02-09 (CPL 20), baseline Thu 02-08 (TF -1): 19/20 = 0.95 passes at the threshold.
    row = check(13, [task("A", finish=DAY(2024, 2, 9), baseline_finish=DAY(2024, 2, 8))])
    assert row["value"] == 0.95 and row["passed"] is True


def test_bei():
    # Due by 01-15: A, B, C finished, D not; E (due 01-26) finished early. BEI = 4 finished / 4 due = 1.0.
    acts = [finished(x, DAY(2024, 1, 10), DAY(2024, 1, 10)) for x in "ABC"]
    acts += [task("D", baseline_finish=DAY(2024, 1, 12)), finished("E", DAY(2024, 1, 26), DAY(2024, 1, 12))]
    row = check(14, acts)
    assert outcome(row) == (1, 4, True) and row["value"] == 1.0 and row["offenders"] == ["D"]
    # A finished, B not, both due: 1/2 = 0.5.
    row = check(14, [acts[0], task("B", baseline_finish=DAY(2024, 1, 12))])
    assert outcome(row) == (1, 2, False) and row["value"] == 0.5


def test_score_counts_the_applicable_checks():
    # chain(3) at 01-15 with no float, resources or baselines: 1 Logic fails (T3 dangles, 1/3); 2, 3, 4, 5,
    # 8, 9 pass (no dates to be invalid), 12 passes on zero float; 6, 7, 10, 11, 13, 14 are not applicable.
    result = sh.dcma(*frames(*chain(3)), STATUS)
    assert sh.dcma_score(result) == (7, 8)
    assert result.loc[result["passed"].isna(), "number"].tolist() == [6, 7, 10, 11, 13, 14]


def test_schedule_health_reads_the_stored_months(tmp_path):
    path = tmp_path / "pmo.duckdb"
    con = connection.connect(path, read_only=False)
    assert sh.schedule_health(con) == {} and sh.health_summary(con).empty     # no schedule tables yet
    header = {"file": "p.xer", "source_format": "XER", "status_date": STATUS, "hours_per_day": 8.0}
    good, bad = chain(3, critical=True), chain(3, critical=True, resources=0)
    bad[0][1].resources = 1                                              # resource-loaded, T2 and T3 without
    for as_of, pid, (acts, rels) in [(DAY(2023, 12, 31), "P1", bad), (DAY(2024, 1, 31), "P1", good),
                                     (DAY(2024, 1, 31), "P2", bad)]:
        schedules.replace(con, "pmo", as_of, pid, header, *frames(acts, rels))
    latest = sh.schedule_health(con)
    assert sorted(latest) == ["P1", "P2"]
    # P1: as test_score (7 of 8). P2 adds check 10: T2, T3 have no resource, 2 of 3 -> fails (7 of 9).
    summary = sh.health_summary(con)
    assert summary["project_id"].tolist() == ["P1", "P2"]
    assert summary["passed"].tolist() == [7, 7] and summary["applicable"].tolist() == [8, 9]
    assert summary["score"].tolist() == pytest.approx([700 / 8, 700 / 9])
    assert summary["failed"].tolist() == ["Logic", "Logic, Resources"]
    december = sh.schedule_health(con, as_of="2023-12")
    assert list(december) == ["P1"] and december["P1"].loc[9, "offenders"] == ["T2", "T3"]
    assert list(sh.schedule_health(con, project_id="P2")) == ["P2"]
    assert sh.schedule_health(con, as_of="2023-11") == {}
    con.close()
