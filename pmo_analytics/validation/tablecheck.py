"""TableCheck: what validation learnt about one staged file (its tables, column mapping, rows, fill
rates, problems and quality score); the rules, check_table, the snapshot and lake checks share it."""
from __future__ import annotations

from dataclasses import dataclass, field

from pmo_analytics.contract import TABLES, Table
from pmo_analytics.ingest.discovery import Source
from pmo_analytics.problems import Problem


@dataclass
class TableCheck:
    """What validation learnt about one staged file."""

    source: Source
    stg: str = ""  # staged table: contract column names, normalised values
    raw: str | None = None  # text copy (c0..cN), only when some value did not convert
    header: list[str] = field(default_factory=list)
    mapping: dict[str, int] = field(default_factory=dict)  # canonical column -> position in the file
    rows: int = 0
    fill: dict[str, float] = field(default_factory=dict)  # canonical column -> share of rows filled
    problems: list[Problem] = field(default_factory=list)
    warning_rows: int = 0
    probability_scale: str = "0-1"

    @property
    def table(self) -> Table:
        return TABLES[self.source.table]

    @property
    def blocked(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def quality(self) -> float:
        """0-1: share of expected cells filled, times share of rows without warnings."""
        expected = [c.name for c in self.table.columns if c.required or c.expected]
        completeness = sum(self.fill.get(c, 0.0) for c in expected) / len(expected)
        validity = 1 - min(1.0, self.warning_rows / self.rows) if self.rows else 0.0
        return completeness * validity
