"""The profile model: Profile and ColumnMap, parsed from TOML (schema.py checks every key first), and
where profiles come from (the shipped ones, `--profile`, the data folder's for auto-detection)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pmo_analytics import packaged
from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import UsageError
from pmo_analytics.ingest.profiles import schema

SHIPPED = packaged.PROFILES


@dataclass(frozen=True)
class ColumnMap:
    """Where one canonical column comes from: export columns (first non-empty wins) or a constant."""

    sources: tuple[str, ...] = ()
    value: str | None = None
    scale: float | None = None
    values: tuple[tuple[str, str], ...] = ()  # (export value lower-cased, canonical value)
    formats: tuple[str, ...] = ()  # date formats for this column, overriding the profile's
    template: str | None = None  # text built from export columns: "{Col A} - {Col B}"
    default: str | None = None  # value when the export's cell is empty or a placeholder
    number_repeats: tuple[str, ...] | None = None  # export columns that, with the value, must be unique
    placeholders: tuple[str, ...] = ()  # codes meaning "missing" in this column only, besides the profile's


@dataclass(frozen=True)
class Profile:
    """A parsed profile file."""

    name: str
    description: str = ""
    path: Path | None = None
    kind: str = schema.default("", "kind")  # mapped | canonical | workbook | mspdi | schedule
    encoding: str = schema.default("read", "encoding")
    delimiter: str = schema.default("read", "delimiter")
    header_row: int = schema.default("read", "header_row")
    transpose: bool = schema.default("read", "transpose")
    decimal: str = schema.default("read", "decimal")
    thousands: str = ","  # the schema's default depends on decimal: ',' or '.' when decimal is ','
    dates: tuple[str, ...] = schema.default("read", "dates")
    placeholders: tuple[str, ...] = schema.default("read", "placeholders")
    units: tuple[str, ...] = schema.default("read", "units")  # unit words after numbers ('£1.90m'), dropped
    detect: tuple[str, ...] = schema.default("detect", "columns")
    tables: dict[str, dict[str, ColumnMap]] = field(default_factory=dict)
    distinct: tuple[str, ...] = ()  # tables whose rows identical once mapped are kept once
    id_map: tuple[tuple[str, str], ...] = ()  # [id_map] "old id" = "new id" (project IDs), as written
    id_map_file: Path | None = None  # [id_map] file: more pairs, read when a file is staged

    def feeds(self, path: Path) -> list[str]:
        """The canonical tables a file read with this profile feeds."""
        if self.tables:
            return list(self.tables)
        stem = path.stem.strip().lower()
        return [stem] if stem in TABLES else []


def norm(name: str) -> str:
    """A header name as compared: no case, runs of spaces, line breaks and underscores as one space."""
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


def matches(pattern: str, names) -> list:
    """The names (normalised) that an export column name matches: equal, or by `*` wildcards."""
    want = norm(pattern)
    if "*" not in want:
        return [n for n in names if n == want]
    rx = re.compile(".*".join(re.escape(part) for part in want.split("*")), re.DOTALL)
    return [n for n in names if rx.fullmatch(n)]


TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


def _column_map(spec) -> ColumnMap:
    """A ColumnMap from a column spec the schema has checked (profile_schema.COLUMN)."""
    if not isinstance(spec, dict):
        return ColumnMap(sources=schema.strings(spec))
    repeats = spec.get("number_repeats")
    return ColumnMap(
        sources=schema.strings(spec.get("columns", spec.get("column", ()))),
        value=None if "value" not in spec else str(spec["value"]),
        scale=spec.get("scale"),
        values=tuple((norm(k), v) for k, v in spec.get("values", {}).items()),
        formats=schema.strings(spec.get("formats", ())),
        template=spec.get("template"),
        default=None if "default" not in spec else str(spec["default"]),
        number_repeats=None if repeats is None else schema.strings(repeats),
        placeholders=schema.strings(spec.get("placeholders", ())),
    )


def parse(text: str, path: Path | None = None, name: str | None = None) -> Profile:
    """A Profile from TOML text, checked against profile_schema; errors name the file and the key."""
    where = str(path or name or "profile")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where}: not valid TOML: {exc}") from None
    schema.check(data, where)

    def get(section: str, key: str):
        return schema.setting(data, section, key)

    tables, distinct = {}, []
    for table, cols in data.get("tables", {}).items():
        cols = dict(cols)
        if "distinct" not in TABLES[table].column_names and cols.pop("distinct", False):
            distinct.append(table)
        tables[table] = {c: _column_map(spec) for c, spec in cols.items()}
    decimal, thousands = get("read", "decimal"), get("read", "thousands")
    id_map, id_map_file = data.get("id_map", {}), get("id_map", "file")
    if id_map_file is not None:  # relative to the profile's folder
        id_map_file = (path.parent if path else Path()) / id_map_file
    if id_map_file is not None and not id_map_file.is_file():
        raise UsageError(f"{where}: [id_map] file: no such file {id_map_file}")
    return Profile(
        name=get("", "name") or name or (path.stem if path else "profile"),
        description=get("", "description"),
        path=path,
        kind=get("", "kind"),
        encoding=get("read", "encoding"),
        delimiter=get("read", "delimiter"),
        header_row=get("read", "header_row"),
        transpose=get("read", "transpose"),
        decimal=decimal,
        thousands=("," if decimal == "." else ".") if thousands is None else thousands,
        dates=schema.strings(get("read", "dates")),
        placeholders=schema.strings(get("read", "placeholders")),
        units=schema.strings(get("read", "units")),
        detect=schema.strings(get("detect", "columns")),
        tables=tables,
        distinct=tuple(distinct),
        id_map=tuple((k.strip(), v.strip()) for k, v in id_map.items() if k != "file"),
        id_map_file=id_map_file,
    )


def _read_file(path: Path) -> Profile:
    """A Profile from a .toml file; a folder, unreadable or non-UTF-8 file is a UsageError naming it."""
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; expected a profile file (UTF-8 TOML)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the profile ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start}); expected a profile file saved as "
                         "UTF-8 TOML") from None
    return parse(text, path=path)


def shipped() -> dict[str, Profile]:
    """The profiles that come with the workbench, by name."""
    out = {}
    for f in sorted(SHIPPED.glob("*.toml")):
        profile = parse(f.read_text(encoding="utf-8"), path=f)
        out[profile.name] = profile
    return out


def resolve(spec: str | None) -> Profile | None:
    """A profile from `--profile`: a shipped name or a path to a .toml file."""
    if spec is None:
        return None
    profiles = shipped()
    if spec in profiles:
        return profiles[spec]
    path = Path(spec)
    if path.suffix.lower() == ".toml":
        if not (path.exists() or path.is_symlink()):
            raise UsageError(f"{path}: no such profile file")
        return _read_file(path)
    raise UsageError(f"unknown profile {spec!r}: give a .toml file or one of {', '.join(profiles)}")


def candidates(folder: Path) -> list[Profile]:
    """Profiles to try for auto-detection: those kept next to the data first, then the shipped ones."""
    local = []
    for f in sorted(folder.glob("*.toml")):
        try:
            local.append(_read_file(f))
        except UsageError as exc:  # refused, not skipped: the user meant it to be tried
            raise UsageError(f"{exc} (a profile in the data folder, tried for auto-detection; fix or "
                             "move it)") from None
    return local + [p for p in shipped().values() if p.detect]
