"""Staging a Parquet file as text columns, refusing a contract column of nested values (a struct,
list or map would be stored as its printed form)."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.text import first_error_line, ident, literal

NESTED = re.compile(r"STRUCT|MAP|UNION|\[\d*\]$")


def stage_parquet(con, path: Path, name: str) -> list[str]:
    """Reads a Parquet file as text columns; a contract column holding nested values (a struct, list
    or map) is an error: cast to text it would be stored as '{'a': ...}'."""
    table = TABLES[name.split("_", 1)[1]]
    try:
        with literal(path) as readable:
            described = con.sql("DESCRIBE SELECT * FROM read_parquet(?)", params=[readable]).fetchall()
            for column, type_, *_ in described:
                if NESTED.search(type_) and column.strip().lower() in table.column_names:
                    raise InputError(f"{path}: column {column} holds nested values ({type_[:60]}); the contract "
                                     f"expects {table.column(column.strip().lower()).type.lower()}: flatten it "
                                     "before exporting")
            names = [r[0] for r in described]
            casts = ", ".join(f"CAST({ident(n)} AS VARCHAR) AS c{i}" for i, n in enumerate(names))
            con.sql(f"CREATE TABLE {name} AS SELECT {casts} FROM read_parquet(?)", params=[readable])
    except duckdb.Error as exc:
        raise InputError(f"{path}: cannot read as Parquet: {first_error_line(exc)}") from None
    return names
