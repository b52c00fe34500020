"""Tables as a director reads them (present/tables.py): formatted cells, readable headings, no index,
no True/False, no exponent, top N with the full list as CSV, implausible values marked."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from pmo_analytics.present import tables


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows if "<td" in row]


def _variance(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "project_id": [f"P-{i}" for i in range(1, n + 1)],
        "status": ["on_hold"] + ["active"] * (n - 1),
        "currency": ["GBP"] * n,
        "budget": [1_097_784.0] + [2_000_000.0] * (n - 1),
        "forecast": [1_200_000.0] + [np.nan] * (n - 1),
        "variance_pct": [9.31, -0.04] + [33767.0] * (n - 2),
        "cpi": [0.956789, 40.0] + [np.nan] * (n - 2),
        "over_budget": [True, False] + [False] * (n - 2),
        "forecast_finish": pd.to_datetime(["2027-04-30", None] + [None] * (n - 2)),
    })


def test_cells_are_written_for_a_director():
    html = tables.html_table(_variance())
    first, second, third = _cells(html)
    assert first == ["P-1", "on hold", "GBP", "£1,097,784", "£1,200,000", "+9.3%", "0.96", "yes", "2027-04-30"]
    assert second[3:8] == ["£2,000,000", "–", "0.0%", "⚠ 40.00", ""]  # -0.04% is 0.0%, never -0.0%
    assert third[5] == "⚠ +33,767.0%" and third[6] == "–"
    assert "e+0" not in html and "True" not in html and "False" not in html and "NaN" not in html
    headings = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)
    assert headings == ["Project", "Status", "Currency", "Budget", "Forecast", "Variance %", "CPI", "Over budget",
                        "Forecast finish"]


def test_implausible_cells_say_why():
    html = tables.html_table(_variance())
    assert "title='CPI above 5: outside the plausible range; check the export'" in html
    assert "title='Variance % above 500: outside the plausible range; check the export'" in html
    assert html.count(" flagged'") == 2


def test_ids_and_dates_never_wrap_text_does():
    html = tables.html_table(pd.DataFrame({"project_id": ["DFT_0001_1112-Q1"], "name": ["Crossrail"],
                                           "due_date": pd.to_datetime(["2023-03-31"])}))
    assert re.search(r"<td class='nowrap'>DFT_0001_1112-Q1</td><td class=''>Crossrail</td>"
                     r"<td class='nowrap'>2023-03-31</td>", html)


def test_a_report_table_shows_the_top_rows_and_carries_every_row_as_csv():
    frame = _variance(25)
    table = tables.ReportTable(frame, ["project_id", "budget", "over_budget"], top=20, csv="budget-variance",
                               order="largest overspend first")
    data, metadata = table._repr_mimebundle_()
    assert len(_cells(data["text/html"])) == 20
    assert "Top 20 of 25 projects, largest overspend first; all 25 in the CSV." in data["text/html"]
    assert "href='budget-variance'" in data["text/html"]
    assert metadata == {"text/csv": {"filename": "budget-variance"}}
    full = pd.read_csv(io.StringIO(data["text/csv"]))
    assert list(full.columns) == ["Project", "Budget", "Over budget"]
    assert len(full) == 25 and full["Budget"].iloc[0] == 1097784.0
    assert full["Over budget"].tolist()[:2] == ["yes", "no"]


def test_a_short_or_empty_report_table_says_so_in_words():
    one = tables.ReportTable(_variance(2).head(1), ["project_id"], noun="project")
    assert one.note() == "1 project"
    empty = tables.ReportTable(_variance(2).iloc[0:0], ["project_id"], noun="risk")
    assert empty._repr_html_() == "<p class='pmo-rt-note'>No risks in this snapshot.</p>"


def test_kpi_table_uses_each_kpis_unit_and_says_what_it_measures():
    latest = pd.DataFrame({
        "kpi": ["on_time", "spi", "quality"], "label": ["Milestones achieved on time", "Median SPI(t)", "Data quality"],
        "unit": ["%", "ratio", "score"], "value": [57.7, np.nan, 99.6], "target": [80.0, 0.95, 95.0],
        "rag": ["red", None, "green"], "trend": ["down", None, "flat"], "improving": [False, None, None],
        "n": [239, 0, 1], "n_missing": [0, 28, 0], "population": ["achieved milestones", "active projects", "loads"],
        "not_reported": ["", "progress not reported", ""],
    })
    html = tables.kpi_table(latest)._repr_html_()
    assert _cells(html) == [
        ["Milestones achieved on time", "57.7%", "80%", "red", "▼ worse", "239 achieved milestones"],
        ["Median SPI(t)", "n/a", "0.95", "not rated", "", "progress not reported (28 active projects)"],
        ["Data quality", "99.6", "95", "green", "▶ no change", "1 load"],
    ]
    assert "on_time" not in html and ">%<" not in html


def test_a_direction_reads_red_for_worse_and_green_for_better():
    frame = pd.DataFrame({"label": ["Median CPI", "Risk closure rate", "On-time rate"],
                          "direction": ["better", "worse", None]})
    html = tables.html_table(frame)
    assert "<td class='better'>better</td>" in html and "<td class='worse'>worse</td>" in html
    assert ".pmo-rt .worse{color:#c92a2a}" in html and ".pmo-rt .better{color:#2b8a3e}" in html
