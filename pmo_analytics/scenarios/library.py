"""The scenarios saved in the workbench database: save a new version, read one back, list them with
whether each is stale (a newer snapshot has landed), pick those of a snapshot (or a worked example
when none is saved), and bring TOML files in and out.

A saved version is never changed: saving the same name again makes the next version, and the TOML
stored is the one `pmo scenario export` gives back, byte for byte.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from pmo_analytics.exceptions import InputError, ScenarioError
from pmo_analytics.scenarios.model import Change, Scenario
from pmo_analytics.scenarios.toml import from_toml, to_toml
from pmo_analytics.store import connection, loads
from pmo_analytics.store import scenarios as saved


def _stamp() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


def save(scenario: Scenario, database=None) -> Scenario:
    """Publishes `scenario` as the next version of its name and returns it with that version. Its
    snapshot must be loaded (a scenario of a month the database lacks could never be applied)."""
    with connection.connect(database) as con:
        months = loads.months(con)
    if scenario.as_of not in months:
        raise ScenarioError(f"scenario '{scenario.name}': no snapshot {scenario.as_of:%Y-%m} is loaded "
                            f"(loaded: {', '.join(f'{m:%Y-%m}' for m in months) or 'none'})")
    created = scenario.created or _stamp()
    version = saved.save(database, scenario.name, scenario.as_of, scenario.author, scenario.description,
                         len(scenario.changes),
                         lambda v: to_toml(dataclasses.replace(scenario, version=v, created=created)))
    return dataclasses.replace(scenario, version=version, created=created)


def get(name: str, version: int | None = None, database=None) -> Scenario:
    """The saved scenario `name` (its latest version unless `version`); ScenarioError naming what is saved."""
    with connection.connect(database) as con:
        found = saved.text(con, name, version)
        names = sorted({r["name"] for r in saved.listing(con)})
    if found is None:
        which = f"'{name}' version {version}" if version else f"'{name}'"
        raise ScenarioError(f"no scenario {which} is saved (saved: {', '.join(names) or 'none'}; "
                            "create one with pmo scenario new or pmo scenario import)")
    return from_toml(found[1], source=f"scenario '{name}' version {found[0]}")


def listing(database=None) -> list[dict]:
    """Every saved version (store.scenarios.COLUMNS) plus `stale`: the latest snapshot's date when it is
    newer than the one the version is built on, else None."""
    with connection.connect(database) as con:
        rows = saved.listing(con)
        latest = loads.latest(con)
    return [{**r, "stale": latest if latest and latest > r["as_of"] else None} for r in rows]


def for_snapshot(as_of: dt.date, names=None, database=None) -> list[Scenario]:
    """The scenarios `names` (latest versions), refusing one built on another snapshot than `as_of`;
    without names, the latest version of each scenario saved for `as_of`; else []."""
    if names:
        named = [get(name, database=database) for name in names]
        for s in named:
            if s.as_of != as_of:
                raise ScenarioError(f"scenario '{s.name}' is built on the {s.as_of:%Y-%m} snapshot, not {as_of:%Y-%m}: "
                                    f"set month = '{s.as_of:%Y-%m}', or replay it (pmo scenario replay {s.name})")
        return named
    latest: dict[str, int] = {}
    for r in listing(database):
        if r["as_of"] == as_of:
            latest[r["name"]] = max(r["version"], latest.get(r["name"], 0))
    return [get(name, version, database=database) for name, version in latest.items()]


def worked_example(drivers, as_of: dt.date, n: int = 2, months: int = 3) -> Scenario | None:
    """A scenario deferring the first `n` of `drivers` (project ids, most hours in over-capacity
    team-weeks first) by `months`: what to try when none is saved. None without a driver."""
    defer = [Change("defer", project_id=p, months=months, who="PMO", why="relieve the over-capacity team-weeks")
             for p in list(drivers)[:n]]
    if not defer:
        return None
    which = "largest overload driver" if len(defer) == 1 else f"{len(defer)} largest overload drivers"
    return Scenario("worked-example", as_of, defer, author="PMO",
                    description=f"defer the {which} by {months} month{'' if months == 1 else 's'}")


def read_file(path) -> Scenario:
    """The scenario in a TOML file; InputError naming the file when it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it as a UTF-8 TOML file ({type(exc).__name__})") from None
    return from_toml(text, source=str(path))


def write_file(scenario: Scenario, path) -> Path:
    """Writes the scenario's TOML to `path`, refusing to replace a file that is not a scenario's TOML
    (the workbench never overwrites a file it did not write)."""
    path = Path(path)
    if path.exists():
        try:
            from_toml(path.read_text(encoding="utf-8"), source=str(path))
        except (ScenarioError, UnicodeDecodeError, OSError):
            raise InputError(f"{path}: exists and is not a scenario file; not overwritten") from None
    tmp = path.with_name(f".{path.name}.writing")
    tmp.write_text(to_toml(scenario), encoding="utf-8")
    tmp.replace(path)
    return path
