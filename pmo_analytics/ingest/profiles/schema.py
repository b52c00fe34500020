"""Every key a profile file may set, declared once: its default, the type it expects and what it does.

`check` holds parsed TOML against SCHEMA (sections -> keys) and COLUMN (the keys of a column spec
table) and raises one UsageError line naming the file, the key (`[read] header_row`,
`[tables.budget_lines] forecast.scale`) and what was expected; `profiles.parse` calls it first.
A key that takes a list of strings also takes one string, meaning a list of one.
"""
from __future__ import annotations

import codecs
import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from pmo_analytics.contract import DATE, INTEGER, NUMBER, TABLES
from pmo_analytics.exceptions import UsageError

KINDS = ("mapped", "canonical", "workbook", "mspdi", "schedule")
FIELD = re.compile(r"\{([^{}]+)\}")  # a {column} of a template, as profiles.TEMPLATE_FIELD
# The strptime directives DuckDB knows (it reads the dates); anything else after % is refused.
DIRECTIVE = re.compile(r"%(-[dmyHIMSj]|[aAbBcdfgGhHIjmMnpSTuUVwWxXyYzZ%])")

Check = Callable[[Any], "str | None"]  # None when the value is fine, else what is wrong ("got 0")


def shown(v, limit: int = 60) -> str:
    """A value as it would be written in TOML, cut to `limit` characters."""
    if isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, str):
        text = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n") + '"'
    elif isinstance(v, list):
        text = "[" + ", ".join(shown(x, limit) for x in v) + "]"
    elif isinstance(v, dict):
        text = "{ " + ", ".join(f"{k} = {shown(x, limit)}" for k, x in v.items()) + " }"
    else:
        text = str(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is(ok: Callable[[Any], bool]) -> Check:
    return lambda v: None if ok(v) else f"got {shown(v)}"


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _date_format(v) -> bool:
    return (isinstance(v, str) and "%" not in DIRECTIVE.sub("", v)
            and any(d != "%" for d in DIRECTIVE.findall(v)))


def _encoding(v) -> bool:
    if v == "auto":
        return True
    try:
        found = codecs.lookup(v)
    except (LookupError, TypeError):
        return False
    return found._is_text_encoding and found.name != "undefined"


def _separator(v, empty: bool = False) -> bool:
    """One character that is not a digit, a sign, a bracket or a space ('' too when `empty`)."""
    return isinstance(v, str) and (v == "" and empty or len(v) == 1 and not (v.isdigit() or v in "+-() \t"))


def _strings(item: Callable[[Any], bool] = _text, empty: bool = True) -> Check:
    """A list of strings, each passing `item` (one string is a list of one); `empty`: [] allowed."""
    def check(v):
        items = [v] if isinstance(v, str) else v
        if not isinstance(items, list) or not (items or empty):
            return f"got {shown(v)}"
        bad = [x for x in items if not (isinstance(x, str) and item(x))]
        return f"got {shown(bad[0])}" + (f" in {shown(v)}" if isinstance(v, list) else "") if bad else None
    return check


def _template(v) -> bool:
    if not isinstance(v, str):
        return False
    names = [f.strip() for f in FIELD.findall(v)]
    return any(n and n != "as_of" for n in names) and not re.search(r"[{}]", FIELD.sub("", v))


def _values(v) -> str | None:
    if not isinstance(v, dict):
        return f"got {shown(v)}"
    bad = [k for k, x in v.items() if not isinstance(x, str)]
    return f"got {bad[0]} = {shown(v[bad[0]])}" if bad else None


@dataclass(frozen=True)
class Key:
    """One key of a profile: its default, the type expected (said in errors) and what it does."""

    default: Any
    expected: str
    check: Check
    help: str


TEXT_OR_NUMBER = "a string or a finite number"
OLD_ID = "<old id>"  # the [id_map] entries: any key but file
SCHEMA: dict[str, dict[str, Key]] = {
    "": {
        "name": Key(None, "a non-empty string", _is(_text), "the profile's name (default: the file name)"),
        "description": Key("", "a string", _is(lambda v: isinstance(v, str)), "one line for `pmo profiles`"),
        "kind": Key("mapped", f"one of {', '.join(KINDS)}", _is(lambda v: v in KINDS),
                    "mapped: [read] and [tables] say how to read an export; the others are built-in readers"),
    },
    "read": {
        "encoding": Key("auto", 'a text encoding Python knows (e.g. "utf-8", "cp1252") or "auto"',
                        _is(_encoding), "auto: UTF-8 when the bytes are valid UTF-8, else Windows-1252"),
        "delimiter": Key("auto", 'one character, "\\\\t" for tab, or "auto"',
                         _is(lambda v: isinstance(v, str) and (v in ("auto", "\\t") or len(v) == 1
                                                               and v not in '"\r\n')),
                         "the field separator; auto: sniffed from the first lines"),
        "header_row": Key(1, "a positive whole number (1 = the first line)",
                          _is(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1),
                          "the line the header is on"),
        "transpose": Key(False, "true or false", _is(lambda v: isinstance(v, bool)),
                         "the export has one column per project: read it turned"),
        "decimal": Key(".", "one character, not a digit, sign, bracket or space", _is(_separator),
                       "the decimal mark of numbers"),
        "thousands": Key(None, 'one character, not a digit, sign or bracket, or "" for none',
                         _is(lambda v: _separator(v, empty=True) or v == " "),
                         "the thousands separator, dropped (default: ',' or '.' when decimal is ',')"),
        "dates": Key(("%Y-%m-%d",), 'a list of date formats, each with a % directive (e.g. "%d.%m.%Y")',
                     _strings(_date_format, empty=False), "the formats dates are written in, tried in turn"),
        "placeholders": Key((), "a list of strings", _strings(),
                            "codes meaning 'no value' (`*` matches any text): loaded as missing, counted"),
        "units": Key((), "a list of strings", _strings(), "unit words after numbers ('£1.90m'), dropped"),
    },
    "detect": {
        "columns": Key((), "a list of export column names", _strings(),
                       "pick this profile when all these columns are in a file's header"),
    },
    # Project IDs that changed (a tool renumbered its projects): applied to project_id and every
    # reference to it when staging, once (a -> b and b -> a swap), after numbering and mappings.
    "id_map": {
        "file": Key(None, "a path to a CSV file (relative to the profile) with the header old_id,new_id",
                    _is(_text), "the old -> new project IDs, one pair a line, beside any given here"),
        OLD_ID: Key(None, "a non-empty string, the new id (quote an old id that has dots or spaces: "
                          '"A.1" = "B-1")', _is(_text), '"old id" = "new id": the old project ID is loaded '
                    "as the new one"),
    },
}
TABLE: dict[str, Key] = {
    "distinct": Key(False, "true or false", _is(lambda v: isinstance(v, bool)),
                    "keep once the rows that are identical once mapped"),
}
COLUMN: dict[str, Key] = {
    "columns": Key((), "an export column name or a list of them", _strings(empty=False),
                   "the export columns feeding this one; the first non-empty wins"),
    "column": Key((), "an export column name or a list of them", _strings(empty=False), "as columns"),
    "value": Key(None, TEXT_OR_NUMBER, _is(lambda v: _text(v) or _number(v) or v == ""),
                 "a constant ('{as_of}': the snapshot month)"),
    "scale": Key(None, "a finite non-zero number", _is(lambda v: _number(v) and v != 0),
                 "a factor numbers are multiplied by (1e6: millions)"),
    "values": Key((), "a table of export value = canonical value (strings)", _values,
                  "value mapping, case ignored ('' maps to missing)"),
    "formats": Key((), SCHEMA["read"]["dates"].expected, _strings(_date_format, empty=False),
                   "date formats of this column, instead of [read] dates"),
    "template": Key(None, 'a string naming export columns in braces, e.g. "{School} - {Description}"',
                    _is(_template), "text built from several export columns"),
    "default": Key(None, TEXT_OR_NUMBER, _is(lambda v: _text(v) or _number(v)),
                   "the value when the export's cell is empty or a placeholder"),
    "number_repeats": Key(None, "a list of export column names", _strings(),
                          "number the n-th repeat of a value (with these columns) ' #n'"),
    "placeholders": Key((), "a list of strings", _strings(), "codes meaning 'missing' in this column only"),
}
SPEC = f"an export column name, a list of them, or a table of {', '.join(COLUMN)}"
SOURCES = ("columns", "column", "template", "value")
SECTIONS = [f"[{s}]" for s in SCHEMA if s] + ["[tables.<table>]"]


def default(section: str, key: str):
    """A key's declared default (section '' is the top level)."""
    return SCHEMA[section][key].default


def setting(data: dict, section: str, key: str):
    """A key's value in parsed TOML (section '' is the top level), else its declared default."""
    values = data if not section else data.get(section, {})
    return values.get(key, SCHEMA[section][key].default)


def strings(v) -> tuple[str, ...]:
    """A checked list-of-strings value as a tuple (one string is a list of one)."""
    return (v,) if isinstance(v, str) else tuple(v)


def _fail(where: str, label: str, expected: str, problem: str):
    raise UsageError(f"{where}: {label}: expected {expected}, {problem}")


def _mean(word: str, known, form: str = "{}") -> str:
    """' (did you mean X?)' for the known name closest to `word`, or ''."""
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {form.format(close[0])}?)" if close else ""


def _keys(where: str, label: str, keys: dict[str, Key], values: dict) -> None:
    """Every key of `values` known in `keys` and of the type declared."""
    for k, v in values.items():
        if k not in keys:
            raise UsageError(f"{where}: {label}{k}: unknown key{_mean(k, keys)}; "
                             f"expected one of {', '.join(keys)}")
        problem = keys[k].check(v)
        if problem:
            _fail(where, label + k, keys[k].expected, problem)


def _top(where: str, data: dict) -> None:
    """Sections are tables, top-level keys are known; an unknown one is named with a suggestion."""
    expected = f"one of {', '.join(SCHEMA[''])} or a section {', '.join(SECTIONS)}"
    for key, value in data.items():
        section = key in SCHEMA or key == "tables"
        if section and not isinstance(value, dict):
            _fail(where, f"[{key}]", f"a table (a [{key}] section)", f"got {shown(value)}")
        if section or key in SCHEMA[""]:
            continue
        home = [s for s in SCHEMA if s and key in SCHEMA[s]]
        if isinstance(value, dict):
            hint = _mean(key, [s for s in SCHEMA if s] + ["tables"], "[{}]")
            raise UsageError(f"{where}: [{key}]: unknown section{hint}; expected {', '.join(SECTIONS)}")
        hint = f" (it belongs in [{home[0]}])" if home else _mean(key, list(SCHEMA[""]) + [s for s in SCHEMA if s])
        raise UsageError(f"{where}: {key}: unknown top-level key{hint}; expected {expected}")


def check(data: dict, where: str) -> None:
    """Raises a UsageError naming the file, the key and the type expected, for the first key amiss."""
    if not data:
        raise UsageError(f"{where}: the profile is empty; expected at least kind, [read] or [tables.<table>]")
    _top(where, data)
    _keys(where, "", SCHEMA[""], {k: v for k, v in data.items() if k in SCHEMA[""]})
    for section in ("read", "detect"):
        _keys(where, f"[{section}] ", SCHEMA[section], data.get(section, {}))
    _id_map(where, data.get("id_map", {}))
    decimal = setting(data, "read", "decimal")
    thousands = setting(data, "read", "thousands")
    if decimal == thousands:
        raise UsageError(f"{where}: [read] decimal, thousands: expected two different characters, got "
                         f"{shown(decimal)} for both (12{decimal}50 would read as 1250)")
    kind = setting(data, "", "kind")
    for section in ("read", "detect", "tables", "id_map"):
        if kind != "mapped" and section in data:
            _fail(where, f"[{section}]", f'no [{section}] with kind = "{kind}" (it is for kind = "mapped")',
                  f"got [{section}]")
    for table, columns in data.get("tables", {}).items():
        _table(where, table, columns)


def _id_map(where: str, entries: dict) -> None:
    """[id_map]: `file` and "old id" = "new id" entries, every id a non-empty string."""
    for k, v in entries.items():
        key = SCHEMA["id_map"]["file" if k == "file" else OLD_ID]
        label = "[id_map] " + (k if k == "file" else shown(k))
        if k != "file" and not k.strip():
            _fail(where, label, "a non-empty old id as the key", "got an empty one")
        problem = key.check(v)
        if problem:
            _fail(where, label, key.expected, problem)


def _table(where: str, table: str, columns) -> None:
    """A [tables.<table>] section: a contract table, contract columns and valid column specs."""
    label = f"[tables.{table}]"
    if table not in TABLES:
        raise UsageError(f"{where}: unknown table {label}{_mean(table, TABLES)}; expected one of "
                         f"{', '.join(f'[tables.{t}]' for t in TABLES)}")
    if not isinstance(columns, dict):
        _fail(where, label, "a table of canonical column = export column", f"got {shown(columns)}")
    contract = TABLES[table]
    options = {k: v for k, v in columns.items() if k in TABLE and k not in contract.column_names}
    _keys(where, label + " ", TABLE, options)
    unknown = sorted(set(columns) - set(contract.column_names) - set(options))
    if unknown:
        raise UsageError(f"{where}: {label} has columns the contract does not know: {', '.join(unknown)}"
                         f"{_mean(unknown[0], contract.column_names)}; expected columns of {table}: "
                         f"{', '.join(contract.column_names)}")
    for name, spec in columns.items():
        if name not in options:
            _column(where, f"{label} {name}", spec, contract.column(name))


def _column(where: str, label: str, spec, column) -> None:
    """One column spec: export column name(s), or a table of known keys with one source."""
    if isinstance(spec, (str, list)):
        problem = _strings(empty=False)(spec)
        if problem:
            _fail(where, label, SPEC, problem)
        return
    if not isinstance(spec, dict):
        _fail(where, label, SPEC, f"got {shown(spec)}")
    _keys(where, label + ".", COLUMN, spec)
    given = [k for k in SOURCES if k in spec]
    if len(given) != 1:
        _fail(where, label, f"exactly one of {', '.join(SOURCES)}", f"got {', '.join(given) or 'none'}")
    if "value" in spec and len(spec) > 1:
        others = ", ".join(k for k in spec if k != "value")
        _fail(where, label, "no other key beside value (a constant)", f"got {others}")
    if "scale" in spec and column.type not in (NUMBER, INTEGER):
        _fail(where, f"{label}.scale", "scale only on a number column", f"got it on a {column.type} column")
    if "formats" in spec and column.type != DATE:
        _fail(where, f"{label}.formats", "formats only on a date column", f"got them on a {column.type} column")
