"""The DCMA 14-point check in words and figures (issue 17): the strip's colours and labels, the portfolio's
scores, `pmo check`'s aligned lines, the table and the finding sentence, from a dcma() result written
out by hand (every count, share and limit below is worked out in its comment)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import datetime as dt
import re

import numpy as np
import pandas as pd

from pmo_analytics.present import schedule_health as words
from pmo_analytics.present import tables
from pmo_analytics.present.figures import Note
from pmo_analytics.present.figures.schedule_health import NO_CHECK, NO_SCORES, dcma_chart, health_scores_chart
from figurekit import by_gid, close_figures, same_color  # noqa: F401 - close_figures is an autouse fixture

NA = pd.NA
GREEN, RED, GREY = "#2f9e44", "#e03131", "#adb5bd"
COLUMNS = ["number", "check", "measure", "count", "total", "value", "threshold", "passed", "offenders", "note"]
CPLI_NOTE = "CPL 50 working days to 2026-12-31, TF -5 to the baseline 2026-12-24"

# number, check, count, total, value, threshold, passed, offenders, note
CHECKS = [
    (1, "Logic", 3, 40, 3 / 40, "≤ 5%", False, ["A1", "A2", "A3"], ""),            # 7.5% > 5%
    (2, "Leads", 0, 50, 0.0, "= 0", True, [], "0 of 50 relationships"),
    (3, "Lags", 2, 50, 2 / 50, "≤ 5%", True, ["L1", "L2"], "2 of 50 relationships"),  # 4.0%
    (4, "Relationship types", 4, 50, 46 / 50, "≥ 90%", True, ["R1", "R2", "R3", "R4"],
     "46 of 50 relationships finish-to-start"),                                      # FS share 92.0%
    (5, "Hard constraints", 1, 40, 1 / 40, "≤ 5%", True, ["H1"], ""),               # 2.5%
    (6, "High float", 8, 40, 8 / 40, "≤ 5%", False, [f"F{i}" for i in range(1, 9)], ""),  # 20.0%
    (7, "Negative float", 0, 40, 0.0, "= 0", True, [], ""),
    (8, "High duration", 1, 32, 1 / 32, "≤ 5%", True, ["X1"], ""),                   # 3.125% -> 3.1%
    (9, "Invalid dates", 2, 45, 2 / 45, "= 0", False, ["D1", "D2"],
     "2 forecast before, 0 actual after the status date"),                          # 4.444% -> 4.4%
    (10, "Resources", NA, NA, np.nan, "= 0%", NA, [], "not resource-loaded"),
    (11, "Missed tasks", 1, 10, 1 / 10, "≤ 5%", False, ["M1"], ""),                 # 10.0%
    (12, "Critical path test", 0, 1, 1.0, "pass", True, [], "moved the finish by 600"),  # 600 of 600 days
    (13, "CPLI", NA, NA, 0.9, "≥ 0.95", False, [], CPLI_NOTE),                        # (50 - 5) / 50 = 0.90
    (14, "BEI", NA, NA, np.nan, "≥ 0.95", NA, [], "no baseline"),
]
# passed: 2, 3, 4, 5, 7, 8, 12 = 7; failed: 1, 6, 9, 11, 13 = 5; applicable 12; n/a: 10, 14


def result(rows=CHECKS) -> pd.DataFrame:
    """A dcma() result of the interface's shape, with a short measure per check."""
    frame = pd.DataFrame([{"number": n, "check": c, "measure": f"what check {n} counts", "count": k, "total": t,
                           "value": v, "threshold": th, "passed": p, "offenders": o, "note": note}
                          for n, c, k, t, v, th, p, o, note in rows], columns=COLUMNS)
    return frame.astype({"count": "Int64", "total": "Int64", "value": float, "passed": "boolean"})


def top_down(ax) -> list[str]:
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    return [label for _, label in ticks][::-1] if ax.yaxis_inverted() else [label for _, label in ticks]


def texts(ax, gid: str) -> list[str]:
    """The texts with `gid`, top row first (the axis is inverted: smallest y on top)."""
    return [t.get_text() for t in sorted(by_gid(ax, gid), key=lambda t: t.get_position()[1])]


# ------------------------------------------------------------------------------ the strip
def test_the_strip_colours_each_check_by_pass_fail_or_not_applicable():
    ax = dcma_chart(result()).axes[0]
    colours = {n: by_gid(ax, f"check:{n}")[0].get_facecolor() for n in range(1, 15)}
    for n in (2, 3, 4, 5, 7, 8, 12):
        assert same_color(colours[n], GREEN), n
    for n in (1, 6, 9, 11, 13):
        assert same_color(colours[n], RED), n
    for n in (10, 14):
        assert same_color(colours[n], GREY), n
    assert texts(ax, "status") == ["FAIL", "PASS", "PASS", "PASS", "PASS", "FAIL", "PASS", "PASS", "FAIL", "n/a",
                                   "FAIL", "PASS", "FAIL", "n/a"]


def test_the_strip_writes_the_measured_value_against_its_limit_beside_each_check():
    fig = dcma_chart(result(), title="PRJ-007: DCMA 14-point schedule check")
    ax = fig.axes[0]
    labels = texts(ax, "label")
    assert labels[0] == "3 of 40 (7.5%) - limit ≤ 5%"
    assert labels[3] == "46 of 50 (92.0%) - limit ≥ 90%"        # check 4 counts the finish-to-start links
    assert labels[5] == "8 of 40 (20.0%) - limit ≤ 5%"
    assert labels[7] == "1 of 32 (3.1%) - limit ≤ 5%"
    assert labels[8] == "2 of 45 (4.4%) - limit = 0"
    assert labels[9] == "not resource-loaded"   # the strip says n/a
    assert labels[11] == "the finish moved 600 of 600 days"    # value 1.0 x the 600-day delay
    assert labels[12] == "0.90 - limit ≥ 0.95"
    assert labels[13] == "no baseline"
    assert top_down(ax)[:2] == ["1  Logic", "2  Leads"] and top_down(ax)[-1] == "14  BEI"
    assert fig.get_suptitle() == "PRJ-007: DCMA 14-point schedule check"
    # 7 of 12 applicable: 7 / 12 x 100 = 58.3 -> 58
    assert ax.get_title(loc="left") == ("Passes 7 of 12 applicable checks (score 58); 2 not applicable; "
                                        "the measured value against its limit")


def test_the_strip_of_an_empty_result_is_a_note():
    assert isinstance(dcma_chart(result([])), Note) and str(dcma_chart(result([]))) == NO_CHECK
    assert str(dcma_chart(None)) == NO_CHECK


# ------------------------------------------------------------------------------ the portfolio's scores
SUMMARY = pd.DataFrame({
    "project_id": ["P-A", "P-B", "P-C", "P-D"], "passed": [12, 9, 6, 0], "applicable": [12, 12, 8, 0],
    "score": [100.0, 75.0, 75.0, np.nan],  # 12/12, 9/12, 6/8; none applies to P-D
    "failed": ["", "Logic, CPLI, BEI", "Logic, Lags", ""]}).astype({"passed": "Int64", "applicable": "Int64"})


def test_scores_go_worst_first_with_ties_by_checks_failed_and_a_schedule_without_checks_last():
    ax = health_scores_chart(SUMMARY).axes[0]
    # P-B and P-C both score 75; P-B fails 12 - 9 = 3 checks, P-C 8 - 6 = 2: P-B first
    assert top_down(ax) == ["P-B", "P-C", "P-A", "P-D"]
    bars = {p: by_gid(ax, f"score:{p}") for p in ("P-A", "P-B", "P-C", "P-D")}
    assert [bars[p][0].get_width() for p in ("P-B", "P-C", "P-A")] == [75.0, 75.0, 100.0]
    assert bars["P-D"] == []
    assert same_color(bars["P-A"][0].get_facecolor(), GREEN) and same_color(bars["P-B"][0].get_facecolor(), RED)
    assert texts(ax, "label") == ["75 (9 of 12 passed; fails Logic, CPLI, BEI)",
                                  "75 (6 of 8 passed; fails Logic, Lags)", "100 (12 of 12 passed)", "no check applies"]
    assert ax.get_xticks().tolist() == [0, 25, 50, 75, 100]


def test_scores_without_a_schedule_are_a_note():
    assert str(health_scores_chart(SUMMARY.iloc[0:0])) == NO_SCORES


# ------------------------------------------------------------------------------ pmo check's lines
def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_lines_give_each_check_its_count_value_limit_result_and_offenders():
    lines = words.dcma_lines(result())
    assert len(lines) == 15
    assert cells(lines[0]) == ["#", "Check", "Count", "Value", "Limit", "Result", "Offenders / note"]
    assert cells(lines[1]) == ["1", "Logic", "3/40", "7.5%", "≤ 5%", "FAIL", "A1, A2, A3"]
    assert cells(lines[2]) == ["2", "Leads", "0/50", "0.0%", "= 0", "PASS"]  # passes, nothing to name
    assert cells(lines[4]) == ["4", "Relationship types", "4/50", "92.0%", "≥ 90%", "PASS", "R1, R2, R3, R4"]
    assert cells(lines[6]) == ["6", "High float", "8/40", "20.0%", "≤ 5%", "FAIL", "F1, F2, F3, F4, F5 +3 more"]
    assert cells(lines[10]) == ["10", "Resources", "–", "–", "= 0%", "n/a", "not resource-loaded"]
    assert cells(lines[12]) == ["12", "Critical path test", "0/1", "600/600 d", "pass", "PASS"]
    assert cells(lines[13]) == ["13", "CPLI", "–", "0.90", "≥ 0.95", "FAIL", CPLI_NOTE]  # no offenders: the note
    # The widest name is 18 characters ("Relationship types"), the widest value 9 ("600/600 d"):
    assert lines[1] == " 1  Logic" + " " * 16 + "3/40" + " " * 7 + "7.5%  ≤ 5%    FAIL    A1, A2, A3"


def test_lines_are_aligned_in_columns():
    lines = words.dcma_lines(result())
    head = lines[0]
    result_at = head.index("Result")
    assert all(re.match(r"(PASS|FAIL|n/a)\b", line[result_at:]) for line in lines[1:])
    value_end = head.index("Value") + len("Value")
    assert all(line[value_end - 1] != " " and line[value_end] == " " for line in lines[1:])
    assert all(line[:2].strip() == str(n) for line, n in zip(lines[1:], range(1, 15)))


# ------------------------------------------------------------------------------ the table
def test_the_table_words_each_check_for_a_director():
    table = words.dcma_table(result())
    assert list(table.columns) == ["number", "check", "result", "measured", "threshold", "measure", "offenders", "note"]
    assert table["result"].tolist().count("PASS") == 7 and table["result"].tolist().count("n/a") == 2
    high_float = table.iloc[5]
    assert (high_float["result"], high_float["measured"], high_float["offenders"]) == (
        "FAIL", "8 of 40 (20.0%)", "F1, F2, F3, F4, F5 +3 more")
    resources = table.iloc[9]
    assert (resources["result"], resources["measured"], resources["note"]) == ("n/a", "–", "not resource-loaded")
    assert table.iloc[12]["measured"] == "0.90"
    html = tables.html_table(table, max_rows=20, kinds=words.TABLE_KINDS)
    assert "<th class='num'>Number</th>" in html and "<th class=''>Result</th>" in html
    assert "F1, F2, F3, F4, F5 +3 more" in html and "≤ 5%" in html


def test_the_table_escapes_what_the_file_said():
    rows = [(1, "Logic", 1, 1, 1.0, "≤ 5%", False, ["<b>T1</b>"], "")]
    html = tables.html_table(words.dcma_table(result(rows)), kinds=words.TABLE_KINDS)
    assert "<b>T1</b>" not in html and "&lt;b&gt;T1&lt;/b&gt;" in html


# ------------------------------------------------------------------------------ the finding
def test_the_finding_names_the_score_each_failed_check_with_its_limit_and_what_does_not_apply():
    assert words.dcma_finding(result(), "PRJ-007") == (
        "PRJ-007's schedule passes 7 of 12 applicable DCMA checks; it fails "
        "Logic (7.5% of incomplete tasks lack a predecessor or successor, limit 5%), "
        "High float (20.0% of incomplete tasks have over 44 days of total float, limit 5%), "
        "Invalid dates (invalid dates on 2 of 45 activities, none allowed), "
        "Missed tasks (10.0% of the tasks due by the status date were missed, limit 5%) and "
        "CPLI (0.90, at least 0.95); 2 do not apply (Resources, BEI).")


def test_the_finding_of_a_clean_schedule_and_of_a_failed_critical_path_test():
    clean = [CHECKS[1], CHECKS[2], CHECKS[13]]
    assert words.dcma_finding(result(clean), "P") == (
        "P's schedule passes all 2 applicable DCMA checks; 1 does not apply (BEI).")
    # the first critical task B delayed 600 days moved the finish 0 of them: value 0 / 600 = 0
    broken = [(12, "Critical path test", 1, 1, 0.0, "pass", False, ["B"], "the path is broken"),
              (4, "Relationship types", 10, 40, 30 / 40, "≥ 90%", False, ["S1"], "")]  # FS share 75.0%
    assert words.dcma_finding(result(broken), "Q") == (
        "Q's schedule passes 0 of 2 applicable DCMA checks; it fails Critical path test (a 600-day delay to B "
        "moved the finish 0 days) and Relationship types (75.0% of relationships are finish-to-start, at least 90%).")


def test_the_finding_when_no_check_applies_says_why():
    idle = [(1, "Logic", NA, NA, np.nan, "≤ 5%", NA, [], "no incomplete tasks"),
            (9, "Invalid dates", NA, NA, np.nan, "= 0", NA, [], "the file has no status date"),
            (11, "Missed tasks", NA, NA, np.nan, "≤ 5%", NA, [], "the file has no status date")]
    assert words.dcma_finding(result(idle), "R") == (
        "R's schedule: none of the DCMA checks applies (no incomplete tasks; the file has no status date).")


def test_the_empty_month_line():
    expected = ("No schedule is loaded for 2026-10: load an .xer, .mpp, .mpx, .xml or .planner file to see its "
                "DCMA-14 check.")
    assert words.no_schedule("2026-10") == expected == words.no_schedule(dt.date(2026, 10, 31))
