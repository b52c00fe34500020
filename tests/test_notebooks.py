"""The notebooks run from top to bottom on the demo portfolio and print its key numbers (nbval).

`pytest --nbval-lax` executes every cell and compares only the cells marked `# NBVAL_CHECK_OUTPUT`.
The notebooks are committed without outputs; the expected output of those cells (the demo portfolio's
key numbers: seed 7, 60 projects, 12 months) is kept in tests/data/notebook_outputs.json and put into
copies of the notebooks before nbval runs them. It runs in a subprocess with PMO_DB pointing at the
demo database and PMO_EXPORTS at a sample folder written here: nothing needs data/ in the repository.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_analytics import packaged
from pmo_analytics.demo.sample import write_sample

NOTEBOOKS = packaged.NOTEBOOKS
EXPECTED = ["01_load_exports", "02_budget_variance", "03_resource_load", "04_risks", "05_milestones",
            "06_improvement_kpis", "07_month_over_month", "08_arbitration", "09_forecasts", "10_schedule_health"]


def notebook(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", EXPECTED)
def test_notebooks_are_committed_thin_and_parameterised(name):
    book = notebook(name)
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    parameters = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1
    assert "month = None" in "".join(parameters[0]["source"]) or name == "01_load_exports"
    assert "db = None" in "".join(parameters[0]["source"])
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None  # committed without outputs
    assert sum("NBVAL_CHECK_OUTPUT" in "".join(c["source"]) for c in code) == 1
    assert REFERENCE[name].strip()


REFERENCE = json.loads((Path(__file__).parent / "data" / "notebook_outputs.json").read_text(encoding="utf-8"))


def _with_reference(name: str, target: Path) -> None:
    """A copy of the notebook whose checked cell holds the reference output (nbval compares with it;
    it only compares cells that have an execution count)."""
    book = notebook(name)
    for cell in book["cells"]:
        if cell["cell_type"] == "code" and "NBVAL_CHECK_OUTPUT" in "".join(cell["source"]):
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": REFERENCE[name]}]
            cell["execution_count"] = 1
    (target / f"{name}.ipynb").write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")


def test_notebooks_run_on_the_demo_portfolio(demo_db, tmp_path):
    exports = tmp_path / "exports"
    write_sample(exports, projects=60, months=12, seed=7)  # the demo's latest month, flat
    env = {**os.environ, "PMO_DB": str(demo_db), "PMO_EXPORTS": str(exports)}
    env.pop("MPLBACKEND", None)
    # Two nbval processes, each running every other notebook, one kernel at a time: the notebooks
    # only read the database, and a kernel's start and run keep one core busy, so both cores work.
    procs = []
    for half in (EXPECTED[0::2], EXPECTED[1::2]):
        workdir = tmp_path / f"notebooks-{half[0]}"
        workdir.mkdir()
        for name in half:
            _with_reference(name, workdir)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
             "-v", "--rootdir", str(workdir), str(workdir)],
            cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        reports = [proc.communicate(timeout=300)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    report = "\n".join(reports)
    assert [proc.returncode for proc in procs] == [0, 0], report[-6000:]
    outcomes: dict[str, set[str]] = {}
    for book, outcome in re.findall(r"(\w+)(?:\.|::)ipynb::Cell \d+ (PASSED|FAILED|ERROR|SKIPPED)", report):
        outcomes.setdefault(book, set()).add(outcome)
    passed = sorted(b for b, seen in outcomes.items() if seen == {"PASSED"})
    assert passed == EXPECTED, report[-6000:]
    assert len(passed) == 10


def test_schedule_health_notebook_on_real_schedules(tmp_path):
    """Notebook 10 on a month holding two real schedules: each one's checks, as pmo check counts them
    (legacy_sample.xml: 3 of 10 applicable pass; mpp14baseline.mpp: 8 of 10, see the README)."""
    import datetime as dt

    from pmo_analytics import snapshots
    from pmo_analytics.reports.runner import Runner

    real = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "mpxj-schedule-exports"
    db = tmp_path / "schedules.duckdb"
    snapshots.load([real / "legacy_sample.xml", real / "mpp14baseline.mpp"], "2026-10", database=db)
    nb = Runner(dt.date(2026, 10, 31), db, tmp_path, tmp_path / "2026-10").run(NOTEBOOKS / "10_schedule_health.ipynb")
    printed = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", [])
                      if o.get("output_type") == "stream")
    assert "schedules: 2" in printed
    assert "LEGACY_SAMPLE: 3 of 10 checks passed" in printed and "MPP14BASELINE: 8 of 10 checks passed" in printed
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []


def test_month_over_month_on_the_first_snapshot_says_there_is_nothing_to_compare(demo_db, tmp_path):
    """The first month loaded has no previous snapshot: the notebook says so instead of failing."""
    import datetime as dt

    from pmo_analytics.reports.runner import Runner

    # Run as the monthly pack runs a notebook (its own process, with the nbclient wake-up workaround:
    # papermill in this process now and then waits on a reply already sent until the cell timeout).
    nb = Runner(dt.date(2025, 11, 30), demo_db, tmp_path, tmp_path / "2025-11").run(
        NOTEBOOKS / "07_month_over_month.ipynb")
    printed = "".join("".join(o["text"]) for c in nb["cells"] for o in c.get("outputs", [])
                      if o.get("output_type") == "stream")
    shown = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "November 2025 is the first snapshot loaded: there is nothing to compare it with yet." in shown
    assert "snapshot: 2025-11, the first" in printed and "risks raised: 0, closed: 0" in printed
