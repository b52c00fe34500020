"""The candidates file of an arbitration (issue 15): the PMO's own values and rules for the optimiser.

One row per project, every column but project_id optional:

    project_id,value,must,must_not,earliest_shift,latest_shift,exclusive_group,depends_on
    PRJ-001,40,yes,,,,,
    PRJ-002,25,,,-2,3,roofs,PRJ-001
    PRJ-003,,,yes,,,roofs,

value (a number >= 0) replaces the project's value_score (blank: keep it); must / must_not (yes/no,
true/false, 1/0, x; blank = no) force it in or out; earliest_shift (<= 0) and latest_shift (>= 0) are
the months its start may move (blank: the arbitration's shift window); of the projects sharing an
exclusive_group at most one is chosen; depends_on names the project(s) it needs (several split by ";").

Errors name the file, the row (1 = the first row under the header) and the column, as ingest's do. A
project_id that is not a project of the snapshot is an error; one that is in the snapshot but not a
candidate (closed, cancelled, outside the filters, or with nothing planned in the horizon) is ignored,
unless it is a must (an error: it cannot be done); a dependency on such a project is dropped (a
closed project needs no funding).
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.metrics.scope import resolve_as_of

COLUMNS = ("project_id", "value", "must", "must_not", "earliest_shift", "latest_shift", "exclusive_group",
           "depends_on")
TRUE, FALSE = ("yes", "y", "true", "1", "x"), ("no", "n", "false", "0")
SHOWN = 5  # project_ids named in a message about many


class Merged(NamedTuple):
    """The optimiser's candidates frame, exclusion groups and (a, b) dependencies."""

    frame: pd.DataFrame
    exclusions: list
    dependencies: list


def _blank(value) -> bool:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return True
    return str(value).strip() == ""


class _Cells:
    """Parses one frame's cells, each error naming the file, row and column."""

    def __init__(self, file: str, rows):
        self.file, self.rows = file, list(rows)

    def fail(self, i: int, column: str, message: str):
        raise InputError(f"{self.file}: row {self.rows[i]}, column {column}: {message}")

    def number(self, i, column, value, *, whole=False, sign=0) -> float:
        if _blank(value):
            return math.nan
        try:
            out = float(str(value).strip())
        except ValueError:
            out = math.nan
        want = ("a whole number" if whole else "a number") + {1: " >= 0", -1: " <= 0", 0: ""}[sign]
        wrong_sign = (sign > 0 and out < 0) or (sign < 0 and out > 0)
        if not math.isfinite(out) or (whole and out != round(out)) or wrong_sign:
            self.fail(i, column, f"{str(value).strip()[:40]!r} is not {want}")
        return out

    def flag(self, i, column, value) -> bool:
        if isinstance(value, bool) or _blank(value):
            return bool(value) if isinstance(value, bool) else False
        text = str(value).strip().lower()
        if text not in TRUE + FALSE:
            self.fail(i, column, f"{str(value).strip()[:40]!r} is not yes or no")
        return text in TRUE


def _dependencies(value) -> tuple[str, ...]:
    """The project_ids a depends_on cell names: split by ";" (or a list already)."""
    if isinstance(value, (tuple, list)):
        parts = value
    else:
        parts = [] if _blank(value) else str(value).split(";")
    return tuple(str(d).strip() for d in parts if str(d).strip())


def _parse(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """The frame's columns checked and typed (see the module docstring)."""
    unknown = [c for c in frame.columns if c not in COLUMNS and c != "row"]
    if unknown:
        raise InputError(f"{file}: column {unknown[0]}: not a candidates column (use {', '.join(COLUMNS)})")
    if "project_id" not in frame.columns:
        raise InputError(f"{file}: the column project_id is missing")
    rows = frame["row"] if "row" in frame.columns else range(1, len(frame) + 1)
    cells = _Cells(file, rows)
    get = (lambda c: frame[c].tolist() if c in frame.columns else [None] * len(frame))
    out = {"row": cells.rows, "project_id": [], "value": [], "must": [], "must_not": [], "earliest_shift": [],
           "latest_shift": [], "exclusive_group": [], "depends_on": []}
    seen: dict = {}
    for i, record in enumerate(zip(*(get(c) for c in COLUMNS))):
        pid, value, must, must_not, early, late, group, needs = record
        if _blank(pid):
            cells.fail(i, "project_id", "blank")
        pid = str(pid).strip()
        if pid in seen:
            cells.fail(i, "project_id", f"{pid} is listed twice (also row {cells.rows[seen[pid]]})")
        seen[pid] = i
        out["project_id"].append(pid)
        out["value"].append(cells.number(i, "value", value, sign=1))
        out["must"].append(cells.flag(i, "must", must))
        out["must_not"].append(cells.flag(i, "must_not", must_not))
        if out["must"][-1] and out["must_not"][-1]:
            cells.fail(i, "must_not", f"{pid} cannot be both must and must_not")
        out["earliest_shift"].append(cells.number(i, "earliest_shift", early, whole=True, sign=-1))
        out["latest_shift"].append(cells.number(i, "latest_shift", late, whole=True, sign=1))
        out["exclusive_group"].append(None if _blank(group) else str(group).strip())
        deps = _dependencies(needs)
        if pid in deps:
            cells.fail(i, "depends_on", f"{pid} cannot depend on itself")
        out["depends_on"].append(deps)
    parsed = pd.DataFrame(out)
    parsed.attrs["file"] = file
    return parsed


def _check_known(parsed: pd.DataFrame, known: set, as_of) -> None:
    """Every project_id and dependency must be a project of the snapshot."""
    cells = _Cells(parsed.attrs["file"], parsed["row"])
    month = f"the {as_of:%Y-%m} snapshot" if as_of is not None else "the snapshot"
    for i, (pid, deps) in enumerate(zip(parsed["project_id"], parsed["depends_on"])):
        if pid not in known:
            cells.fail(i, "project_id", f"{pid} is not a project of {month}")
        for dep in deps:
            if dep not in known:
                cells.fail(i, "depends_on", f"{dep} is not a project of {month}")


def read_candidates(path, con=None, as_of=None) -> pd.DataFrame:
    """A candidates CSV checked (module docstring): columns row (1 = first under the header), project_id,
    value, must, must_not, earliest_shift, latest_shift, exclusive_group, depends_on (a tuple). With
    `con`, every project_id must be a project of the snapshot (as_of, default the latest)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: is a folder, not a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file; save the candidates as CSV (UTF-8)") from None
    except csv.Error as exc:
        raise InputError(f"{path}: cannot read as CSV: {exc}") from None
    if not table or not any(cell.strip() for cell in table[0]):
        raise InputError(f"{path}: the file is empty; the first line must name the columns (project_id, value, ...)")
    header = [h.strip() for h in table[0]]
    body = [(n, r) for n, r in enumerate(table[1:], start=1) if any(c.strip() for c in r)]
    for n, cells in body:
        if len(cells) != len(header):
            raise InputError(f"{path}: row {n}: {len(cells)} cells where the header has {len(header)}")
    frame = pd.DataFrame([cells for _, cells in body], columns=header, dtype=object)
    frame.insert(0, "row", [n for n, _ in body])
    parsed = _parse(frame, str(path))
    if con is not None:
        snapshot = resolve_as_of(con, as_of)
        known = {r[0] for r in con.sql("SELECT project_id FROM projects WHERE as_of = ?",
                                       params=[snapshot]).fetchall()}
        _check_known(parsed, known, snapshot)
    return parsed


def merge(found: pd.DataFrame, given: pd.DataFrame | None, known: set | None, *, horizon: int,
          as_of=None) -> Merged:
    """The snapshot's candidates (project_id, value, current, ...) with the file's values and rules."""
    frame = found[["project_id", "value", "current"]].assign(must=False, must_not=False, earliest_shift=math.nan,
                                                              latest_shift=math.nan)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    exclusions, dependencies = [], []
    if given is not None:
        parsed = _parse(given, given.attrs.get("file", "candidates"))
        if known is not None:
            _check_known(parsed, known, as_of)
        frame, exclusions, dependencies = _apply(frame, parsed, horizon, as_of)
    unvalued = frame.loc[frame["value"].isna() & ~frame["must_not"], "project_id"].tolist()
    if unvalued:
        shown = ", ".join(map(str, unvalued[:SHOWN])) + (", ..." if len(unvalued) > SHOWN else "")
        raise UsageError(f"{len(unvalued)} candidate project(s) have no value ({shown}): add a value_score column "
                         "to the projects export or pass a candidates file")
    frame["value"] = frame["value"].fillna(0.0)  # only must_not projects, whose value does not count
    return Merged(frame.reset_index(drop=True), exclusions, dependencies)


def _apply(frame: pd.DataFrame, parsed: pd.DataFrame, horizon: int, as_of) -> tuple[pd.DataFrame, list, list]:
    """The file's rows laid over the candidates: values, flags, windows, groups and dependencies."""
    ids = set(frame["project_id"])
    cells = _Cells(parsed.attrs["file"], parsed["row"])
    for i, (pid, must) in enumerate(zip(parsed["project_id"], parsed["must"])):
        if must and pid not in ids:
            month = f"{as_of:%Y-%m}" if as_of is not None else "the snapshot"
            cells.fail(i, "must", f"{pid} is not a candidate (closed, cancelled, outside the filters or nothing "
                                  f"planned in the {horizon} months after {month}), so it cannot be a must")
    rows = parsed[parsed["project_id"].isin(ids)].set_index("project_id")
    frame = frame.set_index("project_id")
    given = rows["value"].dropna()
    frame.loc[given.index, "value"] = given
    for column in ("must", "must_not", "earliest_shift", "latest_shift"):
        frame.loc[rows.index, column] = rows[column]
    frame = frame.reset_index()
    groups = rows["exclusive_group"].dropna()
    exclusions = [sorted(members.index) for _, members in groups.groupby(groups) if len(members) > 1]
    dependencies = [(a, b) for a, deps in rows["depends_on"].items() for b in deps if b in ids]
    return frame, exclusions, dependencies
