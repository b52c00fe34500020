"""Saves each notebook's main figures as PNG under docs/, from the demo portfolio.

    .venv/bin/python scripts/screenshots.py                 # builds the demo database in a temp folder
    .venv/bin/python scripts/screenshots.py --db data/pmo.duckdb --month 2026-10 --out docs
    .venv/bin/python scripts/screenshots.py --refresh-notebooks   # also re-record the notebooks' checks

The figures are the ones the notebooks show first (the same metrics calls and figure functions), so the
README's pictures are what an analyst sees.

--refresh-notebooks re-runs notebooks/0*.ipynb on the demo portfolio and stores the output of the cells
marked `# NBVAL_CHECK_OUTPUT` in tests/data/notebook_outputs.json (the reference tests/test_notebooks.py
compares with); the notebooks themselves stay committed without outputs. Use it when a metric's
definition changes on purpose, and review the diff of the printed numbers.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pmo_analytics
from pmo_analytics import metrics
from pmo_analytics.demo.sample import write_sample
from pmo_analytics.metrics import changes as drift_metrics
from pmo_analytics.metrics import improvement as kpi_metrics
from pmo_analytics.metrics import scope as filters
from pmo_analytics.present import figures
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.ui import views as widgets


def build_demo(folder: Path) -> Path:
    """The demo portfolio (60 projects, 12 monthly snapshots, seed 7) loaded into folder/pmo.duckdb."""
    database = folder / "pmo.duckdb"
    for as_of, month in write_sample(folder / "sample", projects=60, months=12, seed=7, history=True):
        snapshots.load([month], as_of, database=database)
    return database


def main_figures(db: Path, month=None) -> dict[str, plt.Figure]:
    """name -> figure, for every notebook's main figures."""
    with pmo_analytics.connect(db) as con:
        as_of = filters.resolve_as_of(con, month)
        currency = widgets.snapshot_currency(con, as_of)
        variance = metrics.budget_variance(con, as_of=as_of)
        curve = metrics.budget_curve(con, as_of=as_of)
        evm = metrics.evm(con, as_of=as_of)
        series = metrics.evm_series(con, as_of=as_of)
        load = metrics.resource_load(con, by="team", as_of=as_of)
        matrix = metrics.risk_matrix(con, as_of=as_of)
        exposure = metrics.exposure_trend(con, by="portfolio", period_to=as_of)
        slippage = metrics.milestone_slippage(con, as_of=as_of)
        worst = (slippage[slippage["state"].isin(["missed", "likely_to_miss"])]
                 .sort_values(["slip_days", "project_id"], ascending=[False, True]).head(8))
        mta = metrics.milestone_trend(con, project_ids=sorted(worst["project_id"].unique()), period_to=as_of)
        mta = mta.merge(worst[["project_id", "milestone_id"]])
        kpis = kpi_metrics.kpis(con, as_of=as_of)
        changes = drift_metrics.drift(con, as_of=as_of)
        history = metrics.performance_history(con, period_to=as_of)
        baselines = metrics.baseline_slip(con, as_of=as_of)
    return {
        "budget_variance": figures.budget_variance_chart(variance),
        "budget_s_curve": figures.budget_s_curve(curve, currency=currency, as_of=as_of.replace(day=1)),
        "cpi_spi_quadrant": figures.cpi_spi_quadrant(evm, schedule="spi_t"),
        "evm_s_curve": figures.evm_s_curve(series, currency=currency),
        "performance_trend": figures.performance_trend(history),
        "baseline_slip": figures.baseline_slip_chart(baselines),
        "resource_load": figures.resource_heatmap(load, by="team", as_of=as_of),
        "risk_matrix": figures.risk_matrix_chart(matrix),
        "exposure_trend": figures.exposure_trend_chart(exposure, currency=currency),
        "milestone_trend": figures.milestone_trend_chart(
            mta, title="Milestone trend analysis: the 8 most slipped open milestones"),
        "kpi_tiles": figures.kpi_tiles(kpis),
        "what_changed": figures.drift_chart(
            changes, measure="forecast", currency=currency,
            title=f"What changed since {changes['previous'].iloc[0]:%B %Y}" if len(changes)
            else "What changed since the previous snapshot"),
    }


def refresh_notebooks(db: Path, exports: Path) -> None:
    """Re-runs the notebooks on `db` and records the checked cells' text output (see the docstring)."""
    import json

    import nbformat
    from nbclient import NotebookClient

    os.environ["PMO_DB"], os.environ["PMO_EXPORTS"] = str(db), str(exports)
    reference = {}
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        book = nbformat.read(path, as_version=4)
        NotebookClient(book, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        checked = [c for c in book.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
        reference[path.stem] = "".join(o.get("text", "") for c in checked for o in c.outputs
                                       if o.output_type == "stream")
        print(f"recorded {path.relative_to(ROOT)}")
    target = ROOT / "tests" / "data" / "notebook_outputs.json"
    target.write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database to read (default: build the demo in a temp folder)")
    parser.add_argument("--month", help="snapshot month YYYY-MM (default: the latest)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="folder for the PNG files (default: docs/)")
    parser.add_argument("--refresh-notebooks", action="store_true",
                        help="re-record the notebooks' NBVAL_CHECK_OUTPUT cells on the demo portfolio")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else build_demo(Path(tmp))
        for name, fig in main_figures(db, args.month).items():
            path = out / f"{name}.png"
            fig.savefig(path, dpi=100, bbox_inches="tight", facecolor="white")
            plt.close(fig)
            print(f"wrote {path}")
        if args.refresh_notebooks:
            if args.db:
                parser.error("--refresh-notebooks records the demo portfolio: leave out --db")
            exports = Path(tmp) / "exports"
            write_sample(exports, projects=60, months=12, seed=7)  # the demo's latest month, flat
            refresh_notebooks(db, exports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
