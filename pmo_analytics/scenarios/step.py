"""One change being applied to a scenario view: the view, the snapshot date, how errors name the
change, and the look-ups every kind needs (the project, whether it is still live)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NoReturn

from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.scenarios.model import Change, Scenario, check_month

LIVE = ("planned", "active", "on_hold")
# The canonical tables whose rows belong to a project (exclude keeps a copy to restore on include).
PROJECT_TABLES = ("projects", "budget_lines", "progress", "allocations", "risks", "milestones")


@dataclass
class Applied:
    """What earlier changes of the scenario left behind: the projects excluded, by project_id, with
    the change's position and the rows they had before (pyarrow tables per PROJECT_TABLES)."""

    excluded: dict[str, tuple[int, dict]] = field(default_factory=dict)


@dataclass
class Step:
    """Change `position` of `scenario`, applied to the view `con`."""

    con: object
    scenario: Scenario
    position: int
    change: Change
    applied: Applied

    @property
    def as_of(self) -> dt.date:
        return self.scenario.as_of

    @property
    def snapshot(self) -> str:
        """'2026-10': the snapshot month, as messages name it."""
        return f"{self.as_of:%Y-%m}"

    @property
    def source(self) -> str:
        """The `source` of the rows a change writes: the scenario and its version."""
        return f"scenario {self.scenario.name} v{self.scenario.version}"

    def fail(self, detail: str) -> NoReturn:
        raise ScenarioError(f"scenario '{self.scenario.name}', {self.change.label(self.position)}: {detail}")

    def rows(self, sql: str, params: list) -> list[tuple]:
        return self.con.sql(sql, params=params).fetchall()

    def project(self, project_id: str) -> dict:
        """The project's row in the view (status, dates, bac), or an error naming the snapshot."""
        rel = self.con.sql("SELECT project_id, name, status, start_date, end_date, bac FROM projects "
                           "WHERE as_of = ? AND project_id = ?", params=[self.as_of, project_id])
        found = rel.fetchall()
        if not found:
            self.fail(f"{project_id} is not in the {self.snapshot} snapshot")
        return dict(zip(rel.columns, found[0]))

    def live(self, project_id: str) -> dict:
        """The project's row when it can still change (planned, active, on hold), else an error
        saying why not and how to bring it back."""
        project = self.project(project_id)
        if project_id in self.applied.excluded:
            self.fail(f"{project_id} is excluded by change {self.applied.excluded[project_id][0]}; "
                      "include it first")
        if project["status"] not in LIVE:
            hint = "; include it first" if project["status"] == "cancelled" else ""
            self.fail(f"{project_id} is {project['status']} in the {self.snapshot} snapshot{hint}")
        return project

    def future_months(self, months, what: str) -> list[dt.date]:
        """The first days of `months` ('YYYY-MM'), each of which must come after the snapshot month
        (what is past is history and never changes)."""
        firsts = [check_month(m, what) for m in months]
        for month, first in zip(months, firsts):
            if first <= self.as_of:
                self.fail(f"{what} {month} is not after the {self.snapshot} snapshot: only what is "
                          "still to come can change")
        return firsts
