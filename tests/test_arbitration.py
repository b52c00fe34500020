"""The arbitration on a snapshot (issue 15): the optimiser's inputs read from a hand-built database and
checked by hand, the default budget limit, the capacity months, the hand-known optimum, the suggested
scenario changes, the candidates file and its errors, the "does it fit" view, and the demo portfolio."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import insert

from pmo_analytics import contract
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.metrics import arbitration as arb
from pmo_analytics.metrics.optimiser import OPTIMAL, Problem, optimise
from pmo_analytics.store import connection as db

AS_OF = "2025-03-31"  # a Monday: its week is not a future week


@pytest.fixture
def con():
    """One snapshot, 2025-03. Months after it: 0 = April, 1 = May, 2 = June 2025.

    Projects (value_score): P1 active, portfolio A (10); P2 planned, A (6); P3 closed, A (9);
    P4 cancelled, B (8); P5 on hold, B (3).
    Budget lines (budget / forecast):
      P1 2025-03 labour 100/100 (the snapshot month: not future); 2025-04 labour 50/60;
         2025-05 labour 50/blank (cost 50) and external 10/20          -> cost [60, 70, 0]
      P2 2025-05 labour 40/30; 2025-06 labour 40/45                     -> cost [0, 30, 45]
      P3 (closed) 2025-04 25/25 and P4 (cancelled) 2025-04 30/0         -> neither cost nor limit
      P5 2025-04 other blank/blank (unpriced); 2025-06 labour 40/20     -> cost [0, 0, 20]
    Approved budget of P1, P2, P5 per month: April 50 (+ P5's blank), May 50 + 10 + 40 = 100,
    June 40 + 40 = 80.
    People: R1 Ann Dev 40 h/wk, R2 Bob Dev 20, R3 Cat QA 30, R4 Dan no role 10, R5 Eve QA (no capacity).
    Allocated Mondays 03-24 .. 05-26; future ones: April 04-07, 04-14, 04-21, 04-28 (4), May 05-05 ..
    05-26 (4); June none. Capacity: Dev 60 x 4 = 240, QA 30 x 4 = 120, (no role) 10 x 4 = 40 in April
    and in May; none in June.
    Planned hours after the snapshot date:
      P1: Ann 04-07 30, 04-14 30 (Dev Apr 60); Bob 05-05 20 (Dev May 20); Cat 04-07, 04-14, 04-21 30
          each (QA Apr 90); Dan 04-21 10 ((no role) Apr 10)
      P2: Cat 04-28 30 (QA Apr 30); Ann 05-12, 05-19, 05-26 40 each (Dev May 120); Eve 05-05 25 (left out)
      P5: Cat 04-21 20 (QA Apr 20); Bob 05-26 20 (Dev May 20)
      P3 (closed): Cat 04-07 30, not counted. Past weeks: Ann P1 03-24 30 and 03-31 30.
    """
    c = db.memory()
    for ddl in contract.all_ddl():
        c.sql(ddl)
    insert(c, "loads", ["as_of", "loaded_at", "files", "warnings", "checksum"],
           [(AS_OF, "2025-04-01 09:00:00", "test", 0, "x")])
    insert(c, "projects", ["as_of", "project_id", "name", "portfolio", "status", "value_score"], [
        (AS_OF, "P1", "Apollo", "A", "active", 10), (AS_OF, "P2", "Borealis", "A", "planned", 6),
        (AS_OF, "P3", "Cygnus", "A", "closed", 9), (AS_OF, "P4", "Draco", "B", "cancelled", 8),
        (AS_OF, "P5", "Eridanus", "B", "on_hold", 3)])
    insert(c, "budget_lines", ["as_of", "project_id", "period", "category", "budget", "forecast"], [
        (AS_OF, "P1", "2025-03-01", "labour", 100, 100), (AS_OF, "P1", "2025-04-01", "labour", 50, 60),
        (AS_OF, "P1", "2025-05-01", "labour", 50, None), (AS_OF, "P1", "2025-05-01", "external", 10, 20),
        (AS_OF, "P2", "2025-05-01", "labour", 40, 30), (AS_OF, "P2", "2025-06-01", "labour", 40, 45),
        (AS_OF, "P3", "2025-04-01", "labour", 25, 25), (AS_OF, "P4", "2025-04-01", "labour", 30, 0),
        (AS_OF, "P5", "2025-04-01", "other", None, None), (AS_OF, "P5", "2025-06-01", "labour", 40, 20)])
    insert(c, "resources", ["as_of", "resource_id", "name", "role", "weekly_capacity_hours"], [
        (AS_OF, "R1", "Ann", "Dev", 40), (AS_OF, "R2", "Bob", "Dev", 20), (AS_OF, "R3", "Cat", "QA", 30),
        (AS_OF, "R4", "Dan", None, 10), (AS_OF, "R5", "Eve", "QA", None)])
    insert(c, "allocations", ["as_of", "resource_id", "project_id", "week", "planned_hours"], [
        (AS_OF, "R1", "P1", "2025-03-24", 30), (AS_OF, "R1", "P1", "2025-03-31", 30),
        (AS_OF, "R1", "P1", "2025-04-07", 30), (AS_OF, "R1", "P1", "2025-04-14", 30),
        (AS_OF, "R2", "P1", "2025-05-05", 20),
        (AS_OF, "R3", "P1", "2025-04-07", 30), (AS_OF, "R3", "P1", "2025-04-14", 30),
        (AS_OF, "R3", "P1", "2025-04-21", 30), (AS_OF, "R4", "P1", "2025-04-21", 10),
        (AS_OF, "R3", "P2", "2025-04-28", 30), (AS_OF, "R1", "P2", "2025-05-12", 40),
        (AS_OF, "R1", "P2", "2025-05-19", 40), (AS_OF, "R1", "P2", "2025-05-26", 40),
        (AS_OF, "R5", "P2", "2025-05-05", 25),
        (AS_OF, "R3", "P5", "2025-04-21", 20), (AS_OF, "R2", "P5", "2025-05-26", 20),
        (AS_OF, "R3", "P3", "2025-04-07", 30)])
    yield c
    c.close()


def rows(frame: pd.DataFrame, *columns) -> list[tuple]:
    return [tuple(r) for r in frame[list(columns)].itertuples(index=False)]


def test_inputs_by_hand(con):
    data = arb.inputs(con)
    cands = data["candidates"]
    assert rows(cands, "project_id", "status", "value", "current") == [
        ("P1", "active", 10, True), ("P2", "planned", 6, False), ("P5", "on_hold", 3, False)]
    # P1 cost: April forecast 60; May 50 (no forecast: its budget) + 20 = 70. P2: May 30, June 45. P5: June 20.
    assert rows(data["cost"], "project_id", "month_index", "cost") == [
        ("P1", 0, 60), ("P1", 1, 70), ("P2", 1, 30), ("P2", 2, 45), ("P5", 2, 20)]
    assert data["cost"]["month"].tolist() == [pd.Timestamp(m) for m in
                                              ("2025-04-01", "2025-05-01", "2025-05-01", "2025-06-01", "2025-06-01")]
    assert data["cost"].attrs["unpriced_lines"] == 1  # P5's April line with neither budget nor forecast
    assert rows(data["demand"], "project_id", "role", "month_index", "hours") == [
        ("P1", "(no role)", 0, 10), ("P1", "Dev", 0, 60), ("P1", "Dev", 1, 20), ("P1", "QA", 0, 90),
        ("P2", "Dev", 1, 120), ("P2", "QA", 0, 30), ("P5", "Dev", 1, 20), ("P5", "QA", 0, 20)]
    assert data["demand"].attrs["no_capacity"] == 1 and data["demand"].attrs["no_capacity_hours"] == 25  # Eve


def test_budget_limit_is_the_approved_budget_of_live_projects(con):
    budget = arb.inputs(con)["budget"]
    # April: P1 50 (P5's blank adds nothing; P3 closed and P4 cancelled are out); May 50 + 10 + 40; June 40 + 40.
    assert rows(budget, "month_index", "limit") == [(0, 50), (1, 100), (2, 80)]
    assert budget["month"].tolist() == [pd.Timestamp("2025-04-01"), pd.Timestamp("2025-05-01"),
                                        pd.Timestamp("2025-06-01")]


def test_capacity_only_for_the_months_the_export_covers(con):
    capacity = arb.inputs(con)["capacity"]
    # 4 future Mondays in April and in May (03-31 is the snapshot date itself); June is after the last week.
    assert rows(capacity, "role", "month_index", "hours", "held") == [
        ("(no role)", 0, 40, 0), ("(no role)", 1, 40, 0), ("Dev", 0, 240, 0), ("Dev", 1, 240, 0),
        ("QA", 0, 120, 0), ("QA", 1, 120, 0)]


def test_a_portfolio_filter_holds_the_hours_of_the_projects_outside_it(con):
    data = arb.inputs(con, portfolio="A")
    assert data["candidates"]["project_id"].tolist() == ["P1", "P2"]
    # Limit of A's live projects: April P1 50; May 50 + 10 + P2 40 = 100; June P2 40.
    assert rows(data["budget"], "month_index", "limit") == [(0, 50), (1, 100), (2, 40)]
    # P5 (portfolio B) keeps Cat's 20 h in April and Bob's 20 h in May: QA April 120 - 20, Dev May 240 - 20.
    capacity = data["capacity"].set_index(["role", "month_index"])
    assert capacity.loc[("QA", 0), "hours"] == 100 and capacity.loc[("QA", 0), "held"] == 20
    assert capacity.loc[("Dev", 1), "hours"] == 220 and capacity.loc[("Dev", 0), "hours"] == 240


def test_horizon_cuts_the_calendar(con):
    data = arb.inputs(con, horizon=1)
    # April only: P1 costs 60; P2 and P5 have only hours there (QA 30 and 20), so all three are candidates.
    assert data["candidates"]["project_id"].tolist() == ["P1", "P2", "P5"]
    assert rows(data["cost"], "project_id", "month_index", "cost") == [("P1", 0, 60)]
    assert data["capacity"]["month_index"].unique().tolist() == [0]
    with pytest.raises(UsageError, match="horizon must be a whole number"):
        arb.inputs(con, horizon=0)


def test_problem_and_the_optimum_at_the_approved_budget(con):
    problem = arb.problem(con)
    assert problem.months == 3 and list(problem.budget) == [50, 100, 80]
    assert problem.first_month == dt.date(2025, 4, 1) and problem.as_of == dt.date(2025, 3, 31)
    # P1 alone spends 60 > 50 in April: never. P2 + P5 spend May 30, June 45 + 20 = 65 <= 80, QA April
    # 30 + 20 = 50 <= 120, Dev May 120 + 20 = 140 <= 240: {P2, P5} = 6 + 3 = 9.
    result = optimise(problem)
    assert result.status == OPTIMAL and result.selected == {"P2": 0, "P5": 0}
    assert result.objective == pytest.approx(9)
    # Beside them P1 breaks April's budget (60 > 50 by 10) and QA April (90 + 50 = 140 > 120 by 20 h).
    assert arb.suggestion(result, problem) == [
        {"kind": "exclude", "project_id": "P1", "who": "optimiser",
         "why": "value 10, cost 130; the budget of 2025-04 would be over by 10 (and 1 more limit(s))"}]


def test_a_deferral_beats_the_pair(con):
    # With +-1 month, P1 (spanning April-May) may start in May: cost [0, 60, 70], June 70 <= 80, alone = 10
    # > 9. Beside it P2 makes June 70 + 45 = 115 (over by 35) and P5 70 + 20 = 90 (over by 10). P2 and P5
    # span all three months, so they cannot move. P1's May-June Dev hours fall in June: no capacity there.
    problem = arb.problem(con, shift_window=1)
    result = optimise(problem)
    assert result.selected == {"P1": 1} and result.objective == pytest.approx(10)
    dev = result.capacity[result.capacity["role"] == "Dev"].set_index("month_index")
    assert dev.loc[2, "used"] == 20 and np.isnan(dev.loc[2, "capacity"])  # unconstrained, not zero
    assert arb.suggestion(result, problem) == [
        {"kind": "defer", "project_id": "P1", "months": 1, "who": "optimiser",
         "why": "value 10, cost 130; starting 1 month(s) later: at its planned dates the budget of 2025-04 "
                "would be over by 10"},
        {"kind": "exclude", "project_id": "P2", "who": "optimiser",
         "why": "value 6, cost 75; the budget of 2025-06 would be over by 35"},
        {"kind": "exclude", "project_id": "P5", "who": "optimiser",
         "why": "value 3, cost 20; the budget of 2025-06 would be over by 10"}]


def test_capacity_binds_when_the_budget_does_not(con):
    # Budget 1000 a month binds nothing. QA April: P1 90 + P2 30 + P5 20 = 140 > 120; P1 + P2 = 120 fits
    # (Dev April 60, May 20 + 120 = 140 <= 240): {P1, P2} = 16 beats {P1, P5} = 13 and {P2, P5} = 9.
    problem = arb.problem(con, budget_limit=1000)
    result = optimise(problem)
    assert result.selected == {"P1": 0, "P2": 0} and result.objective == pytest.approx(16)
    assert arb.suggestion(result, problem) == [
        {"kind": "exclude", "project_id": "P5", "who": "optimiser",
         "why": "value 3, cost 20; QA hours in 2025-04 would be over by 20 h"}]


def test_a_month_without_capacity_is_not_a_limit():
    # Capacity listed for month 0 only: 1000 h of dev in month 1 is not constrained, 200 h in month 0 is.
    candidates = pd.DataFrame({"project_id": ["A", "B"], "value": [1.0, 1.0]})
    cost = pd.DataFrame({"project_id": ["A", "B"], "month_index": [1, 0], "cost": [1.0, 1.0]})
    demand = pd.DataFrame({"project_id": ["A", "B"], "role": ["dev", "dev"], "month_index": [1, 0],
                           "hours": [1000.0, 200.0]})
    capacity = pd.DataFrame({"role": ["dev"], "month_index": [0], "hours": [100.0]})
    result = optimise(Problem(candidates, cost, demand, capacity=capacity, months=2))
    assert result.selected == {"A": 0}


def test_budget_limit_as_a_number_or_per_month(con):
    assert list(arb.problem(con, budget_limit=70).budget) == [70, 70, 70]
    given = pd.DataFrame({"month_index": [0, 2, 7], "limit": [100, 5, 1]})  # month 7 is past the reach
    limits = arb.problem(con, budget_limit=given).budget
    assert limits[0] == 100 and np.isnan(limits[1]) and limits[2] == 5
    with pytest.raises(UsageError, match="budget_limit must be a number"):
        arb.problem(con, budget_limit="lots")
    with pytest.raises(UsageError, match="negative"):
        arb.problem(con, budget_limit=pd.DataFrame({"month_index": [0], "limit": [-1]}))


def test_projects_without_a_value(con):
    con.sql("UPDATE projects SET value_score = NULL WHERE project_id IN ('P2', 'P5')")
    with pytest.raises(UsageError) as err:
        arb.problem(con)
    assert str(err.value) == ("2 candidate project(s) have no value (P2, P5): add a value_score column to the "
                              "projects export or pass a candidates file")
    # A candidates frame supplies them: now {P2, P5} is worth 4 + 5 = 9 against P1's 10, which cannot fit.
    given = pd.DataFrame({"project_id": ["P2", "P5"], "value": [4, 5]})
    problem = arb.problem(con, candidates=given)
    assert problem.candidates.set_index("project_id")["value"].to_dict() == {"P1": 10, "P2": 4, "P5": 5}


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_read_candidates_and_the_rules_it_adds(con, tmp_path):
    path = write(tmp_path / "candidates.csv",
                 "project_id,value,must,must_not,earliest_shift,latest_shift,exclusive_group,depends_on\n"
                 "P1,20,,,,,g,\n"
                 "P5,,yes,,-1,0,g,P2; P3\n"
                 "P3,,,,,,,\n")
    given = arb.read_candidates(path, con=con)
    assert given["row"].tolist() == [1, 2, 3] and given["depends_on"].tolist() == [(), ("P2", "P3"), ()]
    assert given["value"].tolist()[0] == 20 and np.isnan(given["value"].tolist()[1])
    assert given["must"].tolist() == [False, True, False] and given["earliest_shift"].tolist()[1] == -1
    problem = arb.problem(con, candidates=given, budget_limit=1000)
    # P3 is closed: its row is ignored and P5's dependency on it dropped; P1 and P5 may not both be chosen.
    assert problem.exclusions == [["P1", "P5"]] and problem.dependencies == [("P5", "P2")]
    values = problem.candidates.set_index("project_id")
    assert values["value"].to_dict() == {"P1": 20, "P2": 6, "P5": 3} and values.loc["P5", "must"]
    # P5 is a must, so P1 is out; P5 needs P2: {P2, P5} = 9 (QA April 30 + 20 <= 120).
    assert optimise(problem).selected == {"P2": 0, "P5": 0}


@pytest.mark.parametrize("body, message", [
    ("P1,10\nP2,abc\n", "row 2, column value: 'abc' is not a number >= 0"),
    ("P1,10\nP2,5\nP9,1\n", "row 3, column project_id: P9 is not a project of the 2025-03 snapshot"),
    ("P1,-3\n", "row 1, column value: '-3' is not a number >= 0"),
    ("P1,10\nP1,4\n", "row 2, column project_id: P1 is listed twice (also row 1)"),
])
def test_read_candidates_errors_name_file_row_and_column(con, tmp_path, body, message):
    path = write(tmp_path / "candidates.csv", "project_id,value\n" + body)
    with pytest.raises(InputError) as err:
        arb.read_candidates(path, con=con)
    assert str(err.value) == f"{path}: {message}"


def test_read_candidates_other_errors(con, tmp_path):
    cases = {"project_id,vaule\nP1,3\n": "column vaule: not a candidates column",
             "project_id,earliest_shift\nP1,2\n": "row 1, column earliest_shift: '2' is not a whole number <= 0",
             "project_id,must\nP1,maybe\n": "row 1, column must: 'maybe' is not yes or no",
             "project_id,depends_on\nP1,P8\n": "row 1, column depends_on: P8 is not a project of the 2025-03",
             "project_id,value\nP1,3,4\n": "row 1: 3 cells where the header has 2",
             "": "the file is empty"}
    for text, message in cases.items():
        path = write(tmp_path / "c.csv", text)
        with pytest.raises(InputError, match=message.replace("(", r"\(")):
            arb.read_candidates(path, con=con)
    path = write(tmp_path / "c.csv", "project_id,must\nP3,yes\n")  # closed: it cannot be done
    with pytest.raises(InputError, match=r"c.csv: row 1, column must: P3 is not a candidate"):
        arb.problem(con, candidates=arb.read_candidates(path, con=con))
    with pytest.raises(InputError, match="no such file"):
        arb.read_candidates(tmp_path / "missing.csv")


def test_fit_by_hand(con):
    fit = arb.fit(con)
    # cost [60, 70 + 30, 45 + 20] against [50, 100, 80]: April over by 10.
    assert rows(fit["budget"], "month_index", "cost", "limit", "over") == [(0, 60, 50, 10), (1, 100, 100, 0),
                                                                            (2, 65, 80, 0)]
    roles = fit["roles"].set_index(["role", "month_index"])
    # QA April 90 + 30 + 20 = 140 of 120: 140 / 120, over by 20; Dev May 20 + 120 + 20 = 160 of 240.
    assert roles.loc[("QA", 0), "demand"] == 140 and roles.loc[("QA", 0), "over"] == 20
    assert roles.loc[("QA", 0), "utilisation"] == pytest.approx(140 / 120)
    assert roles.loc[("Dev", 1), "utilisation"] == pytest.approx(160 / 240) and roles.loc[("Dev", 1), "over"] == 0
    assert roles.loc[("QA", 1), "demand"] == 0 and roles.loc[("QA", 1), "capacity"] == 120  # capacity, no demand
    assert len(roles) == 6  # no June row: nothing planned there and no capacity
    same = arb.fit(con, budget_limit=pd.DataFrame({"month_index": [0, 1], "limit": [70, 90]}))["budget"]
    assert same["over"].tolist()[:2] == [0, 10] and np.isnan(same["limit"].tolist()[2])
    assert np.isnan(same["over"].tolist()[2])  # no limit: missing, not zero
    with pytest.raises(UsageError, match="does not take period_from"):
        arb.fit(con, period_from="2025-04")


def respects_the_inputs(data: dict, result, limit: np.ndarray) -> None:
    """Spend per month and hours per role-month of the selection at its shifts, recomputed from the inputs
    frames (not from the Problem or the result's own usage), within the limits and capacities."""
    chosen = result.selected
    cost = data["cost"][data["cost"]["project_id"].isin(chosen)]
    spend = (cost["month_index"] + cost["project_id"].map(chosen)).to_frame("m").assign(c=cost["cost"])
    for m, amount in spend.groupby("m")["c"].sum().items():
        assert np.isnan(limit[m]) or amount <= limit[m] + 1e-6, (m, amount, limit[m])
    demand = data["demand"][data["demand"]["project_id"].isin(chosen)]
    hours = demand.assign(m=demand["month_index"] + demand["project_id"].map(chosen))
    capacity = data["capacity"].set_index(["role", "month_index"])["hours"]
    checked = 0
    for (role, m), amount in hours.groupby(["role", "m"])["hours"].sum().items():
        if (role, m) in capacity.index:
            assert amount <= capacity[(role, m)] + 1e-6, (role, m, amount)
            checked += 1
    assert checked > 0


def test_the_demo_portfolio(demo_db):
    con = db.connect(demo_db)
    try:
        data = arb.inputs(con)
        values = data["candidates"]["value"]
        given = None if values.notna().all() else data["candidates"][["project_id"]].assign(value=10.0)
        for window in (0, 2):
            problem = arb.problem(con, candidates=given, shift_window=window)
            result = optimise(problem)
            assert result.status == OPTIMAL
            respects_the_inputs(data, result, np.asarray(problem.budget))
            changes = arb.suggestion(result, problem)
            excluded = {c["project_id"] for c in changes if c["kind"] == "exclude"}
            assert excluded == set(data["candidates"]["project_id"]) - set(result.selected)
            assert all(c["who"] == "optimiser" and c["why"] for c in changes)
        fit = arb.fit(con)
        assert (fit["budget"]["over"] > 0).any()  # the demo's forecasts do not fit its approved budget
    finally:
        con.close()


def test_a_deferral_for_capacity(con):
    # Budget 1000, +-1 month: P1 starting in May moves its QA 90 h to May (QA April 30 + 20 = 50, May 90 <= 120)
    # and its Dev 60 h to May (60 + 120 + 20 = 200 <= 240; its May 20 h go to June, which has no capacity):
    # all three fit, 10 + 6 + 3 = 19. At its planned dates P1 breaks QA April by 20 h (140 - 120).
    problem = arb.problem(con, budget_limit=1000, shift_window=1)
    result = optimise(problem)
    assert result.selected == {"P1": 1, "P2": 0, "P5": 0} and result.objective == pytest.approx(19)
    assert arb.suggestion(result, problem) == [
        {"kind": "defer", "project_id": "P1", "months": 1, "who": "optimiser",
         "why": "value 10, cost 130; starting 1 month(s) later: at its planned dates QA hours in 2025-04 would "
                "be over by 20 h"}]


def test_needless_shifts_are_not_suggested():
    # Budget [10, 5, 10]. B (cost 5 in month 1) is listed first, deferred to month 2; A (5 in month 0) to
    # month 1. B back to month 1 beside A there: 5 + 5 = 10 > 5, so not yet; A back to month 0: 5 <= 10;
    # then B back: 5 <= 5. Neither move was needed, so nothing is suggested; the value is the same.
    from pmo_analytics.metrics.optimiser import Result, evaluate
    from pmo_analytics.metrics.optimiser_model import build

    candidates = pd.DataFrame({"project_id": ["B", "A"], "value": [1.0, 1.0]})
    cost = pd.DataFrame({"project_id": ["B", "A"], "month_index": [1, 0], "cost": [5.0, 5.0]})
    problem = Problem(candidates, cost, budget=[10, 5, 10], months=3, shift_window=1)
    model = build(problem)
    x = np.zeros(model.columns)
    for p, shift in ((0, 1), (1, 1)):
        x[model.col_start[p] + np.nonzero(model.col_shift[model.col_start[p]:][:model.col_count[p]] == shift)[0][0]] = 1
    moved = Result(OPTIMAL, "by hand", "milp", **evaluate(model, x))
    assert moved.selected == {"B": 1, "A": 1}
    assert arb.suggestion(moved, problem) == []
