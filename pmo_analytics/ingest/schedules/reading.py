"""Which reader a schedule file takes, and each file read once: MS Project XML (MSPDI) with the standard
library (no Java needed), every other schedule (.xer, .mpp, .mpx, .planner, Primavera P6 XML, Planner
XML) through MPXJ. A schedule feeds the canonical tables (as the project whose id is the file's name in
UPPER_SNAKE) and its activities and relationships, kept for the DCMA-14 health check.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pmo_analytics.ingest.schedules.model import Schedule, activities_frame, relations_frame

SUFFIXES = (".xer", ".mpp", ".mpx", ".planner")
XML_ROOTS = {"APIBusinessObjects": "Primavera P6 XML", "project": "GNOME Planner XML"}


@dataclass(frozen=True)
class Detail:
    """What a schedule carries beyond the canonical tables, ready for store.schedules.replace."""

    project_id: str
    header: dict
    activities: pd.DataFrame
    relations: pd.DataFrame
    schedule: Schedule


def project_id_of(path) -> str:
    """The project id a schedule loads as: its file name in UPPER_SNAKE (Road Works.xer -> ROAD_WORKS)."""
    from pmo_analytics.ingest.schedules.mspdi import _upper_snake

    return _upper_snake(Path(path).stem)


def kind_of(path) -> str | None:
    """'mspdi' for MS Project XML, 'schedule' for a file MPXJ reads, None for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return "schedule"
    if suffix != ".xml":
        return None
    from pmo_analytics.ingest.schedules.mspdi_xml import is_mspdi

    if is_mspdi(path):
        return "mspdi"
    return "schedule" if xml_format(path) else None


def xml_format(path) -> str | None:
    """The schedule format of an XML file MPXJ reads other than MSPDI (by its root element), else None."""
    try:
        for _event, el in ET.iterparse(path, events=("start",)):
            local = el.tag.rpartition("}")[2]
            if local == "project" and "mrproject-version" not in el.attrib:
                return None
            return XML_ROOTS.get(local)
    except (OSError, ET.ParseError, ValueError, LookupError):
        return None
    return None


def frames(path) -> dict[str, pd.DataFrame]:
    """The canonical tables a schedule file carries (non-empty ones), read once per file version."""
    path = Path(path)
    return _frames(str(path), path.stat().st_mtime)


def schedule(path) -> Schedule:
    """The Schedule model of a file (MSPDI without Java, the rest through MPXJ), read once per version."""
    path = Path(path)
    return _schedule(str(path), path.stat().st_mtime)


def detail(path) -> Detail:
    """The activities and relationships of a schedule file with the header row of store.schedules."""
    path = Path(path)
    s = schedule(path)
    acts, rels = activities_frame(s), relations_frame(s)
    header = {"file": str(path), "source_format": s.source_format, "status_date": s.status_date,
              "start": s.start, "finish": s.finish, "hours_per_day": s.hours_per_day,
              "activities": len(acts), "relations": len(rels)}
    return Detail(project_id_of(path), header, acts, rels, s)


@lru_cache(maxsize=8)
def _frames(path: str, mtime: float) -> dict:
    if kind_of(path) == "mspdi":
        from pmo_analytics.ingest.schedules import mspdi

        tables = mspdi.read_mspdi(Path(path), project_id_of(path))
    else:
        from pmo_analytics.ingest.schedules import canonical

        tables = canonical.tables_of(_schedule(path, mtime), project_id_of(path))
    return {t: f for t, f in tables.items() if len(f)}


@lru_cache(maxsize=8)
def _schedule(path: str, mtime: float) -> Schedule:
    if kind_of(path) == "mspdi":
        from pmo_analytics.ingest.schedules.mspdi_schedule import read_mspdi_schedule

        return read_mspdi_schedule(Path(path))
    from pmo_analytics.ingest.schedules.mpxj_read import read_schedule

    return read_schedule(Path(path))
