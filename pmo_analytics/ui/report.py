"""The top of a report page: the snapshot line (month, data-quality score) as the dashboards show it,
so every page of the monthly pack says which snapshot its numbers are from."""
from __future__ import annotations

from IPython.display import HTML

from pmo_analytics.metrics.options import snapshot_header
from pmo_analytics.present import tiles
from pmo_analytics.store.connection import connect


def report_header(db, as_of) -> HTML:
    """"Snapshot 31 Oct 2026 · data quality 99.6/100 (3 warnings)" for month `as_of`."""
    with connect(db) as con:
        record = snapshot_header(con, as_of)
    if record is None:
        return HTML(tiles.snapshot_note(f"{as_of:%B %Y} is not loaded."))
    return HTML(tiles.STYLE + tiles.snapshot_line(record, loaded=False))
