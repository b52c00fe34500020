"""HTML for the dashboards and views: tables, headline and KPI tiles, the snapshot line and messages.

Each function takes a DataFrame (or plain values) and returns an HTML string; every text that comes
from the data is escaped. Numbers are written with the rules of present/format.py.
"""
from __future__ import annotations

import html

import pandas as pd

from pmo_analytics.present import format as fmt
from pmo_analytics.present import tables
from pmo_analytics.present.tables import kpi_coverage

_e = html.escape
STYLE = f"""<style>
.pmo-tiles{{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 10px}}
.pmo-tile{{flex:1 1 150px;border-radius:6px;padding:10px 12px;background:#f8f9fa;border-left:5px solid {fmt.NO_RAG}}}
.pmo-tile .label{{font-size:12px;color:#495057}}.pmo-tile .value{{font-size:22px;font-weight:600;color:#212529}}
.pmo-tile .note{{font-size:11px;color:#868e96}}
.pmo-tile.red{{border-left-color:{fmt.RAG['red']}}}.pmo-tile.amber{{border-left-color:{fmt.RAG['amber']}}}.pmo-tile.green{{border-left-color:{fmt.RAG['green']}}}
.pmo-snapshot{{font-size:13px;color:#343a40;margin:2px 0 8px}}
</style>"""


# ------------------------------------------------------------------------------ tables
def html_table(df: pd.DataFrame, max_rows: int = 25) -> str:
    """The frame as an HTML table with readable headings and formatted cells (present/tables.py), every
    header and cell escaped; long tables are cut at max_rows."""
    return tables.html_table(df, max_rows)


def titled_table(label: str, df: pd.DataFrame, max_rows: int = 10) -> str:
    """A small heading with the row count ("Risks raised: 3") over the table."""
    return f"<h4 style='margin:10px 0 4px'>{_e(label)}: {len(df)}</h4>" + html_table(df, max_rows)


# ------------------------------------------------------------------------------ tiles
def tile(key: str, label: str, value: str, note: str = "", rag: str = "") -> str:
    """One headline tile; `data-key` lets a browser test find it, `rag` colours its left bar."""
    return (f"<div class='pmo-tile {_e(rag or '')}' data-key='{_e(str(key))}'><div class='label'>{_e(label)}</div>"
            f"<div class='value'>{_e(value)}</div><div class='note'>{_e(note)}</div></div>")


def headline_tiles(h: pd.Series) -> str:
    """The overview's tiles from a `headline` row; the variance tile takes format.variance_rag."""
    cur = h["currency"]
    rag = (f"{h['rag_green']} G · {h['rag_amber_green']} AG · {h['rag_amber']} A · "
           f"{h['rag_amber_red']} AR · {h['rag_red']} R")
    return "<div class='pmo-tiles'>" + "".join([
        tile("budget", "Total budget", fmt.money(h["budget"], cur), f"{h['projects']} projects"),
        tile("forecast", "Forecast", fmt.money(h["forecast"], cur), f"{h['over_budget']} projects over budget"),
        tile("consumed", "Consumed", fmt.money(h["consumed"], cur), f"committed {fmt.money(h['committed'], cur)}"),
        tile("variance", "Variance", fmt.money(h["variance"], cur),
             f"{fmt.percent(h['variance_pct'], signed=True)} of budget", fmt.variance_rag(h["variance_pct"]) or ""),
        tile("rag", "Projects by RAG", f"{h['rag_red'] + h['rag_amber_red']} red", rag,
             "red" if h["rag_red"] else "amber" if h["rag_amber_red"] else "green"),
        tile("exposure", "Risk exposure (EMV)", "–", "no risk register in these exports") if pd.isna(h["risk_emv"])
        else tile("exposure", "Risk exposure (EMV)", fmt.money(h["risk_emv"], cur), f"{h['active_risks']} active risks"),
    ]) + "</div>"


def kpi_tiles(table: pd.DataFrame) -> str:
    """The improvement KPIs of one snapshot as tiles: value, RAG, target and direction of travel.

    HTML rather than a figure: the overview redraws on every filter change and text is instant.
    """
    tiles = []
    for row in table.itertuples():
        note = f"target {fmt.kpi_target(row.target, row.unit)} {fmt.trend_text(row.trend, row.improving)}"
        coverage = kpi_coverage(row) if hasattr(row, "n_missing") else ""
        if coverage:
            note = coverage if fmt.is_missing(row.value) else f"{note.strip()} · {coverage}"
        tiles.append(tile(row.kpi, row.label, fmt.kpi_value(row.value, row.unit), note.strip(),
                          row.rag if isinstance(row.rag, str) else ""))
    return "<div class='pmo-tiles'>" + "".join(tiles) + "</div>"


# ------------------------------------------------------------------------------ lines and messages
def snapshot_line(record: dict, loaded: bool = True) -> str:
    """'Snapshot 31 Oct 2026 · data quality 99.6/100 (3 warnings) · loaded ...' from a loads record
    (a report page leaves the load time out: re-running a month gives the same page)."""
    when = f" · loaded {record['loaded_at']:%d %b %Y %H:%M}" if loaded else ""
    return (f"<div class='pmo-snapshot' data-key='snapshot'>Snapshot <b>{record['as_of']:%d %b %Y}</b> · "
            f"data quality <b data-key='quality'>{record['quality_score']:.1f}/100</b> "
            f"({_e(fmt.plural(record['warnings'], 'warning'))}){when}</div>")


def snapshot_note(text: str) -> str:
    """The snapshot line's place when there is no snapshot to describe."""
    return f"<div class='pmo-snapshot'>{_e(text)}</div>"


def message(text: str) -> str:
    """A view's one-line message in place of its figures (an error, nothing to compare with)."""
    return ("<div style='padding:12px;background:#fff9db;border-left:4px solid #f59f00'>"
            f"{_e(text)}</div>")


def progress_not_reported(projects: int) -> str:
    """The one line in place of the CPI/SPI(t) quadrant when no project of the selection reported
    progress (UK GMPP and the US IT Dashboard report none): missing, never 0% complete."""
    return message(f"Progress is not reported for any of the {projects:,} projects with budget lines: no earned "
                   "value, so no CPI or SPI(t) to show (missing, not 0).")


def status_note(text: str) -> str:
    """A warning under the filter bar (no database yet, no snapshot for the month asked for)."""
    return f"<span style='color:#e8590c'>{_e(text)}</span>"


def view_header(title: str, question: str) -> str:
    """A view's title and the question it answers."""
    return (f"<h3 style='margin:4px 0'>{_e(title)}</h3>"
            f"<p style='margin:0 0 6px;color:#495057'>{_e(question)}</p>")


def page_title(title: str) -> str:
    """A dashboard's title."""
    return f"<h2 style='margin:0'>{_e(title)}</h2>"


__all__ = [
    "STYLE", "headline_tiles", "html_table", "kpi_coverage", "kpi_tiles", "message", "page_title",
    "snapshot_line", "snapshot_note", "status_note", "tile", "titled_table", "view_header",
]


def forecast_tiles(portfolio: pd.Series, run: pd.Series, currency: str | None = None) -> str:
    """The risk-adjusted forecast of the projects still to finish (issue 16): cost P50 / P80 / P90
    against their budget and point EAC, the chance of staying within budget, the contingency the P80
    asks for, and the share of projects likely to finish by their baseline."""
    bac, eac = portfolio["bac"], portfolio["eac"]
    chance = portfolio["prob_within_budget"]
    stale = " · stale: the snapshot was loaded again since" if bool(run.get("stale")) else ""
    note = (f"{int(portfolio['projects'])} projects to finish, {int(run['draws']):,} draws, seed {int(run['seed'])}"
            f"{stale}")
    return "<div class='pmo-tiles'>" + "".join([
        tile("cost_p50", "Cost at completion, P50 (with risks)", fmt.money(portfolio["cost_p50"], currency),
             f"budget {fmt.money(bac, currency)} · EAC {fmt.money(eac, currency)}"),
        tile("cost_p80", "Cost at completion, P80", fmt.money(portfolio["cost_p80"], currency),
             f"P90 {fmt.money(portfolio['cost_p90'], currency)}"),
        tile("prob_within_budget", "Chance within budget", fmt.chance(chance),
             "of the projects to finish", "red" if chance < 0.5 else "amber" if chance < 0.8 else "green"),
        tile("contingency_p80", "Contingency for P80", fmt.money(portfolio["contingency_p80"], currency),
             "P80 less the point EAC"),
        tile("share_by_baseline", "Likely by baseline finish", fmt.percent(100 * portfolio["share_by_baseline_p80"]),
             "of projects, in 80% of draws"),
    ]) + f"</div><div class='pmo-snapshot'>{_e(note)}</div>"
