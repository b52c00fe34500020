"""A scenario applied: an in-memory copy of the database up to the scenario's snapshot with its changes
made, on which every metric runs unchanged, so a what-if can never disagree with the dashboards.

view(con, s) copies `loads`, every canonical table and the summaries for the months up to s.as_of
(the scenario's snapshot is then the latest, every metric's default), applies the changes in order
to that month's rows only, rebuilds the month's summaries and updates its `loads` row counts. The
source database is only read. What is "future" is what comes after the snapshot date as_of: budget
lines whose period is after the snapshot month, allocations whose week (Monday) is after as_of, open
milestones (no actual_date) forecast after as_of; history is never changed. Changes, in order:

  * exclude: the project stops at the snapshot date, as a cancelled project does in the metrics:
    status 'cancelled' (and rag blank, as exports show one), so metrics.portfolio.headline and
    budget_variance's rollups leave all its money out of their totals and count it in `cancelled`
    and `released_budget`; its future budget lines are deleted, so budget_curve has none of its
    months to come; its future allocations are deleted, so its hours leave resource_load and
    over_allocations; its open and mitigating risks are closed at as_of, so they leave the active
    exposure (risk_exposure, headline risk_emv); its open milestones are deleted (they will never be
    achieved, so they no longer slip); end_date becomes as_of when later. Its history stays: past
    lines, booked hours, progress, achieved milestones. released_budget is therefore what it hands
    back of the budget up to the snapshot (max(budget - consumed, 0) over those lines); the budget
    still to come leaves budget_curve and the totals instead of being counted twice.
  * include: a project an earlier change excluded gets its rows back exactly; one on hold or
    cancelled in the snapshot becomes 'active', its rows otherwise as exported.
  * defer (months; negative brings forward): future budget lines move by `months` months, future
    allocations by round(months x 52 / 12) whole weeks (Mondays stay Mondays; 12 months = 52
    weeks), open milestones' forecast_date and projects' start_date and end_date when after as_of by
    `months` months. Nothing may move into the snapshot month or before it.
  * cut (percent): future budget and forecast (to the cent) and future planned hours scale by
    1 - percent/100; bac falls by percent% of the future budget.
  * move (resource_id or role, project_id -> to_project, period, percent = 100): the planned hours
    of the weeks whose Monday falls in the months of `period` (all after the snapshot month) move,
    merged into the person's row on to_project that week; an emptied row is deleted.
  * hire (role, people, weekly_hours, team): resources NEW-<role-slug>-<n> (people/hire's docstring).
  * add: a proposed project, status 'planned' (people.add).

Defer, cut and move need a live project (planned, active, on hold); a change naming a project,
person or role the snapshot lacks, or that would change nothing, is a ScenarioError naming the
scenario, the change and the fix. Rows a change writes have source "scenario <name> v<version>".
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb

from pmo_analytics import contract
from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.periods import month_end
from pmo_analytics.scenarios import people, projects
from pmo_analytics.scenarios.model import Scenario, describe
from pmo_analytics.scenarios.step import Applied, Step
from pmo_analytics.snapshots import summaries
from pmo_analytics.store import connection as db
from pmo_analytics.store import loads
from pmo_analytics.store import schema as store_schema

APPLY = {"exclude": projects.exclude, "include": projects.include, "defer": projects.defer,
         "cut": projects.cut, "move": people.move, "hire": people.hire, "add": people.add}
# The per-snapshot summaries copied for the months before the scenario's (its own is recomputed).
_MONTHLY_SUMMARIES = ("project_status", "resource_month", "project_schedule")


def view(con, scenario: Scenario) -> duckdb.DuckDBPyConnection:
    """A new in-memory connection holding the database up to scenario.as_of with the scenario's
    changes applied (the module docstring says how). The caller closes it (`with view(...) as v:`)."""
    out = _copy(con, scenario)
    try:
        applied = Applied()
        for position, change in enumerate(scenario.changes, 1):
            _apply(Step(out, scenario, position, change, applied))
        _finish(out, scenario.as_of)
    except BaseException:
        out.close()
        raise
    return out


def stale(con, scenario: Scenario) -> dt.date | None:
    """The latest loaded snapshot when it is newer than the scenario's, else None."""
    latest = loads.latest(con)
    return latest if latest is not None and latest > scenario.as_of else None


def replay(con, scenario: Scenario, as_of=None) -> tuple[Scenario, list[str]]:
    """The scenario's changes on a newer snapshot (default: the latest loaded), as version + 1, and
    what no longer applies: one line per change left out, "change 2 (defer PRJ-0043 by 3 months):
    PRJ-0043 is closed in the 2026-11 snapshot" (a project closed or gone, a month now past...)."""
    target = month_end(as_of) if as_of is not None else loads.latest(con)
    if target is None or target <= scenario.as_of:
        shown = "none" if target is None else f"{target:%Y-%m}"
        raise ScenarioError(f"scenario '{scenario.name}' is built on the {scenario.as_of:%Y-%m} snapshot; "
                            f"replay needs a later one (got {shown})")
    moved = dataclasses.replace(scenario, as_of=target, version=scenario.version + 1, changes=(),
                                created=dt.datetime.now().isoformat(timespec="seconds"))
    kept, notes = [], []
    with _copy(con, moved) as out:
        applied = Applied()
        for position, change in enumerate(scenario.changes, 1):
            try:
                _apply(Step(out, moved, position, change, applied))
                kept.append(change)
            except ScenarioError as exc:
                prefix = f"scenario '{scenario.name}', {change.label(position)}: "
                notes.append(f"change {position} ({describe(change)}): {str(exc).removeprefix(prefix)}")
    return dataclasses.replace(moved, changes=tuple(kept)), notes


def _apply(step: Step) -> None:
    """One change in its own transaction: a change that fails leaves the view as it was."""
    step.con.begin()
    try:
        APPLY[step.change.kind](step)
    except BaseException:
        step.con.rollback()
        raise
    step.con.commit()


def _copy(con, scenario: Scenario) -> duckdb.DuckDBPyConnection:
    """An in-memory copy of `loads`, the canonical tables and the summaries up to scenario.as_of."""
    present = {r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() "
                                     "WHERE database_name = current_database() AND schema_name = 'main'").fetchall()}
    if "loads" not in present or not con.sql("SELECT count(*) FROM loads WHERE as_of = ?",
                                             params=[scenario.as_of]).fetchall()[0][0]:
        months = ", ".join(f"{m:%Y-%m}" for m in loads.months(con)) if "loads" in present else ""
        raise ScenarioError(f"scenario '{scenario.name}': there is no {scenario.as_of:%Y-%m} snapshot in the "
                            f"database (loaded: {months or 'none'}); replay it on a loaded month")
    out = db.memory()
    try:
        for table in ("loads", *contract.TABLES):
            if table in present:
                _take(out, table, con.sql(f"SELECT * FROM {table} WHERE as_of <= ?", params=[scenario.as_of]))
        store_schema.ensure(out, out.sql("SELECT current_database()").fetchall()[0][0])
        for statement in store_schema.summary_ddl("main"):
            out.sql(statement)
        if summaries.current(con):
            for table in _MONTHLY_SUMMARIES:
                out.sql(f"DROP TABLE {table}")
                _take(out, table, con.sql(f"SELECT * FROM {table} WHERE as_of < ?", params=[scenario.as_of]))
            # The copied months were computed by this version (current() says so), as this one will be.
            out.sql("DELETE FROM summary_version")
            out.sql("INSERT INTO summary_version VALUES (?)", params=[summaries.VERSION])
        else:
            summaries.refresh(out, "main")
    except BaseException:
        out.close()
        raise
    return out


def _take(out, table: str, rel) -> None:
    """Creates `table` in `out` from the rows of the relation `rel` (of another connection)."""
    data = rel.to_arrow_table()
    out.register("_taken", data)
    try:
        out.sql(f"CREATE TABLE {table} AS SELECT * FROM _taken")
    finally:
        out.unregister("_taken")


def _finish(out, as_of: dt.date) -> None:
    """Rebuilds the scenario month's summaries and its `loads` row counts (a count the snapshot left
    missing stays missing while the table has no rows)."""
    summaries.refresh(out, "main", [as_of])
    for table in contract.TABLES:
        out.sql(f"UPDATE loads SET rows_{table} = CASE WHEN rows_{table} IS NULL AND n = 0 THEN NULL ELSE n END "
                f"FROM (SELECT count(*) AS n FROM {table} WHERE as_of = ?) WHERE loads.as_of = ?",
                params=[as_of, as_of])
