"""Every setting of the workbench, declared once with its default and what it is for."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    env: str | None = None

    def value(self):
        """The environment variable if set, else the default."""
        if self.env and os.environ.get(self.env):
            return os.environ[self.env]
        return self.default


DB_PATH = Setting("db", "data/pmo.duckdb", "DuckDB file holding every snapshot", env="PMO_DB")
SAMPLE_DIR = Setting("sample_dir", "data/sample", "Where `pmo demo` writes the sample exports")
DEMO_MONTHS = Setting("demo_months", 12, "Monthly snapshots `pmo demo` loads")
DEMO_PROJECTS = Setting("demo_projects", 60, "Projects in the demo portfolio")
DEMO_SEED = Setting("demo_seed", 7, "Random seed of the demo portfolio")
MAX_PROBLEMS_PER_CHECK = Setting(
    "max_problems_per_check", 20, "Problems listed per column and rule before they are summarised"
)
SERVE_HOST = Setting("host", "127.0.0.1", "Address the dashboards listen on")
SERVE_PORT = Setting("port", 8866, "Port the dashboards listen on", env="PMO_PORT")
SERVE_MAX_KERNELS = Setting(
    "max_kernels", 12, "Dashboards open at once (a kernel of about 240 MB each); one more gets HTTP 503",
    env="PMO_MAX_KERNELS",
)
SERVE_CULL_TIMEOUT = Setting(
    "cull_timeout", 60, "Seconds a dashboard's kernel lives idle with no browser connected",
    env="PMO_CULL_TIMEOUT",
)
REDRAW_DELAY = Setting(
    "redraw_delay", 0.05, "Seconds a dashboard waits after a widget change before it redraws; changes "
    "meanwhile restart the wait and only the last is drawn (0 redraws on every change)",
    env="PMO_REDRAW_DELAY",
)
MAX_WORKBOOK_MB = Setting(
    "max_workbook_mb", 500, "Megabytes an Excel workbook may inflate to (its members' declared sizes), "
    "checked before any XML is parsed", env="PMO_MAX_WORKBOOK_MB",
)

SETTINGS = [DB_PATH, SAMPLE_DIR, DEMO_MONTHS, DEMO_PROJECTS, DEMO_SEED, MAX_PROBLEMS_PER_CHECK,
            SERVE_HOST, SERVE_PORT, SERVE_MAX_KERNELS, SERVE_CULL_TIMEOUT,
            REDRAW_DELAY, MAX_WORKBOOK_MB]


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: an explicit path, then $PMO_DB, then data/pmo.duckdb."""
    return Path(path) if path else Path(str(DB_PATH.value()))
