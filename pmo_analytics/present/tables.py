"""Tables as a director reads them: readable headings, money with its currency and thousands, percent
with %, ratios to 2 places, dates, "yes" for a flag, no index, and IDs and dates that never wrap.

Every column the metrics return is declared once in COLUMNS (heading and kind); `html_table` is used
by the dashboards and `ReportTable` by the report pages, which shows the top rows and carries the full
list as CSV (the report writes it beside the page). A value outside definitions.PLAUSIBLE is marked.
"""
from __future__ import annotations

import csv
import html
import io

import pandas as pd

from pmo_analytics.definitions import PLAUSIBILITY_MARK, implausible
from pmo_analytics.present import format as fmt

_e = html.escape
CSV_MIME = "text/csv"

# column: (heading, kind). Kinds: id and date never wrap; text wraps; money (the row's currency, else
# the table's); pct (signed, already in %); share (a fraction shown in %); ratio (2 places); int;
# hours (1 place); month (Oct 2026); flag ("yes" or blank); kpi (the row's unit, as the KPI tiles);
# label and state (codes such as on_hold or likely_to_miss, in words).
COLUMNS: dict[str, tuple[str, str]] = {
    "project_id": ("Project", "id"), "name": ("Name", "text"), "project_name": ("Project name", "text"),
    "portfolio": ("Portfolio", "text"), "program": ("Programme", "text"), "department": ("Department", "text"),
    "status": ("Status", "label"), "rag": ("RAG", "label"), "currency": ("Currency", "id"),
    "budget": ("Budget", "money"), "forecast": ("Forecast", "money"), "committed": ("Committed", "money"),
    "consumed": ("Consumed", "money"), "variance": ("Variance", "money"), "variance_pct": ("Variance %", "pct"),
    "over_budget": ("Over budget", "flag"), "bac": ("Budget at completion", "money"), "pv": ("Planned value", "money"),
    "ev": ("Earned value", "money"), "ac": ("Actual cost", "money"), "cpi": ("CPI", "ratio"), "spi": ("SPI", "ratio"),
    "spi_t": ("SPI(t)", "ratio"), "eac": ("Estimate at completion", "money"), "eac_gap_pct": ("EAC vs forecast", "pct"),
    "vac": ("Variance at completion", "money"), "forecast_finish": ("Forecast finish", "date"),
    "actual_finish": ("Actual finish", "date"),
    "resource_id": ("Person", "id"), "team": ("Team", "text"), "start_week": ("From week", "date"),
    "end_week": ("To week", "date"), "weeks": ("Weeks", "int"), "peak_over_hours": ("Peak hours over", "hours"),
    "total_over_hours": ("Hours over capacity", "hours"), "projects": ("Projects", "text"),
    "risk_id": ("Risk", "id"), "title": ("Risk", "text"), "category": ("Category", "label"), "owner": ("Owner", "text"),
    "probability": ("Probability", "share"), "impact": ("Impact (1-5)", "int"), "impact_cost": ("Cost if it happens", "money"),
    "score": ("Score", "int"), "emv": ("Exposure (EMV)", "money"), "emv_before": ("Exposure before", "money"),
    "due_date": ("Due", "date"), "overdue": ("Overdue", "flag"), "raised_date": ("Raised", "date"),
    "closed_date": ("Closed", "date"), "status_before": ("Status before", "label"), "status_after": ("Status now", "label"),
    "milestones": ("Milestones", "int"), "achieved": ("Achieved", "int"), "achieved_on_time": ("On time", "int"),
    "on_time_rate": ("On-time rate", "share"), "missed": ("Missed", "int"), "likely_to_miss": ("Likely to miss", "int"),
    "mean_slip_days": ("Mean slip (days)", "int"), "max_slip_days": ("Largest slip (days)", "int"),
    "milestone_id": ("Milestone", "id"), "milestone_name": ("Milestone name", "text"),
    "baseline_date": ("Baseline", "date"), "forecast_before": ("Forecast before", "date"),
    "forecast_after": ("Forecast now", "date"), "slip_days": ("Slipped (days)", "int"),
    "total_slip_days": ("Slip to baseline (days)", "int"), "state": ("State", "state"),
    "as_of": ("Snapshot", "month"), "what": ("What changed", "label"), "old": ("Before", "text"), "new": ("After", "text"),
    "measure": ("Measure", "label"), "before": ("Before", "number"), "after": ("After", "number"),
    "change": ("Change", "number"), "change_pct": ("Change %", "pct"), "direction": ("Direction", "label"),
    "label": ("KPI", "text"), "value": ("Value", "kpi"), "target": ("Target", "kpi_target"),
    "coverage": ("Measured over", "text"), "trend": ("Since last month", "text"),
    "value_score": ("Value score", "number"), "to_spend": ("To spend after the snapshot", "money"),
    "plan": ("In this plan", "text"),
}
FORMAT_ONLY = frozenset({"unit"})  # read to write the row's values, not shown as a column
_NUMERIC = frozenset({"money", "pct", "share", "ratio", "int", "hours", "number", "kpi", "kpi_target"})
_NOWRAP = frozenset({"id", "date", "month", "money", "pct", "share", "ratio", "int", "hours", "number"})
STATE_TEXT = {"achieved_on_time": "achieved on time", "achieved_late": "achieved late", "missed": "missed",
              "likely_to_miss": "likely to miss", "on_track": "on track"}
STYLE = ("<style>.pmo-rt{border-collapse:collapse;font-size:12px;margin:4px 0}"
         ".pmo-rt th{background:#f1f3f5;text-align:left;padding:3px 8px;border-bottom:2px solid #ced4da}"
         ".pmo-rt td{padding:3px 8px;border-bottom:1px solid #e9ecef;text-align:left !important;vertical-align:top}"
         ".pmo-rt th{text-align:left !important}.pmo-rt .num{text-align:right !important}"
         ".pmo-rt .nowrap{white-space:nowrap}"
         ".pmo-rt .flagged{color:#c92a2a}.pmo-rt .worse{color:#c92a2a}.pmo-rt .better{color:#2b8a3e}"
         ".pmo-rt-note{color:#868e96;font-size:12px;margin:2px 0 12px}"
         "</style>")


def heading(column: str) -> str:
    """A column's heading ("variance_pct" -> "Variance %"); an unknown column reads with spaces."""
    return COLUMNS.get(column, (column.replace("_", " ").capitalize(), "text"))[0]


def kind(column: str, values: pd.Series | None = None) -> str:
    """How a column's cells are written: its declared kind, else guessed from the values' type."""
    if column in COLUMNS:
        return COLUMNS[column][1]
    if values is not None:
        if pd.api.types.is_bool_dtype(values):
            return "flag"
        if pd.api.types.is_datetime64_any_dtype(values):
            return "date"
        if pd.api.types.is_numeric_dtype(values):
            return "number"
    return "text"


def cell(value, how: str, currency: str | None = None, unit: str | None = None) -> str:
    """One cell as text: "£1,234,567", "+16.7%", "25.0%", "0.96", "2026-10-31", "yes"; missing "–"."""
    if how == "flag":
        return "" if fmt.is_missing(value) or not bool(value) else "yes"
    if how == "kpi":
        return fmt.kpi_value(value, unit or "")
    if how == "kpi_target":
        return fmt.kpi_target(value, unit or "")
    if not isinstance(value, (list, tuple)) and fmt.is_missing(value):
        return fmt.MISSING
    if isinstance(value, str) and how in _NUMERIC:  # already text (the drift table's before and after)
        return value
    if how == "money":
        return fmt.money(value, currency, full=True)
    if how == "pct":
        return fmt.percent(value, signed=True)
    if how == "share":
        return fmt.percent(float(value) * 100)
    if how == "ratio":
        return fmt.no_negative_zero(f"{float(value):.2f}")
    if how in ("int", "hours", "number"):
        return _number(value, 1 if how == "hours" else None)
    if how == "date":
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    if how == "month":
        return f"{pd.Timestamp(value):%b %Y}"
    if how == "state":
        return STATE_TEXT.get(str(value), str(value).replace("_", " "))
    if how == "label":  # a code from the exports or the metrics: on_hold reads "on hold"
        return str(value).replace("_", " ")
    return str(value)


def _number(value, decimals: int | None) -> str:
    if isinstance(value, str):
        return value
    number = float(value)
    if decimals is None:
        decimals = 0 if number.is_integer() or abs(number) >= 100 else 2
    return fmt.no_negative_zero(f"{number:,.{decimals}f}")


def shown_columns(df: pd.DataFrame) -> list[str]:
    """The columns a table shows: all but those only read to format the others (a KPI's unit)."""
    return [c for c in df.columns if c not in FORMAT_ONLY]


def _cells(df: pd.DataFrame, currency: str | None, kinds: dict | None = None) -> list[list[tuple[str, str, str]]]:
    """(text, css class, title) per cell; implausible values marked, their reason in the title."""
    kinds = {c: kind(c, df[c]) for c in df.columns} | (kinds or {})
    currencies = df["currency"] if "currency" in df.columns else None
    units = df["unit"] if "unit" in df.columns else None
    rows = []
    for i in range(len(df)):
        row_currency = currencies.iloc[i] if currencies is not None and isinstance(currencies.iloc[i], str) else currency
        unit = units.iloc[i] if units is not None else None
        out = []
        for c in shown_columns(df):
            value, how = df[c].iloc[i], kinds[c]
            text = cell(value, how, row_currency, unit)
            css = " ".join(x for x in ("num" if how in _NUMERIC else "", "nowrap" if how in _NOWRAP else "",
                                       value if c == "direction" and value in ("better", "worse") else "") if x)
            why = implausible(c, value) if how in ("pct", "ratio") else None
            if why:
                text, css = f"{PLAUSIBILITY_MARK} {text}", f"{css} flagged".strip()
                why = f"{heading(c)} {why}: outside the plausible range; check the export"
            out.append((text, css, why or ""))
        rows.append(out)
    return rows


def html_table(df: pd.DataFrame, max_rows: int = 25, currency: str | None = None, kinds: dict | None = None) -> str:
    """The frame as an HTML table with readable headings and formatted cells, every text escaped; a
    longer table is cut at max_rows with a line saying so. `kinds` overrides a column's kind (the
    drift table's before/after are money for the forecast, dates for the finish)."""
    kinds = kinds or {}
    if df is None or df.empty:
        return f"<p><i>{_e(fmt.NO_DATA)}</i></p>"
    shown = df.head(max_rows)
    head = "".join(f"<th class='{'num' if kinds.get(c, kind(c, shown[c])) in _NUMERIC else ''}'>{_e(heading(c))}</th>"
                   for c in shown_columns(shown))
    body = "".join("<tr>" + "".join(
        f"<td class='{css}'" + (f" title='{_e(why)}'" if why else "") + f">{_e(text)}</td>"
        for text, css, why in row) + "</tr>" for row in _cells(shown, currency, kinds))
    note = (f"<p class='pmo-rt-note'>{len(shown):,} of {fmt.plural(len(df), 'row')} shown</p>"
            if len(df) > len(shown) else "")
    return (f"{STYLE}<div style='max-height:480px;overflow:auto'><table class='pmo-rt'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}")


def to_csv(df: pd.DataFrame) -> str:
    """The full frame as CSV with the tables' headings: numbers unformatted, dates ISO, flags yes/no."""
    out = df.copy()
    for c in out.columns:
        if kind(c, out[c]) == "flag":
            out[c] = out[c].map(lambda v: "" if fmt.is_missing(v) else "yes" if v else "no")
    out.columns = [heading(c) for c in out.columns]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, date_format="%Y-%m-%d")
    return buffer.getvalue()


class ReportTable:
    """A table on a report page: the first `top` rows of `df` (already in the order its note states),
    and the full list as CSV, which the report writes beside the page as `csv` and links to."""

    def __init__(self, df: pd.DataFrame, columns: list[str] | None = None, *, top: int = 20,
                 csv: str | None = None, noun: str = "project", order: str = "", currency: str | None = None,
                 kinds: dict[str, str] | None = None):
        self.frame = (df if columns is None else df[[c for c in columns if c in df.columns]]).reset_index(drop=True)
        self.top, self.csv, self.noun, self.order, self.currency = top, csv, noun, order, currency
        self.kinds = kinds or {}

    def note(self) -> str:
        """"Top 20 of 244 projects, largest variance first; all 244 in budget-variance.csv"."""
        n = len(self.frame)
        if n <= self.top:
            text = fmt.plural(n, self.noun) + (f", {self.order}" if self.order else "")
        else:
            text = f"Top {self.top} of {fmt.plural(n, self.noun)}" + (f", {self.order}" if self.order else "")
            if self.csv:
                text += f"; all {n:,} in the CSV"
        return text

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f"<p class='pmo-rt-note'>{_e(fmt.plural(0, self.noun).replace('0 ', 'No ', 1))} in this snapshot.</p>"
        table = html_table(self.frame, self.top, self.currency, self.kinds).replace(" style='max-height:480px;overflow:auto'", "")
        table = table.split("<p class='pmo-rt-note'>")[0]  # ReportTable says what is shown itself
        link = f" <a href='{_e(self.csv)}' download>Download as CSV</a>" if self.csv else ""
        return f"{table}<p class='pmo-rt-note'>{_e(self.note())}.{link}</p>"

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"text/html": self._repr_html_(), "text/plain": self.note()}
        metadata = {}
        if self.csv and not self.frame.empty:
            data[CSV_MIME] = to_csv(self.frame)
            metadata[CSV_MIME] = {"filename": self.csv}
        return data, metadata


def kpi_coverage(row) -> str:
    """What a KPI tile says in place of its target when the value is not measured, or is measured over
    only part of its population: "progress not reported (244 active projects)", "no achieved
    milestones in this snapshot", "12 of 15 active projects: progress not reported for 3". Empty when
    every item was measured."""
    n, missing = int(row.n), int(row.n_missing)
    if fmt.is_missing(row.value):
        if missing:
            return f"{row.not_reported} ({missing:,} {row.population})"
        return f"no {row.population} in this snapshot"
    if missing:
        return f"{n:,} of {n + missing:,} {row.population}: {row.not_reported} for {missing:,}"
    return ""


def _measured_over(n, population: str) -> str:
    """"28 active projects", "1 load": what a KPI measured over all of its population is measured over."""
    n = int(n)
    return f"{n:,} {population[:-1] if n == 1 and population.endswith('s') else population}"


def kpi_table(latest: pd.DataFrame) -> ReportTable:
    """The KPIs of one snapshot as a director reads them: label, value and target in the KPI's unit,
    rating, direction of travel and what the value is measured over (no raw keys, no True/False)."""
    rows = pd.DataFrame({
        "label": latest["label"], "unit": latest["unit"], "value": latest["value"], "target": latest["target"],
        "rag": latest["rag"].map(lambda r: r if isinstance(r, str) else "not rated"),
        "trend": [fmt.trend_text(t, i) for t, i in zip(latest["trend"], latest["improving"], strict=True)],
        "coverage": [kpi_coverage(r) or _measured_over(r.n, r.population) for r in latest.itertuples()],
    })
    return ReportTable(rows, top=len(rows) or 1, csv="kpis.csv", noun="KPI")


__all__ = ["COLUMNS", "CSV_MIME", "ReportTable", "cell", "heading", "html_table", "kind", "kpi_coverage", "kpi_table",
           "shown_columns", "to_csv"]
