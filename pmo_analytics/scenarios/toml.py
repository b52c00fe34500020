"""Scenarios as TOML files: the text a PMO keeps, diffs and brings to a committee.

Read with the standard library's tomllib; written by hand (no extra dependency) in a fixed layout,
[scenario] then one [[change]] per change, so from_toml(to_toml(s)) == s. Every key is checked: an
unknown one (a typo) is an error naming the file and the change, never silently ignored.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import tomllib

from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.scenarios.model import KINDS, Change, Scenario

SCENARIO_KEYS = ("name", "as_of", "version", "author", "description", "created", "budget_limit")
CHANGE_KEYS = tuple(f.name for f in dataclasses.fields(Change))
_TABLES = ("budget", "demand")  # written as sub-tables, after the change's other keys
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _text(value: str) -> str:
    # JSON's escapes (\" \\ \n \t \uXXXX) are all valid in a TOML basic string; DEL must be escaped too.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(key: str) -> str:
    return key if _BARE.match(key) else _text(key)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text (the layout the module docstring describes)."""
    s = scenario
    lines = ["[scenario]", f"name = {_text(s.name)}", f'as_of = "{s.as_of:%Y-%m}"', f"version = {s.version}"]
    for key in ("author", "created"):
        if getattr(s, key) is not None:
            lines.append(f"{key} = {_text(getattr(s, key))}")
    if s.description:
        lines.append(f"description = {_text(s.description)}")
    if s.budget_limit is not None:
        lines.append(f"budget_limit = {_value(s.budget_limit)}")
    for change in s.changes:
        lines += ["", "[[change]]"]
        lines += [f"{key} = {_value(getattr(change, key))}" for key in CHANGE_KEYS
                  if key not in _TABLES and getattr(change, key) is not None]
        if change.budget is not None:
            lines.append("[change.budget]")
            lines += [f"{_text(month)} = {_value(v)}" for month, v in change.budget.items()]
        for role, hours in (change.demand or {}).items():
            lines.append(f"[change.demand.{_key(role)}]")
            lines += [f"{_text(month)} = {_value(v)}" for month, v in hours.items()]
        if change.demand == {}:
            lines.append("[change.demand]")
    return "\n".join(lines) + "\n"


def from_toml(text: str, source: str) -> Scenario:
    """The scenario written in `text` (read from `source`, a file name for messages).

    Raises ScenarioError "<source>: line N: <what tomllib says>" for text that is not TOML, and
    "<source>: change N (<kind>): <field> ..." for a change that is wrong (unknown key, missing or
    bad value)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _AT.search(message)
        where = f"line {at.group(1)}: " if at else ""
        raise ScenarioError(f"{source}: {where}{_AT.sub('', message)}") from None
    unknown = sorted(set(data) - {"scenario", "change"})
    if unknown:
        raise ScenarioError(f"{source}: unknown table or key {unknown[0]!r} (a scenario file has "
                            "[scenario] and [[change]] tables only)")
    rows = data.get("change", [])
    if not isinstance(rows, list):
        raise ScenarioError(f"{source}: write each change as a [[change]] table (double brackets), not [change]")
    head = data.get("scenario")
    if not isinstance(head, dict):
        raise ScenarioError(f"{source}: no [scenario] table (it gives the name and the as_of month)")
    _known(head, SCENARIO_KEYS, f"{source}: [scenario]")
    for key in ("name", "as_of"):
        if key not in head:
            raise ScenarioError(f"{source}: [scenario]: {key} is required")
    changes = tuple(_change(row, i, source) for i, row in enumerate(rows, 1))
    as_of = head["as_of"]
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    try:
        return Scenario(**{**head, "as_of": as_of, "changes": changes})
    except ScenarioError as exc:
        named = f"scenario {str(head['name'])[:64]!r}: "
        raise ScenarioError(f"{source}: [scenario]: {str(exc).removeprefix(named)}") from None


def _known(table: dict, keys: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in keys:
            raise ScenarioError(f"{where}: unknown key {key!r} (known: {', '.join(keys)})")


def _change(row, position: int, source: str) -> Change:
    if not isinstance(row, dict):
        raise ScenarioError(f"{source}: change {position}: not a table")
    kind = row.get("kind")
    label = f"{source}: change {position} ({kind})"
    if kind is None:
        raise ScenarioError(f"{source}: change {position}: kind is required (one of {', '.join(KINDS)})")
    _known(row, CHANGE_KEYS, label)
    change = Change(**row)
    change.validate(position, where=f"{source}: ")
    return change
