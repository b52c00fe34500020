"""Opening the workbench database.

Readers (metrics, notebooks, dashboards) open short-lived read-only connections; only the snapshot
publisher writes, and it writes to a copy that is swapped in whole (see snapshots.py).
"""
from __future__ import annotations

import functools
import os

import duckdb

from pmo_analytics.exceptions import DatabaseMissing, DatabaseOutdated, DatabaseUnreadable
from pmo_analytics.settings import db_path
from pmo_analytics.store import schema

# No extension may be fetched at run time: there is no internet where the workbench runs.
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def existing(path: str | os.PathLike | None = None):
    """The workbench database's path (path, then $PMO_DB, then data/pmo.duckdb), which must exist."""
    target = db_path(path)
    if not target.exists():
        raise DatabaseMissing(f"{target}: no database yet; load a snapshot first (pmo load or pmo demo)")
    return target


def connect(path: str | os.PathLike | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to the workbench database (path, then $PMO_DB, then data/pmo.duckdb)."""
    target = existing(path) if read_only else db_path(path)
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        return _quiet(duckdb.connect(str(target), read_only=read_only, config=CONFIG))
    except duckdb.IOException as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "not a valid DuckDB database" in first:
            raise DatabaseUnreadable(f"{target}: not a DuckDB database file") from None
        raise DatabaseUnreadable(f"{target}: cannot open it: {first}") from None


def memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the workbench's settings, for staging and tests."""
    return _quiet(duckdb.connect(":memory:", config=CONFIG))


def _quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    # DuckDB's own progress bar would draw over the CLI's progress lines and notebook outputs.
    con.sql("SET enable_progress_bar = false")
    return con


def frame(con, sql: str, params=None):
    """The result of `sql` as a DataFrame, fetched through Arrow.

    DuckDB's own `.df()` builds every string cell as a Python object, which for a few hundred thousand
    rows costs more than the query; Arrow hands the columns over in bulk (the 686k-row milestone trend
    converts in about 20 ms instead of 450 ms). The dtypes are those `.df()` gives: dates as
    datetime64[us], decimals as float64, integers and booleans with missing values as the nullable
    Int64 / Int32 / boolean. A summary table missing from an older database is named, with the fix.
    """
    import pyarrow as pa  # here, not at the top: `pmo --help` and `pmo snapshots` need neither

    try:
        table = con.sql(sql, params=params or None).to_arrow_table()
    except duckdb.CatalogException as exc:
        missing = [t for t in schema.SUMMARY_TABLES if t in str(exc)]
        if missing:
            raise DatabaseOutdated(f"the database has no {missing[0]} summary yet (it was written by an "
                                   "older version); run `pmo refresh` once") from None
        raise
    # Converting in Arrow before pandas sees the columns is several times cheaper than astype after.
    retyped = {i: pa.timestamp("us") if pa.types.is_date(f.type) else pa.float64()
               for i, f in enumerate(table.schema)
               if pa.types.is_date(f.type) or pa.types.is_decimal(f.type)}
    for i, type_ in retyped.items():
        table = table.set_column(i, pa.field(table.schema[i].name, type_), table.column(i).cast(type_))
    df = table.to_pandas()
    nullable = _nullable()
    for field, column in zip(table.schema, table.columns):
        if column.null_count and field.type in nullable:
            df[field.name] = column.to_pandas(types_mapper=nullable.get)
    return df


@functools.cache
def _nullable() -> dict:
    """Arrow integer and boolean types -> the pandas dtypes that hold missing values."""
    import pandas as pd
    import pyarrow as pa

    return {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
            pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype()}
