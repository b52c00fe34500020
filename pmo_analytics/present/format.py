"""How numbers read everywhere: dashboard tiles, figures, HTML tables and the report index.

One rule each, so a tile, a chart label and the monthly report never disagree:

- money: sign first, then the symbol (£ € $ ¥), else the currency code after the amount ("900 CHF",
  a mix "£1.2m" only for one currency, "1.2m EUR,GBP" for several); missing is "–". Compact (tiles,
  chart labels): bn with 2 decimals, m with 1, k with none, whole units below 1,000 ("£87.5m", "-€12k");
  a value that rounds up to 1,000 of a unit moves to the next ("£1.0m", not "£1000k"). Full (tables,
  the report index): whole units with thousands separators ("£87,497,690"). Axis ticks use the compact
  form with the decimals their step needs (`decimals=`).
- percent: one decimal, signed when it is a change or a variance ("52.6%", "+3.2%"); missing is "–".
- KPI values by unit: % "52.6%", ratio "0.96", score "99.6", days "166 days", count "12"; missing is
  "n/a" (not measured); targets as declared ("80%", "0.95", "30 days").
- trend: ▲ up, ▼ down, ▶ flat, read as "better" / "worse" / "no change" by the KPI's direction.
- RAG colours: green #2f9e44, amber #f59f00, red #e03131 (and pale tints for backgrounds).
- budget variance (forecast minus budget, in % of budget) is a RAG: green at or under budget
  (<= 0%), amber up to 5% over, red above 5% over. Dashboard tiles, the report index and the figures
  all colour variance with `variance_rag`.
"""
from __future__ import annotations

import math
from decimal import Decimal

MISSING = "–"       # an amount or percent that is not known
NOT_MEASURED = "n/a"  # a KPI without a value
NO_DATA = "No data for this selection"

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥"}
RAG = {"green": "#2f9e44", "amber": "#f59f00", "red": "#e03131"}
RAG_TINT = {"green": "#ebfbee", "amber": "#fff9db", "red": "#fff5f5", None: "#f1f3f5"}
NO_RAG = "#adb5bd"  # the bar of a tile without a rating
TREND_ARROWS = {"up": "▲", "down": "▼", "flat": "▶"}
VARIANCE_AMBER_PCT = 5.0  # over budget by up to this much is amber; above it red

_SCALES = ((1e9, "bn", 2), (1e6, "m", 1), (1e3, "k", 0), (1.0, "", 0))


def is_missing(value) -> bool:
    """None, NaN, NaT and pandas' NA (without importing pandas)."""
    if value is None:
        return True
    if isinstance(value, (int, float)):
        return math.isnan(value)
    try:
        return bool(value != value)  # noqa: PLR0124 - NaT and numpy NaN are not equal to themselves
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


def money_scale(value: float) -> float:
    """The unit a compact amount is shown in: 1e9, 1e6, 1e3 or 1."""
    return next(limit for limit, _, _ in _SCALES if abs(value) >= limit or limit == 1.0)


def _compact(v: float, decimals: int | None) -> str:
    for i, (limit, suffix, default) in enumerate(_SCALES):
        if v >= limit or limit == 1.0:
            d = default if decimals is None else decimals
            if i > 0 and round(v / limit, d) >= 1000:  # "1000k" reads as "1.0m"
                limit, suffix, default = _SCALES[i - 1]
                d = default if decimals is None else decimals
            return f"{v / limit:.{d}f}{suffix}"
    raise AssertionError("unreachable")  # pragma: no cover


def money(value, currency: str | None = None, full: bool = False, signed: bool = False,
          decimals: int | None = None) -> str:
    """An amount as the workbench writes money: "£87.5m" (compact) or "£87,497,690" (full=True).

    `signed` writes "+" before a positive amount (a change); `decimals` overrides the compact form's
    decimals (axis ticks). A code without a symbol goes after the amount; missing is "–".
    """
    if is_missing(value):
        return MISSING
    value = float(value)
    symbol = CURRENCY_SYMBOLS.get(currency or "", "")
    suffix = "" if symbol or not currency else f" {currency}"
    text = f"{abs(value):,.0f}" if full else _compact(abs(value), decimals)
    zero = not text.strip("0.,bnmk")
    sign = "" if zero else "-" if value < 0 else "+" if signed and value > 0 else ""
    return f"{sign}{symbol}{text}{suffix}"


def percent(value, signed: bool = False, decimals: int = 1) -> str:
    """52.6% (a share) or +3.2% (signed: a change or a variance); missing is "–"."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):{'+' if signed else ''},.{decimals}f}%"
    return text[1:] if text[0] in "+-" and not text.strip("+-0.%") else text  # never "-0.0%" nor "+0.0%"


def kpi_value(value, unit: str) -> str:
    """A KPI value as a director reads it: 52.6%, 0.96, 99.6, 166 days, 12; missing is "n/a"."""
    if is_missing(value):
        return NOT_MEASURED
    value = float(value)
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "days":
        return f"{value:,.0f} days"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.1f}"  # score and anything else


def kpi_target(value, unit: str) -> str:
    """A KPI target as it is declared in kpis.toml: 80%, 0.95, 30 days, 95; missing is "n/a"."""
    if is_missing(value):
        return NOT_MEASURED
    return f"{float(value):g}" + {"%": "%", "days": " days"}.get(unit, "")


def kpi_change(value, unit: str) -> str:
    """A KPI's change since the previous snapshot: +2.0 pt, -0.03, +12 days; "" when unknown or none
    (a change too small for the unit's decimals keeps two significant figures: -0.04 pt)."""
    if is_missing(value) or float(value) == 0:
        return ""
    value = float(value)
    decimals = {"%": 1, "ratio": 2, "days": 0, "count": 0}.get(unit, 1)
    if round(value, decimals):
        number = f"{value:+,.{decimals}f}"
    else:  # two significant figures, never in exponent notation (-0.000045, not -4.5e-05)
        number = f"{Decimal(f'{value:.2g}'):+f}"
    return number + {"%": " pt", "days": " days"}.get(unit, "")


def trend_arrow(trend) -> str:
    """▲ up, ▼ down, ▶ flat; "" when there is no earlier value."""
    return TREND_ARROWS.get(trend, "") if isinstance(trend, str) else ""


def trend_text(trend, improving) -> str:
    """"▲ better", "▼ worse" or "▶ no change": the arrow and what it means for this KPI."""
    if not isinstance(trend, str):
        return ""
    if trend == "flat":
        return f"{TREND_ARROWS['flat']} no change"
    return f"{trend_arrow(trend)} {'better' if improving else 'worse'}"


def rag_colour(rag) -> str:
    """The colour of a rating ("green", "amber", "red"); grey when there is none."""
    return RAG.get(rag, NO_RAG) if isinstance(rag, str) else NO_RAG


def variance_rag(variance_pct) -> str | None:
    """How bad a budget variance is: green at or under budget, amber up to 5% over, red above 5% over;
    None when it is not known (no budget)."""
    if is_missing(variance_pct):
        return None
    pct = float(variance_pct)
    if math.isinf(pct):
        return "red" if pct > 0 else "green"
    return "green" if pct <= 0 else "amber" if pct <= VARIANCE_AMBER_PCT else "red"


def plural(n, word: str, many: str | None = None) -> str:
    """"1 project", "3 projects", "1,204 rows": a count with its noun (`many` for an irregular plural)."""
    n = int(n)
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def no_negative_zero(text: str) -> str:
    """"-0.0" reads as "0.0": a negative number that rounds to zero loses its sign."""
    if text.startswith("-") and not text.strip("-0.,%"):
        return text[1:]
    return text


def chance(probability) -> str:
    """A probability (0..1) as a percent that never reads as certain or impossible when it is not:
    "under 0.1%", "over 99.9%" (the figures and `pmo forecast` alike)."""
    if is_missing(probability):
        return MISSING
    value = 100 * float(probability)
    if 0 < value < 0.05:
        return "under 0.1%"
    if 99.95 <= value < 100:
        return "over 99.9%"
    return percent(value)


__all__ = [
    "CURRENCY_SYMBOLS", "MISSING", "NOT_MEASURED", "NO_DATA", "NO_RAG", "RAG", "RAG_TINT", "TREND_ARROWS",
    "VARIANCE_AMBER_PCT", "chance", "is_missing", "kpi_change", "kpi_target", "kpi_value", "money", "money_scale",
    "no_negative_zero", "percent", "plural", "rag_colour", "trend_arrow", "trend_text", "variance_rag",
]
