"""Every setting of the workbench, declared once with its default, its environment variable and what
it is for. `pmo --help` lists them all; a command-line option, where there is one, wins over the
environment, which wins over the default."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from pmo_analytics.exceptions import UsageError


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    env: str

    def value(self):
        """The environment variable if set (converted to the default's type), else the default. A value
        that does not convert is a usage error naming the variable."""
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        kind = type(self.default)
        try:
            value = kind(raw) if kind is not bool else raw.lower() in ("1", "true", "yes", "on")
        except ValueError:
            raise UsageError(f"${self.env}={raw[:40]!r}: expected {_kinds[kind]} ({self.help})") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"${self.env}={raw[:40]!r}: expected a finite number ({self.help})")
        return value


_kinds = {int: "a whole number", float: "a number", str: "text", bool: "true or false"}

DB_PATH = Setting("db", "data/pmo.duckdb", "DuckDB file holding every snapshot", env="PMO_DB")
SAMPLE_DIR = Setting("sample_dir", "data/sample", "Where `pmo demo` writes the sample exports", env="PMO_SAMPLE_DIR")
DEMO_MONTHS = Setting("demo_months", 12, "Monthly snapshots `pmo demo` loads", env="PMO_DEMO_MONTHS")
DEMO_PROJECTS = Setting("demo_projects", 60, "Projects in the demo portfolio", env="PMO_DEMO_PROJECTS")
DEMO_SEED = Setting("demo_seed", 7, "Random seed of the demo portfolio", env="PMO_DEMO_SEED")
MAX_PROBLEMS_PER_CHECK = Setting(
    "max_problems_per_check", 20, "Problems listed per column and rule before they are summarised",
    env="PMO_MAX_PROBLEMS")
MAX_WORKBOOK_MB = Setting(
    "max_workbook_mb", 500, "Megabytes an Excel workbook may inflate to (its members' declared sizes), "
    "checked before any XML is parsed", env="PMO_MAX_WORKBOOK_MB")
REPORTS_DIR = Setting("reports_dir", "reports", "Where `pmo month` and `pmo report` write YYYY-MM/",
                      env="PMO_REPORTS_DIR")
REPORT_NOTEBOOKS = Setting(
    "report_notebooks", "02_budget_variance,03_resource_load,04_risks,05_milestones,06_improvement_kpis,"
    "07_month_over_month,09_forecasts", "The notebooks of the monthly pack, in order: names of shipped notebooks or "
    "paths to .ipynb files, separated by commas", env="PMO_REPORT_NOTEBOOKS")
CELL_TIMEOUT = Setting("cell_timeout", 600, "Seconds one report notebook cell may run", env="PMO_CELL_TIMEOUT")
NOTEBOOK_TIMEOUT = Setting("notebook_timeout", 1800, "Seconds one report notebook may run, kernel start "
                           "included", env="PMO_NOTEBOOK_TIMEOUT")
SERVE_HOST = Setting("host", "127.0.0.1", "Address the dashboards listen on", env="PMO_HOST")
SERVE_PORT = Setting("port", 8866, "Port the dashboards listen on", env="PMO_PORT")
SERVE_MAX_KERNELS = Setting(
    "max_kernels", 12, "Dashboards open at once (a kernel of about 240 MB each); one more gets HTTP 503",
    env="PMO_MAX_KERNELS")
SERVE_CULL_TIMEOUT = Setting(
    "cull_timeout", 60, "Seconds a dashboard's kernel lives idle with no browser connected",
    env="PMO_CULL_TIMEOUT")
REDRAW_DELAY = Setting(
    "redraw_delay", 0.05, "Seconds over which widget changes are gathered into one redraw: a change after "
    "a quiet spell this long redraws at once; changes within it restart the wait and only the last is "
    "drawn (0 redraws on every change)",
    env="PMO_REDRAW_DELAY")

CHROMIUM = Setting(
    "chromium", "", "Chromium or Chrome executable that prints the PDF board pack (default: `chromium` on "
    "the PATH, else Playwright's own browser)", env="PMO_CHROMIUM")

SETTINGS = [DB_PATH, SAMPLE_DIR, DEMO_MONTHS, DEMO_PROJECTS, DEMO_SEED, MAX_PROBLEMS_PER_CHECK, MAX_WORKBOOK_MB,
            REPORTS_DIR, REPORT_NOTEBOOKS, CELL_TIMEOUT, NOTEBOOK_TIMEOUT, SERVE_HOST, SERVE_PORT,
            SERVE_MAX_KERNELS, SERVE_CULL_TIMEOUT, REDRAW_DELAY, CHROMIUM]


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file: an explicit path, then $PMO_DB, then data/pmo.duckdb."""
    return Path(path) if path else Path(str(DB_PATH.value()))


def described() -> str:
    """Every setting, its environment variable and default, for `pmo --help`."""
    width = max(len(s.env) for s in SETTINGS)
    lines = ["settings (environment variable, default: what it is for):"]
    lines += [f"  {s.env:<{width}}  {s.default!s}: {s.help}" for s in SETTINGS]
    return "\n".join(lines)
