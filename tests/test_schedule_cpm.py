"""The critical-path engine behind DCMA check 12: working-day offsets, the four relationship types with
lags, remaining durations, constraints, loops and the critical path test, on schedules built by hand.
The data date is Monday 2024-01-01, so offset 5 is Monday 01-08 and offset 10 Monday 01-15."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from pmo_analytics.ingest.schedules.model import Activity, Relation, Schedule, activities_frame, relations_frame
from pmo_analytics.validation import schedule_cpm as cpm

MONDAY = dt.date(2024, 1, 1)


def task(activity_id, duration, **kw) -> Activity:
    return Activity(activity_id, activity_id, kw.pop("kind", "task"), duration_days=duration, **kw)


def frames(activities, relations=()):
    schedule = Schedule("test", "XER", activities=list(activities), relations=list(relations))
    return activities_frame(schedule), relations_frame(schedule)


def passed(activities, relations=(), data_date=MONDAY):
    frame = cpm.forward_pass(*frames(activities, relations), data_date)
    return frame.set_index("activity_id"), frame.attrs["project_finish"]


def test_offsets_count_working_days_from_the_data_date():
    assert cpm.start_offset(MONDAY, dt.date(2024, 1, 8)) == 5            # Mon-Fri of week 1
    assert cpm.start_offset(MONDAY, dt.date(2024, 1, 6)) == 5            # a Saturday start is Monday's
    assert cpm.finish_offset(MONDAY, dt.date(2024, 1, 5)) == 5           # end of Friday
    assert cpm.finish_offset(MONDAY, dt.date(2024, 1, 7)) == 5           # a Sunday finish is Friday's end
    assert cpm.start_offset(dt.date(2024, 1, 8), dt.date(2024, 1, 5)) == -1
    assert np.isnan(cpm.finish_offset(MONDAY, None))


def test_the_four_relationship_types_with_lags():
    # A 5 days from 0: ES 0, EF 5.
    # A -FS+2-> B(3): ES = 5+2 = 7, EF 10.      A -SS+1-> C(4): ES = 0+1 = 1, EF 5.
    # A -FF+3-> D(2): EF = 5+3 = 8, ES 6.       A -SF+10-> E(6): EF = 0+10 = 10, ES 4.
    # A -FS-2-> F(1) (a lead): ES = 5-2 = 3, EF 4.   Project finish = max EF = 10.
    acts = [task("A", 5), task("B", 3), task("C", 4), task("D", 2), task("E", 6), task("F", 1)]
    rels = [Relation("A", "B", "FS", 2), Relation("A", "C", "SS", 1), Relation("A", "D", "FF", 3),
            Relation("A", "E", "SF", 10), Relation("A", "F", "FS", -2)]
    frame, finish = passed(acts, rels)
    assert frame["early_start"].to_dict() == {"A": 0, "B": 7, "C": 1, "D": 6, "E": 4, "F": 3}
    assert frame["early_finish"].to_dict() == {"A": 5, "B": 10, "C": 5, "D": 8, "E": 10, "F": 4}
    assert finish == 10
    # Backward from 10: B LS 7, C LS 6, D LF 10, E LS 4, F LS 9. A's late finish is the least of
    # LS_B-2 = 5, LS_C-1+5 = 10, LF_D-3 = 7, LF_E-10+5 = 5, LS_F+2 = 11 -> 5: float 0.
    assert frame["total_float"].to_dict() == {"A": 0, "B": 0, "C": 5, "D": 2, "E": 0, "F": 6}


def test_nothing_starts_before_the_data_date():
    # SF lag 4 would put E's start at 0+4-6 = -2; it waits for the data date: ES 0, EF 6.
    frame, finish = passed([task("A", 5), task("E", 6)], [Relation("A", "E", "SF", 4)])
    assert (frame.loc["E", "early_start"], frame.loc["E", "early_finish"], finish) == (0, 6, 6)


def test_remaining_durations():
    acts = [task("done", 5, actual_finish=dt.date(2023, 12, 29)),       # complete -> 0
            task("full", 5, percent_complete=100.0),                     # 100% -> 0
            task("going", 5, actual_start=dt.date(2023, 12, 27), remaining_days=2.0),  # started -> 2
            task("half", 5, percent_complete=50.0),                      # started, no remaining -> 0
            task("later", 4, remaining_days=9.0),                        # not started -> duration 4
            task("blank", None)]                                         # no duration -> 0
    frame, _ = passed(acts)
    assert frame["remaining"].to_dict() == {"done": 0, "full": 0, "going": 2, "half": 0, "later": 4, "blank": 0}


def test_summaries_and_level_of_effort_stay_out_of_the_network():
    # S (summary, 50 days) -> B would hold B until 50; it is ignored: B ES 0, finish 3.
    acts = [task("S", 50, kind="summary"), task("L", 80, kind="level_of_effort"), task("B", 3)]
    frame, finish = passed(acts, [Relation("S", "B"), Relation("L", "B")])
    assert list(frame.index) == ["B"]
    assert (frame.loc["B", "early_start"], finish) == (0, 3)


def test_constraints_pin_and_floor():
    # A(5) 0-5 precedes every task below.
    # SNET Mon 01-15 (start offset 10): B(2) ES 10.   FNET Fri 01-12 (finish offset 10): C(2) ES 8.
    # MSO Wed 01-03 (offset 2): D(1) starts at 2 although A finishes at 5.
    # MFO Fri 01-05 (finish offset 5): E(3) finishes at 5, ES 2.   SNLT is not modelled: F(1) ES 5.
    acts = [task("A", 5),
            task("B", 2, constraint_type="SNET", constraint_date=dt.date(2024, 1, 15)),
            task("C", 2, constraint_type="FNET", constraint_date=dt.date(2024, 1, 12)),
            task("D", 1, constraint_type="MSO", constraint_date=dt.date(2024, 1, 3)),
            task("E", 3, constraint_type="MFO", constraint_date=dt.date(2024, 1, 5)),
            task("F", 1, constraint_type="SNLT", constraint_date=dt.date(2024, 1, 2))]
    frame, finish = passed(acts, [Relation("A", x) for x in "BCDEF"])
    assert frame["early_start"].to_dict() == {"A": 0, "B": 10, "C": 8, "D": 2, "E": 2, "F": 5}
    assert finish == 12                                                  # B: 10 + 2


def test_a_loop_is_named():
    # A -> B -> C -> A, with D hanging off C (D is stuck behind the loop but not in it).
    acts = [task("A", 1), task("B", 1), task("C", 1), task("D", 1)]
    rels = [Relation("A", "B"), Relation("B", "C"), Relation("C", "A"), Relation("C", "D")]
    with pytest.raises(ValueError, match="loops") as err:
        cpm.forward_pass(*frames(acts, rels), MONDAY)
    named = str(err.value).split(": ", 1)[1].split(" (")[0].split(" -> ")
    assert set(named) == {"A", "B", "C"} and named[0] == named[-1]
    with pytest.raises(ValueError, match="X -> X"):
        cpm.critical_path_test(*frames([task("X", 1)], [Relation("X", "X")]), MONDAY)


def chain(**last) -> list[Activity]:
    """A(5) -> B(3) -> C(2), all flagged critical: the finish is 10 (Friday 01-12)."""
    return [task("A", 5, critical=True), task("B", 3, critical=True), task("C", 2, critical=True, **last)]


CHAIN = [Relation("A", "B"), Relation("B", "C")]


def test_critical_path_test_passes_on_an_unbroken_path():
    # A, the first critical to start, gets 5 + 600 days: the finish moves from 10 to 610.
    result = cpm.critical_path_test(*frames(chain(), CHAIN), MONDAY)
    assert (result["passed"], result["activity"], result["finish_activity"]) == (True, "A", "C")
    assert (result["finish_before"], result["finish_after"], result["moved"]) == (10, 610, 600)


def test_a_must_finish_on_the_last_task_breaks_the_critical_path():
    # C must finish on Fri 01-12 (finish offset 10): A's delay pushes B to 608, C stays at 10 -> moved 0.
    acts = chain(constraint_type="MFO", constraint_date=dt.date(2024, 1, 12))
    result = cpm.critical_path_test(*frames(acts, CHAIN), MONDAY)
    assert (result["passed"], result["activity"], result["moved"]) == (False, "A", 0)
    assert "does not run unbroken" in result["reason"]


def test_a_large_lag_off_the_path_also_fails_it():
    # A(5) -> C(2) flagged; B(1) -FS+30-> C: C starts at 31, finish 33; A is critical by the file's flag
    # only. Delaying A to 605 moves C to 607: 574 days, not 600 -> fail.
    acts = [task("A", 5, critical=True), task("B", 1), task("C", 2, critical=True)]
    rels = [Relation("A", "C"), Relation("B", "C", "FS", 30)]
    result = cpm.critical_path_test(*frames(acts, rels), MONDAY)
    assert (result["passed"], result["finish_before"], result["moved"]) == (False, 33, 574)


def test_the_first_flagged_activity_is_delayed():
    # Only B is flagged: it starts at 5; delaying it by 600 moves the finish 10 -> 610.
    acts = [task("A", 5), task("B", 3, critical=True), task("C", 2)]
    result = cpm.critical_path_test(*frames(acts, CHAIN), MONDAY)
    assert (result["passed"], result["activity"], result["moved"]) == (True, "B", 600)


def test_without_flags_the_zero_float_path_is_used():
    # A(5) -> C(2) finish 7; B(1) alone has float 6. Zero float: A and C; A starts first.
    acts = [task("B", 1), task("A", 5), task("C", 2)]
    result = cpm.critical_path_test(*frames(acts, [Relation("A", "C")]), MONDAY, delay_days=100)
    assert (result["passed"], result["activity"], result["moved"]) == (True, "A", 100)
    assert "zero total float" in result["reason"]


def test_no_incomplete_critical_activity_is_not_applicable():
    acts = [task("A", 5, critical=True, actual_finish=dt.date(2023, 12, 29)), task("B", 1, percent_complete=100.0)]
    result = cpm.critical_path_test(*frames(acts, [Relation("A", "B")]), MONDAY)
    assert result["passed"] is None and result["activity"] is None
    assert result["reason"] == "no incomplete activity is critical"
