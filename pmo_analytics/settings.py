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

SETTINGS = [DB_PATH, SAMPLE_DIR, DEMO_MONTHS, DEMO_PROJECTS, DEMO_SEED, MAX_PROBLEMS_PER_CHECK,
            SERVE_HOST, SERVE_PORT]


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: an explicit path, then $PMO_DB, then data/pmo.duckdb."""
    return Path(path) if path else Path(str(DB_PATH.value()))
