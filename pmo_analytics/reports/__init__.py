"""The monthly cycle: load a month, re-run the report notebooks, publish the HTML pack `reports/YYYY-MM/`:

    index.html      the headline numbers and the snapshot's data-quality score, linking every report
    NN_name.html    each notebook without code: figures (PNG) and tables, no widgets
    NN_name.ipynb   each executed notebook, for analysts

cycle (run_month, build_report), runner (one notebook per process), render (notebook -> HTML),
index (the front page), pack (the manifest and what may be replaced), signals (stopping cleanly).
Re-running a month over the same data gives the same bytes apart from index.html's <time> elements
and its manifest (index.strip_volatile); the executed notebooks differ only in papermill's timings.
"""
from pmo_analytics.reports.cycle import build_report, run_month

__all__ = ["build_report", "run_month"]
