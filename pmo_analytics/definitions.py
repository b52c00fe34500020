"""The SQL definitions several layers share, written once: a milestone's slip and state, a risk's
band, score and expected monetary value (missing, "not assessed", without a probability), and which
snapshot came before which.

A leaf module (it imports nothing of the workbench): the metrics use these fragments, and so do the
summaries computed when a snapshot is published, which sit below the metrics in the layers.
Each is fixed text over a conventional alias (milestones `m`, risks `r`), never user input.
"""
from __future__ import annotations

STATES = ("achieved_on_time", "achieved_late", "missed", "likely_to_miss", "on_track")

# The definitions every query shares, written once (fixed text over milestones aliased m).
# Slip in days against the baseline: achieved, actual - baseline; not achieved, the expected date
# (the forecast, or the baseline when there is none) but never before the status date as_of, since a
# milestone not achieved by then cannot land earlier: max(forecast, as_of) - baseline. A missed
# milestone's stale forecast so no longer understates its slip.
SLIP = """date_diff('day', m.baseline_date, CASE WHEN m.actual_date IS NOT NULL THEN m.actual_date
        ELSE greatest(coalesce(m.forecast_date, m.baseline_date), m.as_of) END)"""
STATE = """CASE
        WHEN m.actual_date IS NOT NULL THEN
            CASE WHEN m.actual_date > m.baseline_date THEN 'achieved_late' ELSE 'achieved_on_time' END
        WHEN coalesce(m.forecast_date, m.baseline_date) < m.as_of THEN 'missed'
        WHEN m.forecast_date > m.baseline_date THEN 'likely_to_miss'
        ELSE 'on_track'
    END"""

# The definitions every query shares, written once (fixed text over the risks table aliased r).
# round(..., 9) keeps float noise (0.6 x 5 = 3.0000000000000004) from pushing a value up a band.
# A blank probability has no band (DuckDB's greatest() skips NULLs, so greatest(NULL, 1) would be 1),
# hence no score and no EMV: such a risk is not assessed (UNASSESSED), counted apart from the totals.
BAND = ("CASE WHEN r.probability IS NOT NULL THEN "
        "least(greatest(ceil(round(r.probability * 5, 9)), 1), 5)::INTEGER END")
SCORE = f"({BAND} * r.impact)"
EMV = "(r.probability * r.impact_cost)"
ACTIVE = "(r.status IN ('open', 'mitigating'))"
UNASSESSED = "(r.probability IS NULL)"
OVERDUE = f"coalesce({ACTIVE} AND r.due_date < r.as_of, FALSE)"
NO_OWNER = "(nullif(trim(r.owner), '') IS NULL)"
NO_MITIGATION = "(nullif(trim(r.mitigation), '') IS NULL)"


def previous_snapshots(loads: str = "loads") -> str:
    """SQL listing each loaded snapshot (as_of) with the one before it (prev_as_of, NULL for the first):
    month-over-month changes compare with the previous *loaded* snapshot, whatever the gap."""
    return f"SELECT as_of, lag(as_of) OVER (ORDER BY as_of) AS prev_as_of FROM {loads}"


# Values a PMO would question before a director sees them (a 33,767% variance is a unit slip, a CPI
# of 40 a missing actual): the data-quality report lists them (validation.plausibility) and tables
# and charts mark them with PLAUSIBILITY_MARK (present.tables). measure: (lowest, highest) accepted.
PLAUSIBLE = {
    "variance_pct": (-95.0, 500.0),  # forecast against budget, in % of budget
    "cpi": (0.1, 5.0),
    "spi": (0.1, 5.0),
    "spi_t": (0.1, 5.0),
}
PLAUSIBILITY_MARK = "⚠"


def implausible(measure: str, value) -> str | None:
    """Why `value` of `measure` (a key of PLAUSIBLE) would be questioned ("above 500"), else None
    (missing values and measures without a range are never implausible)."""
    bounds = PLAUSIBLE.get(measure)
    if bounds is None or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN: missing
        return None
    low, high = bounds
    if number > high:
        return f"above {high:g}"
    if number < low:
        return f"below {low:g}"
    return None
