"""The DCMA 14-point schedule check (metrics/schedule_health.py) in words: the aligned lines `pmo check`
prints, the table of the notebook and the dashboard panel, and the one sentence above its figure.

Each takes a dcma() result (one row per check: count, total, value, threshold, passed, offenders,
note) and only words it; a check that does not apply (passed missing) says why, from its note.
"""
from __future__ import annotations

import textwrap

import pandas as pd

from pmo_analytics.metrics.schedule_health import DELAY_DAYS, HIGH_DAYS, dcma_score
from pmo_analytics.periods import month_end
from pmo_analytics.present import format as fmt

PASS, FAIL, NOT_APPLICABLE = "PASS", "FAIL", "n/a"
OFFENDERS_SHOWN = 5
TABLE_KINDS = {"number": "int"}
TABLE_COLUMNS = ["number", "check", "result", "measured", "threshold", "measure", "offenders", "note"]
SCHEDULE_FORMATS = ".xer, .mpp, .mpx, .xml or .planner"

# What a failed check found, by check number: {share} is the offenders' share, {count} of {total}
# the offenders, {complying} the share that complies (check 4), {index} the index.
FOUND = {
    1: "{share} of incomplete tasks lack a predecessor or successor",
    2: "leads on {count} of {total} relationships",
    3: "{share} of relationships have a lag",
    4: "{complying} of relationships are finish-to-start",
    5: "{share} of incomplete tasks have a hard constraint",
    6: f"{{share}} of incomplete tasks have over {HIGH_DAYS} days of total float",
    7: "negative float on {count} of {total} incomplete tasks",
    8: f"{{share}} of incomplete tasks last over {HIGH_DAYS} days",
    9: "invalid dates on {count} of {total} activities",
    10: "no resource on {count} of {total} incomplete tasks",
    11: "{share} of the tasks due by the status date were missed",
    13: "{index}",
    14: "{index}",
}


def no_schedule(month) -> str:
    """The one line shown when month `month` ('YYYY-MM' or a date) has no stored schedule."""
    return (f"No schedule is loaded for {month_end(month):%Y-%m}: load an {SCHEDULE_FORMATS} file to see its "
            "DCMA-14 check.")


def status(row) -> str:
    """PASS, FAIL or n/a (the check does not apply: passed is missing)."""
    passed = row["passed"]
    if fmt.is_missing(passed):
        return NOT_APPLICABLE
    return PASS if bool(passed) else FAIL


def kind(threshold: str) -> str:
    """How a check's value reads: "test" (pass / fail), "index" (CPLI, BEI: ≥ 0.95) or "share" (the
    percentage and zero-tolerance checks, whose value is the offenders' share)."""
    text = str(threshold).strip()
    if text == "pass":
        return "test"
    return "share" if text.endswith("%") or text.split()[-1] == "0" else "index"


def _complying(row) -> bool:
    """A check whose limit is a floor ("≥ 90%"): its value is the share that complies."""
    return str(row["threshold"]).strip().startswith("≥")


def _moved(row) -> float:
    return float(row["value"]) * DELAY_DAYS


def value_text(row) -> str:
    """The value column of `pmo check`: 7.5%, 0.97, "600/600 d" (the critical path test: the days the
    finish moved of the delay); "–" when there is none."""
    value = row["value"]
    if fmt.is_missing(value):
        return fmt.MISSING
    how = kind(row["threshold"])
    if how == "share":
        return fmt.percent(float(value) * 100)
    if how == "index":
        return fmt.no_negative_zero(f"{float(value):.2f}")
    return f"{_moved(row):,.0f}/{DELAY_DAYS} d"


def count_text(row) -> str:
    """"3/40", or "–" for a check without a count (CPLI, a check that does not apply)."""
    if fmt.is_missing(row["count"]) or fmt.is_missing(row["total"]):
        return fmt.MISSING
    return f"{int(row['count']):,}/{int(row['total']):,}"


def measured(row, width: int = 70) -> str:
    """What the check measured, in words: "3 of 40 (7.5%)", "36 of 40 (90.0%)" (check 4: those that
    comply), "0.97", "the finish moved 600 of 600 days"; why, when it does not apply."""
    if status(row) == NOT_APPLICABLE:
        return textwrap.shorten(str(row["note"] or "nothing to check"), width, placeholder="…")
    how, value = kind(row["threshold"]), row["value"]
    if how == "test":
        if fmt.is_missing(value):
            return textwrap.shorten(str(row["note"]), width, placeholder="…")
        return f"the finish moved {_moved(row):,.0f} of {DELAY_DAYS} days"
    if how == "index" or fmt.is_missing(row["total"]):
        return value_text(row)
    count, total = int(row["count"]), int(row["total"])
    shown = total - count if _complying(row) else count
    return f"{shown:,} of {total:,} ({value_text(row)})"


def offenders_text(offenders, n: int = OFFENDERS_SHOWN) -> str:
    """The first n offending activity ids, "A, B, C, D, E +3 more"."""
    ids = [str(i) for i in (offenders if isinstance(offenders, (list, tuple)) else [])]
    more = len(ids) - n
    return ", ".join(ids[:n]) + (f" +{more:,} more" if more > 0 else "")


def _last_column(row) -> str:
    """The offenders; without any, the note of a check that fails or does not apply."""
    shown = offenders_text(row["offenders"])
    return shown or ("" if status(row) == PASS else str(row["note"] or ""))


def dcma_lines(result: pd.DataFrame) -> list[str]:
    """`pmo check`'s lines: a heading, then one aligned line per check (number, name, count/total,
    value, limit, PASS / FAIL / n/a, then up to five offending activity ids, else the note)."""
    rows = [r for _, r in result.iterrows()]
    cells = [(f"{int(r['number']):>2}", str(r["check"]), count_text(r), value_text(r), str(r["threshold"]),
              status(r), _last_column(r)) for r in rows]
    heads = (" #", "Check", "Count", "Value", "Limit", "Result", "Offenders / note")
    widths = [max(len(c[i]) for c in [heads, *cells]) for i in range(6)]

    def line(c) -> str:
        text = (f"{c[0]:>{widths[0]}}  {c[1]:<{widths[1]}}  {c[2]:>{widths[2]}}  {c[3]:>{widths[3]}}  "
                f"{c[4]:<{widths[4]}}  {c[5]:<{widths[5]}}  {c[6]}")
        return text.rstrip()
    return [line(heads)] + [line(c) for c in cells]


def dcma_table(result: pd.DataFrame) -> pd.DataFrame:
    """The checks as a table for tables.html_table / ReportTable (pass kinds=TABLE_KINDS): number,
    check, result (PASS / FAIL / n/a), what was measured, the limit, what is counted, the first
    offending activities and the note."""
    rows = [{"number": int(r["number"]), "check": r["check"], "result": status(r),
             "measured": fmt.MISSING if status(r) == NOT_APPLICABLE else measured(r, width=200),
             "threshold": r["threshold"], "measure": r["measure"], "offenders": offenders_text(r["offenders"]),
             "note": r["note"] or ""} for _, r in result.iterrows()]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _limit(threshold: str) -> str:
    """"limit 5%", "none allowed", "at least 90%": a threshold as the finding says it."""
    text = str(threshold).strip()
    if text.startswith("≥"):
        return f"at least {text.lstrip('≥ ')}"
    if text.lstrip("= ") in ("0", "0%"):
        return "none allowed"
    return f"limit {text.lstrip('≤= ')}"


def found(row) -> str:
    """What a failed check found, with its limit: "12.5% of incomplete tasks lack a predecessor or
    successor, limit 5%"."""
    if kind(row["threshold"]) == "test":
        offender = offenders_text(row["offenders"], 1)
        if fmt.is_missing(row["value"]) or not offender:
            return textwrap.shorten(str(row["note"]), 90, placeholder="…")
        return f"a {DELAY_DAYS}-day delay to {offender} moved the finish {_moved(row):,.0f} days"
    value, count, total = row["value"], row["count"], row["total"]
    known = not (fmt.is_missing(count) or fmt.is_missing(total))
    words = {"share": fmt.percent(float(value) * 100) if not fmt.is_missing(value) else fmt.MISSING,
             "complying": fmt.percent(float(value) * 100) if not fmt.is_missing(value) else fmt.MISSING,
             "index": value_text(row), "count": f"{int(count):,}" if known else fmt.MISSING,
             "total": f"{int(total):,}" if known else fmt.MISSING}
    template = FOUND.get(int(row["number"]), "{index}" if kind(row["threshold"]) == "index" else
                         "{count} of {total} " + str(row["measure"]))
    return f"{template.format(**words)}, {_limit(row['threshold'])}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def dcma_finding(result: pd.DataFrame, project) -> str:
    """One sentence: "PRJ's schedule passes 9 of 12 applicable DCMA checks; it fails Logic (12.5% of
    incomplete tasks lack a predecessor or successor, limit 5%), ...; 2 do not apply (Resources, BEI)"."""
    passed, applicable = dcma_score(result)
    states = result.apply(status, axis=1) if len(result) else pd.Series(dtype=str)
    failed = result[states == FAIL]
    idle = result.loc[states == NOT_APPLICABLE, "check"].tolist()
    if not applicable:
        reasons = list(dict.fromkeys(n for n in result["note"] if n))[:3]
        return (f"{project}'s schedule: none of the DCMA checks applies"
                + (f" ({'; '.join(reasons)})." if reasons else "."))
    text = f"{project}'s schedule passes {'all ' if passed == applicable else ''}"
    text += f"{applicable} applicable DCMA checks" if passed == applicable else \
        f"{passed} of {applicable} applicable DCMA checks"
    if len(failed):
        text += "; it fails " + _and([f"{r['check']} ({found(r)})" for _, r in failed.iterrows()])
    if idle:
        text += f"; {len(idle)} {'does' if len(idle) == 1 else 'do'} not apply ({', '.join(idle)})"
    return text + "."


__all__ = ["FAIL", "NOT_APPLICABLE", "PASS", "TABLE_KINDS", "dcma_finding", "dcma_lines", "dcma_table", "found",
           "kind", "measured", "no_schedule", "offenders_text", "status", "value_text"]
