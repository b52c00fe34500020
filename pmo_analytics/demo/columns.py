"""Writing the CSV files: numpy codes, day numbers and cents become Arrow columns, and DuckDB `COPY`
writes each table with the contract's columns in contract order and fixed number formats."""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pmo_analytics.contract import DATE, INTEGER, NUMBER, TABLES

# Output formats of non-money numbers (money is DECIMAL(18,2): cents).
_FORMATS = {"percent_complete": "DECIMAL(5,1)", "probability": "DECIMAL(3,2)",
            "weekly_capacity_hours": "DECIMAL(5,1)", "planned_hours": "DECIMAL(5,1)",
            "actual_hours": "DECIMAL(5,1)"}


def coded(codes, labels, null=None) -> pa.Array:
    """A text column as dictionary codes into `labels`; code -1 (or `null`) is an empty cell."""
    codes = np.asarray(codes, dtype=np.int64)
    mask = codes < 0 if null is None else (codes < 0) | null
    return pa.DictionaryArray.from_arrays(pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask),
                                          pa.array(list(labels), pa.string()))


def dated(days, null=None) -> pa.Array:
    """A date column from day numbers; `null` marks empty cells."""
    days = np.asarray(days, dtype=np.int64)
    if null is None:
        return pa.array(days.astype("M8[D]"))
    return pa.array(np.where(null, 0, days).astype("M8[D]"), mask=np.asarray(null, bool))


def money(cents) -> pa.Array:
    """A money column from integer cents."""
    return pa.array(np.asarray(cents, dtype=np.int64) / 100.0)


def numeric(values, null=None) -> pa.Array:
    """A number column; `null` marks empty cells."""
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values) if null is None else pa.array(np.where(null, 0, values), mask=np.asarray(null, bool))


def write_csv(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, pa.Array], path: Path) -> None:
    """Writes table `name` to `path`: header and columns in contract order, money in cents."""
    table = TABLES[name]
    data = pa.table({c: columns[c] for c in table.column_names})
    exprs = []
    for col in table.columns:
        q = '"' + col.name + '"'
        if col.money:
            kind = "DECIMAL(18,2)"
        elif col.type == NUMBER:
            kind = _FORMATS.get(col.name, "DOUBLE")
        elif col.type == INTEGER:
            kind = "INTEGER"
        elif col.type == DATE:
            kind = "DATE"
        else:
            kind = "VARCHAR"
        exprs.append(f"CAST({q} AS {kind}) AS {q}")
    con.register("_sample_export", data)
    try:
        target = str(path).replace("'", "''")
        con.sql(f"COPY (SELECT {', '.join(exprs)} FROM _sample_export) TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        con.unregister("_sample_export")
