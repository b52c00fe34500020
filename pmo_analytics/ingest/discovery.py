"""Finding the export files and which canonical table each feeds: by its name, its sheets, its
columns or a profile (given, or picked from the header and reported); a schedule (MS Project, Primavera,
Planner) read once."""
from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.ingest.text import header

if TYPE_CHECKING:
    from pmo_analytics.ingest.profiles import Profile


class _Lazy:
    """The profiles package, imported when first used: a load of exports in the workbench's own
    format reads no profile, and importing them (TOML, importlib.resources) costs a load ~15 ms."""

    def __getattr__(self, name):
        return getattr(importlib.import_module("pmo_analytics.ingest.profiles"), name)


profiles = _Lazy()

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".parquet": "parquet", ".xml": "xml",
           ".xer": "schedule", ".mpp": "schedule", ".mpx": "schedule", ".planner": "schedule"}
SCHEDULE_KINDS = ("mspdi", "schedule")


@dataclass(frozen=True)
class Source:
    """One input file and the canonical table it feeds, with the profile that reads it (None: the
    workbench's own format) and, when the profile was picked automatically, why."""

    table: str
    path: Path
    profile: Profile | None = None
    sheet: str | None = None
    picked: str | None = None
    parts: tuple[Path, ...] = ()  # several schedules feeding one table: every file, `path` the first

    @property
    def files(self) -> tuple[Path, ...]:
        return self.parts or (self.path,)

    @property
    def format(self) -> str:
        return FORMATS[self.path.suffix.lower()]

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in self.files:
            if self.parts:
                digest.update(f"{path.name}\0".encode())
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()


def discover(paths, profile: str | None = None) -> list[Source]:
    """The input files named by `paths` (files, or folders of files) and the tables each feeds.

    A file named after a table in the workbench's format needs no profile; otherwise `profile` (a
    shipped name or a .toml path) says how to read it, or one is picked from the file's columns.
    """
    chosen = profiles.resolve(profile) if profile is not None else None
    sources: dict[str, Source] = {}
    for raw in paths:
        path = Path(raw)
        _check_entry(path)
        if path.is_dir():
            files = [_check_entry(p, in_folder=True) for p in sorted(path.iterdir()) if p.suffix.lower() in FORMATS]
            if not files:
                names = ", ".join(f"{t}.csv" for t in TABLES)
                raise InputError(f"{path}: no export files found (expected files named {names}, "
                                 "or .xlsx / .parquet, or schedules: .xer / .mpp / .mpx / .xml / .planner)")
        elif path.is_file():
            files = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for f in files:
            for source in _sources_of(f, chosen):
                if source.table in sources and _both_schedules(sources[source.table], source):
                    sources[source.table] = _joined(sources[source.table], source)
                elif source.table in sources:
                    raise UsageError(f"two files for table {source.table}: {sources[source.table].path} and {f}")
                else:
                    sources[source.table] = source
    return [sources[t] for t in TABLES if t in sources]


def _both_schedules(a: Source, b: Source) -> bool:
    return all(s.profile is not None and s.profile.kind in SCHEDULE_KINDS for s in (a, b))


def _joined(a: Source, b: Source) -> Source:
    """One table fed by several schedules (one project each): a folder of a PMO's project schedules."""
    files = a.files + b.files
    return Source(a.table, a.path, a.profile, picked=f"{len(files)} schedules", parts=files)


def _check_entry(path: Path, in_folder: bool = False) -> Path:
    """An export path that leads nowhere (a dangling or looping link) or to something that is not a
    file (a named pipe would block the read; a folder named projects.csv) is an error, not a file
    left out: leaving it out would load the month without that table and say nothing."""
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            raise InputError(f"{path}: a symbolic link that loops back on itself; point it at the export") from None
        except OSError:
            raise InputError(f"{path}: a symbolic link to {os.readlink(path)}, which does not exist") from None
    if path.exists() and not path.is_file() and (in_folder or not path.is_dir()):
        what = "a folder" if path.is_dir() else "not a regular file (a named pipe or a device?)"
        raise InputError(f"{path}: {what}; an export must be a file")
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read it: {exc.strerror}") from None
    return path


def _sources_of(path: Path, chosen: Profile | None) -> list[Source]:
    table = _table_of(path)
    suffix = path.suffix.lower()
    if chosen is not None and chosen.kind == "canonical" and table:
        return [Source(table, path)]
    if chosen is not None and chosen.kind == "workbook":
        sheets = _workbook_tables(path)
        if not sheets:
            raise InputError(f"{path}: no sheet of this workbook is named after a table (name the sheets "
                             f"{', '.join(TABLES)}), so profile {chosen.name} finds nothing to load")
        return [Source(t, path, sheet=s) for t, s in sheets.items()]
    if chosen is not None and chosen.kind != "canonical":
        if chosen.kind in SCHEDULE_KINDS:
            return [Source(t, path, chosen) for t in schedule_frames(path)]
        tables = chosen.feeds(path)
        if not tables:
            raise InputError(f"{path}: profile {chosen.name} does not say which table this file feeds; "
                             "name the file after a table or add [tables.<name>] to the profile")
        return [Source(t, path, chosen) for t in tables]
    if suffix == ".xml" or FORMATS.get(suffix) == "schedule":
        return _schedule_sources(path)
    if FORMATS.get(suffix) == "xlsx" and not table:
        sheets = _workbook_tables(path)
        if sheets:
            return [Source(t, path, sheet=s, picked=f"workbook sheet {s!r}") for t, s in sheets.items()]
    if table and FORMATS[suffix] != "csv":
        return [Source(table, path)]
    if table:
        first = header(Source(table, path), strict=False)
        if first is not None and all(c in [h.strip().lower() for h in first] for c in TABLES[table].required):
            return [Source(table, path)]
    sniffed = profiles.header_of(path)
    if table and all(c in [h.strip().lower() for h in sniffed] for c in TABLES[table].required):
        fallback = profiles.fallback(path)
        return [Source(table, path, fallback, picked=fallback.description)]
    found = profiles.detect(path, sniffed)
    if found is not None:
        why = f"its columns include {', '.join(found.detect)}"
        return [Source(t, path, found, picked=why) for t in found.feeds(path)]
    if table:
        return [Source(table, path)]  # validation will name the missing columns
    raise InputError(f"{path}: cannot tell which table this file is; name it after a table "
                     f"({', '.join(TABLES)}), or give --profile (shipped: {', '.join(profiles.shipped())})")


def _schedule_sources(path: Path) -> list[Source]:
    """The tables a schedule file feeds, with the profile that reads it (MS Project XML without Java,
    the other formats through MPXJ)."""
    from pmo_analytics.ingest.schedules import reading

    kind = reading.kind_of(path)
    if kind is None:
        raise InputError(f"{path}: not a schedule the workbench reads; it reads MS Project XML (MSPDI), "
                         "Primavera P6 XML and GNOME Planner XML, and .xer, .mpp, .mpx and .planner files")
    picked = profiles.shipped()[kind]
    what = "MS Project XML" if kind == "mspdi" else f"{reading.xml_format(path) or path.suffix} schedule"
    return [Source(t, path, picked, picked=what) for t in schedule_frames(path)]


def schedule_frames(path: Path) -> dict:
    """The canonical tables a schedule file carries (non-empty ones), read once per file."""
    from pmo_analytics.ingest.schedules import reading

    return reading.frames(path)


def schedule_table(source: Source):
    """The rows of `source`'s table from each of its schedules, one after the other, and where each
    file's rows start (0-based): [(file, first row index)], to name the file and row of a problem."""
    import pandas as pd

    from pmo_analytics.ingest.schedules.reading import project_id_of

    frames, starts, at = [], [], 0
    for path in source.files:
        frame = schedule_frames(path).get(source.table)
        if frame is None:
            continue
        if source.parts and "resource_id" in frame.columns:
            # MS Project and Planner carry no enterprise resource id: each schedule's R1 is its own
            frame = frame.assign(resource_id=project_id_of(path) + ":" + frame["resource_id"].astype(str))
        frames.append(frame)
        starts.append((path, at))
        at += len(frame)
    return pd.concat(frames, ignore_index=True), starts


def _workbook_tables(path: Path) -> dict[str, str]:
    """Visible worksheets of a workbook named after canonical tables: {table: sheet name}. A hidden
    sheet is never one (often a stale copy); a workbook that cannot be read safely says why, here."""
    from pmo_analytics.ingest import workbooks

    return workbooks.tables(path, TABLES)


def _table_of(path: Path) -> str | None:
    if path.suffix.lower() not in FORMATS:
        return None
    stem = path.stem.strip().lower()
    return stem if stem in TABLES else None
