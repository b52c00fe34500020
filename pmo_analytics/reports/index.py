"""The pack's front page, index.html: the headline tiles, the reports, the snapshot's data quality.

The numbers come from the metrics that own them (metrics.portfolio.headline, as the overview
dashboard shows them, and metrics.changes.slipped_milestones) and from the snapshot's `loads`
record; the page is templates/index.html.j2, rendered by Jinja with autoescaping, so no name or
file from the exports reaches the HTML unescaped. pack.seal adds the manifest afterwards.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from pathlib import Path

import jinja2

from pmo_analytics.present import format
from pmo_analytics.reports import pack
from pmo_analytics.store import connection

TEMPLATE = "index.html.j2"
_VOLATILE = re.compile(r"<time\b[^>]*>.*?</time>", re.DOTALL)

HEADLINE = (  # key, label, kind
    ("budget", "Total budget", "money"),
    ("forecast", "Forecast", "money"),
    ("variance", "Variance (forecast - budget)", "money"),
    ("consumed", "Consumed (actuals)", "money"),
    ("committed", "Committed (open orders)", "money"),
    ("over_budget", "Projects over budget", "count"),
    ("risk_emv", "Active risks' exposure (EMV)", "money"),
    ("active_risks", "Active risks", "count"),
    ("over_allocated_people", "Over-allocated people", "count"),
    ("milestones_slipping", "Milestones missed or likely to miss", "count"),
    ("milestones_slipped", "Milestones slipped since last month", "count"),
    ("quality_score", "Data-quality score", "score"),
)

# Tiles whose inputs a snapshot may not hold (UK GMPP reports no risks, resources or milestones): with
# none of that table's rows loaded, the tile says so instead of showing 0.
NEEDS_TABLE = {"consumed": "budget_lines", "committed": "budget_lines", "risk_emv": "risks", "active_risks": "risks",
               "over_allocated_people": "allocations", "milestones_slipping": "milestones",
               "milestones_slipped": "milestones"}
NOT_IN_EXPORTS = {"budget_lines": "no budget lines in these exports", "risks": "no risk register in these exports",
                  "allocations": "no resource plan in these exports", "milestones": "no milestones in these exports"}

# Tiles with a colour. The variance is rated by present.format.variance_rag (the rule the dashboards
# use too: green at or under budget, amber up to 5% over, red above); a count of projects over
# budget, people over-allocated or milestones slipping is red above zero, green at zero.
COUNTED = frozenset({"over_budget", "over_allocated_people", "milestones_slipping", "milestones_slipped"})


def strip_volatile(text: str) -> str:
    """The report HTML without what changes between identical runs (the <time> elements, and the
    manifest, whose digests of the executed notebooks change with papermill's timings)."""
    return pack.MANIFEST_TEXT.sub(r"\1\2", _VOLATILE.sub("<time></time>", text))


def headline(database: Path, as_of: dt.date, load_row: dict) -> dict:
    """The numbers on index.html, each from the metric that owns it (as the overview dashboard)."""
    from pmo_analytics.metrics.changes import slipped_milestones
    from pmo_analytics.metrics.portfolio import headline as portfolio_headline

    with connection.connect(database) as con:
        frame = portfolio_headline(con, as_of=as_of)
        slipped = slipped_milestones(con, as_of=as_of)
    row = frame.iloc[0].to_dict() if len(frame) else {}
    out = {key: _plain(row.get(key)) for key, _, _ in HEADLINE}
    out["projects"] = _plain(row.get("projects"))
    out["variance_pct"] = _plain(row.get("variance_pct"))
    out["currency"] = row.get("currency")
    out["milestones_slipped"] = len(slipped)
    out["quality_score"] = _plain(load_row.get("quality_score"))
    return out


def page(as_of: dt.date, numbers: dict, reports: list[dict], skipped: dict[str, str], load_row: dict,
         loaded: list[dt.date], pdf: dict | None = None) -> str:
    """index.html (without its manifest). `numbers`: headline's; `reports`: stem, title, figures and
    tables of each page in pack order; `skipped`: notebook -> why it was not run; `pdf`: the board
    pack's file name and page count, when it was printed."""
    earlier = [d for d in loaded if d < as_of]
    generated = dt.datetime.now().astimezone().replace(microsecond=0)
    loaded_at = load_row.get("loaded_at")
    variance_pct = numbers.get("variance_pct")
    return _template().render(
        month=f"{as_of:%B %Y}", snapshot=f"{as_of:%Y-%m-%d}",
        compared=f"compared with {earlier[-1]:%B %Y}" if earlier else "first snapshot loaded: nothing to compare with",
        projects=numbers.get("projects") or 0,
        quality_score=_format(numbers.get("quality_score"), "score", None),
        loaded_at=({"iso": f"{loaded_at:%Y-%m-%dT%H:%M:%S}", "text": f"{loaded_at:%Y-%m-%d %H:%M}"}
                   if loaded_at is not None and hasattr(loaded_at, "strftime") else None),
        generated={"iso": generated.isoformat(), "text": f"{generated:%Y-%m-%d %H:%M %Z}"},
        tiles=_tiles(numbers, load_row),
        variance_pct=f" ({format.percent(variance_pct, signed=True)} of budget)" if variance_pct is not None else "",
        reports=reports, skipped=skipped, quality=_quality_rows(load_row), pdf=pdf)


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("pmo_analytics.reports", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                     lstrip_blocks=True, keep_trailing_newline=True)
    return environment.get_template(TEMPLATE)


def _tiles(numbers: dict, load_row: dict | None = None) -> list[dict]:
    """One tile per HEADLINE number: its key, label, formatted text, raw value (repr), colour, and the
    note of a tile whose table the snapshot does not hold (shown "–", never 0)."""
    tiles = []
    for key, label, kind in HEADLINE:
        value = numbers.get(key)
        table = NEEDS_TABLE.get(key)
        if table and load_row is not None and not load_row.get(f"rows_{table}"):
            tiles.append({"key": key, "label": label, "css": "", "value": None, "text": "–",
                          "note": NOT_IN_EXPORTS[table]})
            continue
        css = ""
        if key == "variance":
            css = format.variance_rag(numbers.get("variance_pct")) or ""
        elif key in COUNTED and value is not None:
            css = "red" if value > 0 else "green"
        tiles.append({"key": key, "label": label, "css": css, "value": None if value is None else repr(value),
                      "text": _format(value, kind, numbers.get("currency")),
                      "note": "not reported in these exports" if value is None else ""})
    return tiles


def _quality_rows(load_row: dict) -> list[dict]:
    """The snapshot's files (its `loads` record): table, file name, rows, warnings, quality %."""
    files = json.loads(load_row.get("files") or "{}")
    return [{"table": t, "file": Path(str(f.get("file", ""))).name, "rows": f"{f.get('rows', 0):,}",
             "warnings": f"{f.get('warnings', 0):,}", "quality": f"{f.get('quality', 0):.1f}"}
            for t, f in files.items()]


def _plain(value):
    """numpy / pandas scalars as Python numbers; missing as None."""
    if value is None:
        return None
    try:
        import pandas as pd
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        value = value.item()
    return value


def _format(value, kind: str, currency: str | None) -> str:
    """A headline number as shown: money with its symbol, a score out of 100, a count; '–' when missing."""
    if value is None:
        return "–"
    if kind == "money":
        return format.money(value, currency, full=True)
    if kind == "score":
        return f"{value:.1f}/100"
    return f"{int(value):,}"
