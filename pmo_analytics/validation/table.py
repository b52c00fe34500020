"""check_table: stages one export file (CSV, workbook, profile or MS Project XML), maps its header to
the contract's columns and runs every per-column rule and the duplicate-key check on it."""
from __future__ import annotations

import re

from pmo_analytics.ingest import csv as ingest_csv
from pmo_analytics.ingest import discovery as ingest
from pmo_analytics.ingest.discovery import profiles  # imported when a profile is used
from pmo_analytics.ingest import text as ingest_text
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.problems import Problem
from pmo_analytics.settings import MAX_PROBLEMS_PER_CHECK
from pmo_analytics.validation.rules import apply_rules, duplicate_keys, read_type, rules_for, stage_columns
from pmo_analytics.validation.tablecheck import TableCheck

__all__ = ["TableCheck", "check_table"]


def check_table(con, source: Source, as_of=None) -> TableCheck:
    """Stages one file and validates it against its canonical table: rows, fill rates, problems.

    as_of fills a profile's "{as_of}" constants (e.g. the period of a one-line-per-project budget).
    """
    check = TableCheck(source=source)
    table = check.table
    file = str(source.path)
    name = source.table
    if source.profile is not None and source.profile.kind in ingest.SCHEDULE_KINDS:
        check.raw = f"raw_{name}"
        frame, starts = ingest.schedule_table(source)
        check.header = profiles.stage_frame(con, frame, check.raw)
        if source.parts:
            _check_rows(con, check)
            check.problems = [_in_part(p, starts) for p in check.problems]
            return check
    elif source.profile is not None:
        check.raw = f"raw_{name}"
        check.header, notes = profiles.stage(con, source.path, name, source.profile, check.raw, as_of,
                                             source.sheet)
        check.problems += [Problem("warning", file, note) for note in notes]
    elif source.format == "csv":
        check.header = ingest_text.header(source)
    else:
        check.raw = f"raw_{name}"
        check.header, notes = ingest_csv.stage_text(con, source, check.raw)
        check.problems += [Problem("warning", file, note) for note in notes]
    return _check_rows(con, check)


def _in_part(problem: Problem, starts) -> Problem:
    """A problem of a table several schedules feed, named by the schedule and its row there."""
    if problem.row is None:
        return problem
    path, first = next(((p, at) for p, at in reversed(starts) if problem.row > at), starts[0])
    return Problem(problem.severity, str(path), problem.message, problem.row - first, problem.column)


def _check_rows(con, check: TableCheck) -> TableCheck:
    """Maps the staged header to the contract and runs every rule on the rows."""
    source, table, file = check.source, check.table, str(check.source.path)
    _map_columns(check)
    missing = [c for c in table.required if c not in check.mapping]
    if missing:
        hint = ""
        if len(check.header) == 1 and any(d in check.header[0] for d in ";\t|"):
            hint = " (the header is a single column: is the file delimited by ';' or tabs?)"
        for col in missing:
            check.problems.append(Problem("error", file, f"required column is missing{hint}", column=col))
        return check
    check.stg = f"stg_{source.table}"
    if check.raw is None:
        by_position = {i: table.column(c) for c, i in check.mapping.items()}
        types = [read_type(by_position[i]) if i in by_position else "VARCHAR" for i in range(len(check.header))]
        if not ingest_csv.stage_typed_csv(con, source, check.stg, types, stage_columns(check, typed=True)):
            check.raw = f"raw_{source.table}"
            ingest_csv.stage_text(con, source, check.raw)
    if check.raw is not None:
        con.sql(f"CREATE OR REPLACE TABLE {check.stg} AS SELECT {', '.join(stage_columns(check, typed=False))} "
                f"FROM {check.raw}")
    if "probability" in check.mapping:
        check.probability_scale = _probability_scale(con, check.stg)
        if check.probability_scale != "0-1":
            check.problems.append(Problem("warning", file, f"probabilities given on a {check.probability_scale} "
                                          "scale; normalised to 0-1", column="probability"))
    apply_rules(con, check, rules_for(check))
    if check.rows == 0:
        check.problems.append(Problem("error", file, "the file has a header but no data rows; loading it would "
                                      "empty the month's table (leave the file out to keep what is loaded)"))
    check.problems += duplicate_keys(con, check)
    return check


def _map_columns(check: TableCheck) -> None:
    """Matches header names to contract columns (case and spaces ignored); reports the rest."""
    file, table = str(check.source.path), check.table
    unknown = []
    for i, col in enumerate(check.header):
        canon = re.sub(r"[\s_]+", "_", col.strip().lower())  # 'Project\nID' wrapped in a spreadsheet header
        if canon in table.column_names:
            if canon in check.mapping:
                check.problems.append(Problem("error", file, "the header names this column twice; keep one",
                                              column=canon))
            else:
                check.mapping[canon] = i
        elif canon:
            unknown.append(col.strip()[:60])
    limit = int(MAX_PROBLEMS_PER_CHECK.value())
    if len(unknown) > limit:
        shown = ", ".join(unknown[:5])
        check.problems.append(Problem("warning", file, f"{len(unknown):,} columns are not in the contract and "
                                      f"were ignored ({shown}, ...)"))
    else:
        check.problems += [Problem("warning", file, "not a column of the contract; ignored", column=name)
                           for name in unknown]


def _probability_scale(con, stg: str) -> str:
    """'0-1', '1-5' (all whole numbers 1..5, some above 1) or 'percent' (some above 5, none above 100).

    A column that mixes fractions (0 < p < 1) with values above 1 is on no one scale: it stays 0-1,
    so the values above 1 are reported as out of range instead of rescaling every other row.
    """
    top, whole, fractions = con.sql(
        f"SELECT max(probability), bool_and(probability = round(probability) AND probability BETWEEN 1 AND 5), "
        f"count_if(probability > 0 AND probability < 1) FROM {stg} WHERE probability IS NOT NULL").fetchall()[0]
    if top is None or top <= 1 or fractions:
        return "0-1"
    if whole:
        return "1-5"
    return "percent" if top <= 100 else "0-1"
