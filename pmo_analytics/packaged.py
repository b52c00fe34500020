"""Where the files shipped inside the package are: notebooks, dashboards, the Voila settings and
template, import profiles, KPI targets. Found through importlib.resources, so an installed wheel
serves, reports and runs a month from wherever it is installed, not from a checkout."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def _here(*parts: str) -> Path:
    return Path(str(resources.files("pmo_analytics").joinpath(*parts)))


NOTEBOOKS = _here("notebooks")            # the analysts' notebooks (the checkout links notebooks/ here)
DASHBOARDS = _here("notebooks", "dashboards")  # the only folder Voila serves
SERVE = _here("serve")                    # voila.json: Voila's settings, read from its working directory
JUPYTER_PATH = _here("serve", "jupyter")  # holds voila/templates/pmo, the template voila.json names
PROFILES = _here("ingest", "profiles")    # the shipped import profiles (*.toml)
KPIS = _here("metrics", "kpis.toml")      # the improvement KPIs' targets and RAG bands
