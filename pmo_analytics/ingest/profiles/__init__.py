"""Import profiles: how one tool's export maps onto the canonical tables.

A profile is a TOML file a user can write and keep next to the data. It says how to read the file
(encoding, delimiter, header row, transposed layout, decimal comma, date formats, placeholder codes)
and, per canonical table, which export column(s) feed each canonical column, with constants, value
mappings (status words, RAG colours) and scale factors. Staging turns the export into a text table
with canonical column names and canonical text (ISO dates, '.' decimals), keeping the original text
of any value it cannot convert, so validation reports it with its row and column.

Shipped profiles live in pmo_analytics/profiles/; `--profile` takes a name or a path. Without one,
a profile is picked when its [detect] columns are all in the file's header (profiles in the data
folder are tried first), and the choice is reported. A transposed profile is matched against the
header the file has once transposed.

What real exports needed beyond a column-to-column mapping (each is optional):
- Wildcards: `*` in an export column name, a [detect] column or a placeholder matches any text
  ("IPA RAG rating*" for a header whose wording changes every year, "Exempt under*" for the many
  spellings of an exemption note). Names are compared without case, with runs of spaces, line breaks
  and underscores counting as one space. A wildcard column name takes every header it matches
  (first non-empty wins, as with duplicate headers).
- `[read] units = ["m"]`: unit words written after numbers ('£1.90m') are dropped before parsing;
  the column's `scale` says what they mean.
- Per column: `template = "{School} - {Description}"` builds text from several export columns (an
  id or a name the export does not carry as one column; cells as written; `{as_of}` works too);
  `default` is the value when the export's cell is empty or a placeholder; `placeholders` adds codes
  that mean "missing" in that column only ("-*": negative amounts in a money column);
  `number_repeats = ["Phase"]` makes a key unique: the n-th row (n >= 2) with the same value and the
  same values in the listed columns gets " #n" appended (two projects with the same name and their
  phases), and the count is reported.
- Per table: `distinct = true` keeps one of rows that are identical once mapped (projects read from a
  file of project phases; exact duplicate rows), and the count is reported. Validation messages of
  such a table count the rows that remain, not the file's rows.
"""
from __future__ import annotations

from pmo_analytics.ingest.profiles.mapping import stage, stage_frame
from pmo_analytics.ingest.profiles.model import (
    SHIPPED,
    TEMPLATE_FIELD,
    ColumnMap,
    Profile,
    candidates,
    parse,
    resolve,
    shipped,
)
from pmo_analytics.ingest.profiles.reading import DELIMITERS, detect, fallback, header_of, read_table

__all__ = ["DELIMITERS", "SHIPPED", "TEMPLATE_FIELD", "ColumnMap", "Profile", "candidates", "detect", "fallback",
           "header_of", "parse", "read_table", "resolve", "shipped", "stage", "stage_frame"]
