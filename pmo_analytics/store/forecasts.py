"""The saved risk-adjusted forecasts (issue 16): one Monte Carlo run per snapshot, kept in the workbench
database so a dashboard shows P50/P80/P90 at once instead of simulating. Saving publishes a new state of
the database like a load does (store/publish.py): the snapshots' rows are never touched, a failure
leaves the live file as it was, and saving a snapshot's forecast again replaces that snapshot's. This
module takes plain frames (a Simulation or anything with the same attributes); metrics.forecast_store
reads them back.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pmo_analytics.exceptions import UsageError
from pmo_analytics.periods import month_end
from pmo_analytics.store import connection, publish

_DOUBLE, _DATE = "DOUBLE", "DATE"
# table -> the attribute of the simulation it is read from and its columns after as_of
TABLES: dict[str, tuple[str | None, dict[str, str]]] = {
    "forecast_runs": (None, {
        "seed": "BIGINT", "draws": "BIGINT", "rho": _DOUBLE, "method": "TEXT", "computed_at": "TIMESTAMP",
        "projects": "INTEGER", "prior_source": "TEXT"}),
    "forecast_projects": ("projects", {
        "project_id": "TEXT", "bac": _DOUBLE, "eac": _DOUBLE, "cost_p50": _DOUBLE, "cost_p80": _DOUBLE,
        "cost_p90": _DOUBLE, "prob_within_budget": _DOUBLE, "finish_point": _DATE, "finish_p50": _DATE,
        "finish_p80": _DATE, "finish_p90": _DATE, "baseline_finish": _DATE, "prob_by_baseline": _DOUBLE,
        "prob_both": _DOUBLE, "contingency_p80": _DOUBLE, "risk_emv": _DOUBLE, "prior_cost": "BOOLEAN",
        "prior_schedule": "BOOLEAN"}),
    "forecast_portfolio": ("portfolio", {
        "bac": _DOUBLE, "eac": _DOUBLE, "cost_p50": _DOUBLE, "cost_p80": _DOUBLE, "cost_p90": _DOUBLE,
        "prob_within_budget": _DOUBLE, "contingency_p80": _DOUBLE, "risk_emv": _DOUBLE,
        "share_by_baseline_mean": _DOUBLE, "share_by_baseline_p80": _DOUBLE, "finish_last_p80": _DATE,
        "projects": "INTEGER", "risks": "INTEGER"}),
    "forecast_curve": ("s_curve", {"cost": _DOUBLE, "probability": _DOUBLE}),
    "forecast_drivers": ("tornado", {"driver": "TEXT", "kind": "TEXT", "contribution": _DOUBLE, "amount": _DOUBLE}),
}
RUN_FIELDS = tuple(TABLES["forecast_runs"][1])


def ddl(catalog: str | None = None) -> list[str]:
    """CREATE TABLE statements of the forecast tables (in `catalog` when given)."""
    prefix = f"{catalog}." if catalog else ""
    return [f"CREATE TABLE IF NOT EXISTS {prefix}{name} (\n    as_of DATE NOT NULL,\n    "
            + ",\n    ".join(f"{c} {t}" for c, t in columns.items()) + "\n)"
            for name, (_, columns) in TABLES.items()]


def has_tables(con) -> bool:
    """Whether the database holds every forecast table (one written before issue 16 holds none)."""
    found = con.sql("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                    "AND table_name IN (SELECT unnest(?::VARCHAR[]))", params=[list(TABLES)]).fetchall()[0][0]
    return found == len(TABLES)


def _run_row(simulation, meta: Mapping) -> list:
    """forecast_runs' values after as_of: seed, draws, rho and method of the simulation and the number
    of projects in it unless `meta` gives them; prior_source from meta; computed_at from meta, else now."""
    row = {"seed": getattr(simulation, "seed", None), "draws": getattr(simulation, "draws", None),
           "rho": getattr(simulation, "rho", None), "method": getattr(simulation, "method", None),
           "computed_at": dt.datetime.now(), "projects": len(simulation.projects),
           "prior_source": None}
    unknown = sorted(set(meta) - set(row))
    if unknown:
        raise UsageError(f"forecast meta: unknown field {unknown[0]}; expected some of {', '.join(RUN_FIELDS)}")
    row.update(meta)
    return [row[c] for c in RUN_FIELDS]


def _frames(simulation) -> dict:
    """table -> the simulation's frame for it, every column the table holds present (extra ones ignored)."""
    out = {}
    for table, (attribute, columns) in TABLES.items():
        if attribute is None:
            continue
        frame = getattr(simulation, attribute)
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise UsageError(f"forecast {attribute}: no column {missing[0]}; the {table} table needs "
                             f"{', '.join(columns)}")
        out[table] = frame[list(columns)]
    return out


def save(database, as_of, simulation, meta: Mapping | None = None) -> None:
    """Publishes `simulation`'s projects, portfolio and s_curve frames (and one forecast_runs row) as
    the forecast of snapshot `as_of`, replacing any saved before for it; the snapshot must be loaded.
    `meta` may give any forecast_runs field (prior_source above all)."""
    target = connection.existing(database)
    snapshot = month_end(as_of)
    run, frames = _run_row(simulation, meta or {}), _frames(simulation)
    con = connection.memory()
    try:
        with publish.publishing(con, target), publish.transaction(con):
            for statement in ddl("pub"):
                con.sql(statement)
            if not con.sql("SELECT count(*) FROM pub.loads WHERE as_of = ?", params=[snapshot]).fetchall()[0][0]:
                raise UsageError(f"{target}: no snapshot {snapshot:%Y-%m} is loaded to keep a forecast for; "
                                 "load it first, or give the as_of the forecast was made from")
            for table in TABLES:
                con.sql(f"DELETE FROM pub.{table} WHERE as_of = ?", params=[snapshot])
            con.sql(f"INSERT INTO pub.forecast_runs VALUES (?, {', '.join('?' for _ in run)})",
                    params=[snapshot, *run])
            for table, frame in frames.items():
                _insert(con, table, frame, snapshot)
    finally:
        con.close()


def _insert(con, table: str, frame, snapshot: dt.date) -> None:
    columns = TABLES[table][1]
    select = ", ".join(f'CAST("{c}" AS {t})' for c, t in columns.items())
    con.register("forecast_frame", frame)
    try:
        con.sql(f"INSERT INTO pub.{table} (as_of, {', '.join(columns)}) SELECT ?, {select} FROM forecast_frame",
                params=[snapshot])
    finally:
        con.unregister("forecast_frame")
