"""The risk-adjusted forecast figures (issue 16): the cost S-curve, the tornado and the per-project cost
and finish ranges, from small hand-made frames with the marks, labels and Notes worked out by hand."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import pandas as pd
import pytest

from pmo_analytics.present import figures
from pmo_analytics.present.figures.forecasts import NO_FORECAST, chance
from figurekit import by_gid, close_figures, same_color  # noqa: F401 - close_figures is an autouse fixture

NAN = float("nan")




def top_down(ax) -> list[str]:
    """The y tick labels from the top of the axes down."""
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    return [label for _, label in ticks]


def bars(ax) -> dict:
    """gid -> the bar patch, for the patches with a gid."""
    return {p.get_gid(): p for p in ax.patches if p.get_gid()}


# ------------------------------------------------------------------------------ the S-curve
CURVE = pd.DataFrame({"cost": [120.0, 90.0, 100.0, 110.0], "probability": [1.0, 0.1, 0.5, 0.8]})


def portfolio(**changes) -> pd.DataFrame:
    """BAC 100, EAC 95, P50 100, P80 110: contingency = 110 - 95 = 15; half the draws within budget."""
    row = {"bac": 100.0, "eac": 95.0, "cost_p50": 100.0, "cost_p80": 110.0, "cost_p90": 118.0,
           "prob_within_budget": 0.5, "contingency_p80": 15.0}
    return pd.DataFrame([{**row, **changes}])


def test_cost_s_curve_draws_the_cdf_with_bac_eac_p50_p80_marked():
    fig = figures.cost_s_curve(CURVE, portfolio(), currency="GBP")
    ax = fig.axes[0]
    (curve,) = by_gid(ax, "s_curve")
    # sorted by cost; probability in percent
    assert list(curve.get_xdata()) == [90.0, 100.0, 110.0, 120.0]
    assert list(curve.get_ydata()) == [10.0, 50.0, 80.0, 100.0]
    marks = {gid: by_gid(ax, gid)[0] for gid in ("bac", "eac", "p50", "p80")}
    assert {gid: line.get_xdata()[0] for gid, line in marks.items()} == {"bac": 100.0, "eac": 95.0, "p50": 100.0,
                                                                         "p80": 110.0}
    assert same_color(marks["p80"].get_color(), figures.COLORS["warning"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["P(total cost ≤ amount)", "BAC (budget) £100", "EAC (point forecast) £95", "P50 £100",
                      "P80 £110"]
    assert ax.get_title(loc="left") == "Chance of finishing within the budget 50.0%; contingency at P80 (P80 - EAC) £15"
    assert ax.get_ylim() == (0.0, 100.0)
    assert ax.get_xlabel() == "Total cost at completion (GBP)"
    assert fig.get_suptitle() == "Portfolio cost at completion: how likely each total is"


def test_cost_s_curve_leaves_out_an_unknown_mark_and_says_so():
    ax = figures.cost_s_curve(CURVE, portfolio(eac=NAN, contingency_p80=NAN)).axes[0]
    assert by_gid(ax, "eac") == [] and len(by_gid(ax, "bac")) == 1
    assert ax.get_title(loc="left") == "Chance of finishing within the budget 50.0%; not marked (unknown): EAC"


def test_cost_s_curve_without_a_forecast_is_a_note():
    assert str(figures.cost_s_curve(CURVE.iloc[0:0], portfolio())) == NO_FORECAST
    assert str(figures.cost_s_curve(None, None)) == NO_FORECAST
    note = figures.cost_s_curve(pd.DataFrame({"cost": [NAN], "probability": [NAN]}), portfolio())
    assert isinstance(note, figures.Note) and "no cost distribution" in str(note)


def test_chance_never_reads_as_certain_or_impossible_when_it_is_not():
    assert [chance(p) for p in (0.0, 0.0001, 0.5, 0.99991, 1.0, NAN)] == [
        "0.0%", "under 0.1%", "50.0%", "over 99.9%", "100.0%", "–"]


# ------------------------------------------------------------------------------ the tornado
TORNADO = pd.DataFrame({"driver": ["R1", "P1", "R2"], "kind": ["risk", "project", "risk"],
                        "contribution": [-0.1, 0.5, 0.3], "amount": [-2.0, 10.0, 6.0]})


def test_forecast_tornado_ranks_drivers_by_their_share_largest_on_top():
    fig = figures.forecast_tornado(TORNADO, currency="GBP")
    ax = fig.axes[0]
    drawn = bars(ax)
    # |0.5| > |0.3| > |-0.1|: P1 on top (y 2), then R2 (y 1), then R1 (y 0), widths in percent
    assert {gid: (p.get_y() + p.get_height() / 2, p.get_width()) for gid, p in drawn.items()} == {
        "driver:P1": (2.0, 50.0), "driver:R2": (1.0, 30.0), "driver:R1": (0.0, -10.0)}
    assert same_color(drawn["driver:P1"].get_facecolor(), figures.COLORS["forecast"])
    assert same_color(drawn["driver:R2"].get_facecolor(), figures.COLORS["warning"])
    assert top_down(ax) == ["P1", "R2", "R1"]
    assert [t.get_text().strip() for t in by_gid(ax, "label")] == ["50.0%  £10", "30.0%  £6", "-10.0%  -£2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["project (its CPI)", "risk"]


def test_forecast_tornado_keeps_the_n_largest_and_notes_an_empty_frame():
    ax = figures.forecast_tornado(TORNADO, n=2).axes[0]
    assert sorted(bars(ax)) == ["driver:P1", "driver:R2"]
    assert "the 2 largest drivers" in ax.get_title(loc="left")
    assert isinstance(figures.forecast_tornado(TORNADO.iloc[0:0]), figures.Note)
    assert "nothing to rank" in str(figures.forecast_tornado(TORNADO.assign(contribution=NAN)))


# ------------------------------------------------------------------------------ per-project ranges
def projects() -> pd.DataFrame:
    """P90 - BAC: A 130 - 100 = 30, B 210 - 200 = 10, D 70 - 80 = -10, E 60 - NaN (no BAC: last);
    C has no P50 (left out). P80 over BAC: A 115 > 100 yes, B 195 > 200 no, D 65 > 80 no, E unknown."""
    return pd.DataFrame({
        "project_id": ["D", "B", "C", "A", "E"],
        "bac": [80.0, 200.0, 50.0, 100.0, NAN],
        "eac": [70.0, 190.0, 55.0, 110.0, 50.0],
        "cost_p50": [60.0, 180.0, NAN, 105.0, 45.0],
        "cost_p80": [65.0, 195.0, NAN, 115.0, 55.0],
        "cost_p90": [70.0, 210.0, NAN, 130.0, 60.0],
        "finish_p50": pd.to_datetime(["2027-04-01", "2027-05-01", None, "2027-01-01", "2027-02-01"]),
        "finish_p80": pd.to_datetime(["2027-04-10", "2027-05-15", None, "2027-02-01", "2027-02-10"]),
        "finish_p90": pd.to_datetime(["2027-04-20", "2027-06-01", None, "2027-03-01", "2027-02-20"]),
        "baseline_finish": pd.to_datetime(["2027-03-01", "2027-06-30", "2027-01-01", "2026-12-01", None]),
    })


def test_project_ranges_worst_first_with_bac_and_eac_ticks():
    fig = figures.project_ranges(projects(), currency="GBP")
    ax = fig.axes[0]
    drawn = bars(ax)
    # A, B, D, E from the top (y 3 .. 0); each bar from P50 to P90
    assert {gid: (p.get_y() + p.get_height() / 2, p.get_x(), p.get_width()) for gid, p in drawn.items()} == {
        "range:A": (3.0, 105.0, 25.0), "range:B": (2.0, 180.0, 30.0), "range:D": (1.0, 60.0, 10.0),
        "range:E": (0.0, 45.0, 15.0)}
    assert same_color(drawn["range:A"].get_facecolor(), figures.COLORS["warning"])
    assert same_color(drawn["range:B"].get_facecolor(), figures.COLORS["forecast"])
    assert same_color(drawn["range:E"].get_facecolor(), figures.COLORS["budget"])  # no BAC: unknown
    (bac,) = by_gid(ax, "bac")
    assert bac.get_offsets().tolist() == [[100.0, 3.0], [200.0, 2.0], [80.0, 1.0]]  # E has none
    (eac,) = by_gid(ax, "eac")
    assert eac.get_offsets()[:, 0].tolist() == [110.0, 190.0, 70.0, 50.0]
    (p80,) = by_gid(ax, "p80")
    assert p80.get_offsets()[:, 0].tolist() == [115.0, 195.0, 65.0, 55.0]
    assert top_down(ax) == ["A", "B", "D", "E"]
    assert ax.get_title(loc="left") == ("P50 to P90 of each project's cost against its BAC; the 4 projects "
                                        "furthest past it first; 1 project without a forecast left out")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "P50-P90, P80 within BAC", "P80 over BAC", "no BAC", "BAC (budget)", "EAC (point forecast)", "P80"]
    assert ax.get_xlabel() == "Cost at completion (GBP)"


def test_project_ranges_shows_the_n_worst_and_notes_absent_ranges():
    ax = figures.project_ranges(projects(), n=2).axes[0]
    assert sorted(bars(ax)) == ["range:A", "range:B"]
    assert "the 2 projects (of 4) furthest past it first" in ax.get_title(loc="left")
    assert str(figures.project_ranges(projects().iloc[0:0])) == NO_FORECAST
    assert "no ranges to draw" in str(figures.project_ranges(projects().assign(cost_p50=NAN)))


def test_finish_ranges_worst_first_against_the_baseline():
    ax = figures.finish_ranges(projects()).axes[0]
    drawn = bars(ax)
    # P90 - baseline: A Mar 1 - Dec 1 = 90 days, D Apr 20 - Mar 1 = 50, B Jun 1 - Jun 30 = -29, E no
    # baseline (last); C has no P50. Width: A Jan 1 -> Mar 1 = 31 + 28 = 59 days.
    order = sorted(drawn, key=lambda gid: -drawn[gid].get_y())
    assert order == ["range:A", "range:D", "range:B", "range:E"]
    assert drawn["range:A"].get_x() == mdates.date2num(pd.Timestamp("2027-01-01"))
    assert drawn["range:A"].get_width() == 59.0
    # P80 after the baseline: A Feb 1 > Dec 1 late, D Apr 10 > Mar 1 late, B May 15 <= Jun 30 not
    assert same_color(drawn["range:A"].get_facecolor(), figures.COLORS["warning"])
    assert same_color(drawn["range:D"].get_facecolor(), figures.COLORS["warning"])
    assert same_color(drawn["range:B"].get_facecolor(), figures.COLORS["forecast"])
    assert same_color(drawn["range:E"].get_facecolor(), figures.COLORS["budget"])
    (baseline,) = by_gid(ax, "baseline")
    assert baseline.get_offsets()[:, 0].tolist() == [mdates.date2num(pd.Timestamp(d)) for d in
                                                     ("2026-12-01", "2027-03-01", "2027-06-30")]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "P50-P90, P80 by baseline", "P80 late", "no baseline", "Baseline finish", "P80"]
    assert ax.get_xlabel() == "Finish date"


def test_finish_ranges_notes_absent_dates():
    assert str(figures.finish_ranges(None)) == NO_FORECAST
    note = figures.finish_ranges(projects().assign(finish_p90=pd.NaT))
    assert isinstance(note, figures.Note) and "finish date" in str(note)
