"""Where the workbench's files are from a notebook: the database to read and the exports to check."""
from __future__ import annotations

import os
from pathlib import Path

from pmo_analytics.settings import SAMPLE_DIR, db_path


def _find_upwards(relative: Path) -> Path | None:
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / relative).exists():
            return folder / relative
    return None


def resolve_db(db=None) -> Path:
    """The database to read: `db`, then $PMO_DB, then data/pmo.duckdb found from the working directory
    upwards (a notebook in notebooks/ runs there, so it finds the project's data/pmo.duckdb)."""
    target = db_path(db)
    if target.is_absolute() or target.exists():
        return target
    return _find_upwards(target) or target


def exports_folder(folder=None) -> Path:
    """The folder of exports notebook 01 checks: `folder`, then $PMO_EXPORTS, then the latest month
    folder of the demo sample (data/sample/YYYY-MM, found from the working directory upwards)."""
    if folder:
        return Path(folder)
    if os.environ.get("PMO_EXPORTS"):
        return Path(os.environ["PMO_EXPORTS"])
    sample = _find_upwards(Path(str(SAMPLE_DIR.default)))
    if sample is None:
        return Path(str(SAMPLE_DIR.default))
    months = sorted(p for p in sample.iterdir() if p.is_dir() and p.name[:4].isdigit())
    return months[-1] if months else sample


__all__ = ["exports_folder", "resolve_db"]
