"""A finding about an input: its severity, file, row, column and message. Ingest, validation and the
history import all report in these, and ValidationFailed carries them."""
from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Problem:
    """One finding: an error blocks the load, a warning is reported and loaded."""

    severity: str
    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        """One line, whatever the export put in a header or a cell (a line break is shown as \\n)."""
        where = ", ".join(x for x in (f"row {self.row}" if self.row else "",
                                      f"column {self.column}" if self.column else "") if x)
        return _one_line(f"{self.severity}: {self.file}: {where + ': ' if where else ''}{self.message}")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m.group(), "?"), text)
