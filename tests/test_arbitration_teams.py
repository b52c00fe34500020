"""The optimiser's inputs by team as well as by role, and its earliest shifts, on the hand-built portfolio
of tests/test_scenarios.py (its docstring lists every row)."""
from __future__ import annotations

import pandas as pd
import pytest
from test_scenarios import database  # noqa: F401 - the module fixture, shared

from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import arbitration
from pmo_analytics.store import connection


def _rows(frame, **keys):
    for k, v in keys.items():
        frame = frame[frame[k] == v]
    return frame


def test_team_capacity_and_demand_sit_beside_the_roles(database):  # noqa: F811
    with connection.connect(database) as con:
        data = arbitration.inputs(con, capacity_by=("role", "team"))
    cap = data["capacity"].set_index(["role", "month_index"])["hours"]
    # Calendar weeks after 2026-10-31: the Mondays 11-02 .. 12-07, Nov 5 of them (month 0), Dec 1 (month 1).
    # Data = R1 40 + R2 40 = 80 a week: Nov 400, Dec 80; Web = R3 20 + R4 30: Nov 250, Dec 50.
    assert cap[("team: Data", 0)] == 400 and cap[("team: Data", 1)] == 80
    assert cap[("team: Web", 0)] == 250 and cap[("team: Web", 1)] == 50
    # Analysts by role as before: R1 40 + R3 20 = 60 a week, Nov 300.
    assert cap[("Analyst", 0)] == 300
    demand = data["demand"]
    # P1 in November: R1 (Data, Analyst) 20 + 20, R3 (Web, Analyst) 10 + 10.
    assert _rows(demand, project_id="P1", role="team: Data", month_index=0)["hours"].sum() == 40
    assert _rows(demand, project_id="P1", role="team: Web", month_index=0)["hours"].sum() == 20
    assert _rows(demand, project_id="P1", role="Analyst", month_index=0)["hours"].sum() == 60


def test_capacity_by_names_known_groupings_only(database):  # noqa: F811
    with connection.connect(database) as con, pytest.raises(UsageError, match="capacity_by"):
        arbitration.inputs(con, capacity_by=("department",))


def test_no_project_is_brought_forward_into_the_snapshot_month(database):  # noqa: F811
    values = pd.DataFrame({"project_id": ["P1", "P2", "P3"], "value": [5.0, 4.0, 1.0]})
    with connection.connect(database) as con:
        problem = arbitration.problem(con, candidates=values, shift_window=3)
    # Every live project has a line or a planned week in November (month 0): none may start earlier;
    # later stays open to the window.
    frame = problem.candidates.set_index("project_id")
    assert frame["earliest_shift"].to_dict() == {"P1": 0, "P2": 0, "P3": 0}
    assert frame["latest_shift"].fillna(3).to_dict() == {"P1": 3, "P2": 3, "P3": 3}
