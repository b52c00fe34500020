"""Reading Excel workbooks (.xlsx, .xlsm): the one place the workbench opens them, safely and honestly.

Before openpyxl parses anything, the archive's declared sizes (a true bound: zipfile inflates no member past
it) must fit `max_workbook_mb`, and the shared strings and chosen sheet are streamed through expat, keeping
no text, to refuse cells over Excel's 32,767 characters, DTDs and truncated XML, and to turn formulas with no
saved value and error cells into errors naming the cell. Rows are numbered as everywhere (1 = first data row)."""
from __future__ import annotations

import datetime as dt
import posixpath
import re
import warnings
import xml.parsers.expat as expat
import zipfile
import zlib
from collections import namedtuple
from contextlib import closing
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries

from pmo_analytics.contract import TABLES
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.settings import MAX_WORKBOOK_MB

CELL_LIMIT, FORMULA_LIMIT = 32_767, 8_192  # characters Excel lets a cell value and a formula have
RATIO_LIMIT, RATIO_FLOOR = 200, 64 << 20  # a member over 64 MB inflating 200 times is no export
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NO_VALUE = "(open and save the workbook in Excel, or paste values)"
UNREADABLE = "not a readable Excel workbook"
SheetInfo = namedtuple("SheetInfo", "name state member kind")  # as workbook.xml lists it, in tab order
Sheet = namedtuple("Sheet", "name header rows header_row notes")  # text; header_row 0: no header


class _Refused(Exception):
    """Raised inside an expat handler to stop at the first thing refused (None: a DTD)."""


def read(path, sheet: str | None = None, table: str | None = None, header_row: int | None = None,
         columns=None) -> Sheet:
    """The sheet `sheet`, else the visible sheet named after `table`, else the first visible one. header_row:
    the header's Excel row (None: found from `table`; 0: all rows, transposed); columns: header names whose
    formula and error cells block the load (None: all)."""
    path = Path(path)
    with _open(path) as zf:
        infos, strings = _book(path, zf)
        info, notes = _choose(path, infos, set(zf.NameToInfo), sheet, table)
        long = _Scan("", strings=True)
        if strings in zf.NameToInfo:
            _parse(path, zf, strings, "shared strings", long)
        scan = _Scan(info.name, long.long)
        _parse(path, zf, info.member, "sheet", scan)
    cells, percent = _cells(path, info.name)
    if header_row == 0:
        _raise_first(path, info.name, scan.issues, lambda r, c: f"cell {_ref(r, c)}")
        by_row = {r: [_text(v) for v in values] for r, values in cells}
        return Sheet(info.name, [], [by_row.get(r, []) for r in range(1, max(by_row, default=0) + 1)], 0, notes)
    result = _table(path, info.name, cells, percent, scan, header_row or _find_header(cells, table), columns)
    return result._replace(notes=notes + result.notes)


def tables(path, names) -> dict[str, str]:
    """Visible worksheets named after one of `names` (case and outer spaces ignored): {name: sheet}."""
    with _open(Path(path)) as zf:
        infos, _ = _book(Path(path), zf)
    found = {i.name.strip().lower(): i.name for i in infos if i.kind == "worksheet" and i.state == "visible"}
    return {n: found[n] for n in names if n in found}


def _open(path: Path) -> zipfile.ZipFile:
    """The workbook's zip archive, once its declared sizes are known to be safe to inflate."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise InputError(f"{path}: the file is empty")
    if head.startswith(OLE2):
        raise InputError(f"{path}: {_ole2(path)}")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if head.startswith(b"PK"):
            raise InputError(f"{path}: {UNREADABLE} (the zip archive is damaged: {exc}; "
                             "a copy or download cut short?)") from None
        hint = "; it is text: a CSV file named .xlsx?" if b"\x00" not in head and head.strip() else ""
        raise InputError(f"{path}: {UNREADABLE} ({exc}){hint}") from None
    try:
        _check_sizes(path, zf)
        return zf
    except BaseException:
        zf.close()
        raise


def _ole2(path: Path) -> str:
    """What an OLE2 (pre-2007 Office) file named .xlsx is: an encrypted workbook, a .xls, or other."""
    found, tail = set(), b""
    names = {n: n.encode("utf-16-le") for n in ("EncryptedPackage", "Workbook", "Book")}
    with open(path, "rb") as fh:  # directory entries hold stream names in UTF-16
        for block in iter(lambda: fh.read(1 << 20), b""):
            found |= {n for n, raw in names.items() if raw in tail + block}
            tail = block[-40:]
    if "EncryptedPackage" in found:
        return ("the workbook is password-protected (encrypted), so it cannot be read; remove the password "
                "in Excel (File > Info > Protect Workbook > Encrypt with Password) and save it again")
    if found:
        return "an Excel 97-2003 workbook (.xls) named .xlsx; open it in Excel and save it as Excel Workbook (.xlsx)"
    return f"{UNREADABLE} (an OLE2 file of old Office format, not a zip)"


def _check_sizes(path: Path, zf: zipfile.ZipFile) -> None:
    """Refuses an archive that would inflate past the limit, or a member with a zip bomb's ratio."""
    def _size(n: int) -> str:  # binary units, as people read them: 1.5 GB, 0.2 MB
        return f"{n / (1 << 30):.1f} GB" if n >= 1 << 30 else f"{n / (1 << 20):.1f} MB"
    try:
        limit_mb = float(MAX_WORKBOOK_MB.value())
    except ValueError:
        raise UsageError(f"PMO_MAX_WORKBOOK_MB must be a number of megabytes, not "
                         f"{MAX_WORKBOOK_MB.value()!r}") from None
    total = sum(i.file_size for i in zf.infolist())
    if total > limit_mb * (1 << 20):
        raise InputError(f"{path}: the workbook would inflate to {_size(total)} (limit {limit_mb:g} MB; "
                         "set PMO_MAX_WORKBOOK_MB to raise it)")
    for i in zf.infolist():
        if i.file_size > RATIO_FLOOR and i.file_size > RATIO_LIMIT * max(i.compress_size, 1):
            raise InputError(f"{path}: {UNREADABLE} ({i.filename} would inflate {_size(i.file_size)} from "
                             f"{_size(i.compress_size)}, {i.file_size // max(i.compress_size, 1):,} times: "
                             "a zip bomb, not an export)")


def _parse(path: Path, zf, member: str, what: str, handler) -> list[dict]:
    """Streams a member through expat in 1 MB blocks into `handler` (a _Scan) or, `handler` being a tag,
    returns the attributes of those elements; every failure becomes one line naming the member."""
    found: list[dict] = []
    if isinstance(handler, str):
        tag, handler = handler, lambda name, attrs: name.rpartition(":")[2] == tag and found.append(attrs)
    def no_dtd(*_):  # Excel never writes a DTD; its entities could expand without bound
        raise _Refused(None)
    p = expat.ParserCreate()
    p.StartDoctypeDeclHandler = p.EntityDeclHandler = no_dtd
    p.StartElementHandler = getattr(handler, "start", handler)
    if isinstance(handler, _Scan):
        p.EndElementHandler, p.CharacterDataHandler = handler.end, handler.chars
    try:
        with zf.open(member) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                p.Parse(block, False)
        try:
            p.Parse(b"", True)
        except expat.ExpatError as exc:
            raise InputError(f"{path}: {UNREADABLE} ({what} XML ends early: {member}, line {exc.lineno}, "
                             f"column {exc.offset})") from None
    except expat.ExpatError as exc:
        raise InputError(f"{path}: {UNREADABLE} ({what} XML is damaged: {member}: "
                         f"{expat.ErrorString(exc.code)} at line {exc.lineno}, column {exc.offset})") from None
    except _Refused as exc:
        raise InputError(f"{path}: {exc.args[0]}" if exc.args[0] else f"{path}: {UNREADABLE} ({member} declares "
                         "a DTD, which Excel never writes: its entities could expand without bound)") from None
    except KeyError:
        raise InputError(f"{path}: {UNREADABLE} (its part {member} is missing)") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InputError(f"{path}: {UNREADABLE} ({member} is damaged: {exc}; its data does not match the "
                         "size or checksum the archive declares)") from None
    return found


def _rels(path: Path, zf, member: str) -> dict[str, tuple[str, str]]:
    """A .rels part: {id: (type, target as a zip member path)}."""
    base, found = posixpath.dirname(posixpath.dirname(member)), {}
    for a in _parse(path, zf, member, "workbook", "Relationship") if member in zf.NameToInfo else ():
        target = a.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        found[a.get("Id")] = (a.get("Type", ""), target)
    return found


def _book(path: Path, zf) -> tuple[list[SheetInfo], str]:
    """The sheets workbook.xml lists, in tab order, and the shared strings member."""
    main = next((t for k, t in _rels(path, zf, "_rels/.rels").values() if k.endswith("/officeDocument")),
                "xl/workbook.xml")
    rels = _rels(path, zf, posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels"))
    infos = []
    for a in _parse(path, zf, main, "workbook", "sheet"):
        kind, member = rels.get(next((v for k, v in a.items() if k.rpartition(":")[2] == "id"), None), ("", ""))
        infos.append(SheetInfo(a.get("name", ""), a.get("state", "visible"), member, kind.rpartition("/")[2]))
    return infos, next((t for k, t in rels.values() if k.endswith("/sharedStrings")), "")


def _choose(path: Path, infos, members: set[str], sheet, table) -> tuple[SheetInfo, list[str]]:
    """The sheet to read, never a hidden one in place of a visible one, and notes on what was skipped."""
    sheets = [i for i in infos if i.kind == "worksheet" and i.member in members]
    if sheet is not None:
        hit = [i for i in sheets if i.name.strip().lower() == sheet.strip().lower()]
        if not hit:
            raise InputError(f"{path}: the workbook has no sheet {sheet!r}")
        return hit[0], []
    visible = [i for i in sheets if i.state == "visible"]
    if not visible:
        what = "every worksheet of the workbook is hidden" if sheets else "the workbook has no worksheet"
        raise InputError(f"{path}: {what}; unhide (or add) the sheet to load and save the workbook again")
    named = [i for i in sheets if table and i.name.strip().lower() == table]
    if named and named[0].state == "visible":
        return named[0], []
    chosen = visible[0]
    notes = [f"sheet {named[0].name!r} is hidden, so it was not read (a hidden sheet is often a stale copy); "
             f"read the first visible sheet {chosen.name!r}"] if named else []
    skipped = [repr(i.name) for i in sheets[:sheets.index(chosen)] if i.state != "visible" and i not in named]
    return chosen, notes + [f"hidden sheet(s) {', '.join(skipped)} skipped; read the first visible sheet "
                            f"{chosen.name!r}"] * bool(skipped)


class _Scan:
    """expat handlers for shared strings (notes those too long for a cell) or a sheet (refuses a cell too long,
    notes formulas with no saved value, error cells, merged ranges); keeps no more than a few characters."""

    def __init__(self, sheet: str, long: set[int] = frozenset(), strings: bool = False):
        self.sheet, self.long, self.strings = sheet, set(long) if strings else long, strings
        self.row = self.pos = self.n = 0
        self.index, self.ref, self.field, self.f, self.v, self.t = -1, None, None, None, None, "n"
        self.issues, self.merges = {}, []  # column -> [count, [(Excel row, message), ...]]; "A2:A5", ...

    def start(self, name, attrs):
        name = name.rpartition(":")[2]  # without its namespace prefix ('x:c' -> 'c')
        if name in ("c", "si"):
            self.ref, self.t, self.pos, self.index = attrs.get("r"), attrs.get("t", "n"), self.pos + 1, self.index + 1
            self.f, self.v, self.n = None, None, 0
        elif name in ("v", "f", "t"):
            self.field = name
            self.v, self.f = ("" if name == "v" else self.v), ("" if name == "f" else self.f)
        elif name == "row":
            self.row, self.pos = (int(attrs["r"]) if "r" in attrs else self.row + 1), 0
        elif name == "mergeCell" and re.fullmatch(r"[A-Z]{1,3}\d+:[A-Z]{1,3}\d+", attrs.get("ref", "")):
            self.merges.append(attrs["ref"])

    def end(self, name):
        if name.rpartition(":")[2] == "c":
            self._cell()
        self.field = None

    def chars(self, data):
        if self.field is None:
            return
        self.n += len(data)  # value and formula together: Excel allows 32,767 and 8,192 characters
        if self.field == "f" and len(self.f) < 120:
            self.f += data
        elif self.field == "v" and len(self.v) < 40:
            self.v += data
        if self.n > CELL_LIMIT + (FORMULA_LIMIT if self.f is not None else 0):
            self._too_long()

    def _too_long(self):
        """A shared string too long is noted (a cell using it is refused); a cell too long is refused."""
        if self.strings:
            self.long.add(self.index)
            return
        raise _Refused(f"sheet {self.sheet}, cell {_ref(*self._position())}: a cell of more than {CELL_LIMIT:,} "
                       "characters (Excel's limit per cell), so the file was not written by Excel; refused")

    def _position(self) -> tuple[int, int]:
        """(Excel row, 0-based column) of the current cell, from its reference or its place in the row."""
        m = re.fullmatch(r"([A-Z]{1,3})(\d+)", self.ref or "")
        return (int(m[2]), column_index_from_string(m[1]) - 1) if m else (self.row, self.pos - 1)

    def _cell(self):
        """At a cell's end: a use of a too-long shared string, a formula with no saved value, an error."""
        if self.t == "s" and self.long and (self.v or "").strip().isdigit() and int(self.v) in self.long:
            self._too_long()
        if self.f is not None and (self.v is None or (self.v == "" and self.t != "str")):
            shown = f"the formula ={self.f}" if self.f else "the formula (shared with the cells above it)"
            message = f"{shown} has no saved value {NO_VALUE}"
        elif self.t == "e":
            message = f"the cell holds the Excel error {(self.v or '').strip() or '#N/A'}"
        else:
            return
        row, col = self._position()
        entry = self.issues.setdefault(col, [0, []])
        entry[0] += 1
        if len(entry[1]) < 12:
            entry[1].append((row, message))


def _cells(path: Path, name: str):
    """(Excel row, values) of the non-empty rows (openpyxl, saved values); (row, column) of percent numbers."""
    rows, percent = [], []
    try:  # openpyxl warns about what it drops (styles, extensions): nothing the workbench reads
        with warnings.catch_warnings(action="ignore"), \
                closing(openpyxl.load_workbook(path, read_only=True, data_only=True)) as book:
            ws = book[name]
            ws.reset_dimensions()  # the declared size can be a million formatted blank rows
            for r, cells in enumerate(ws.iter_rows(), 1):
                values = []
                for c, cell in enumerate(cells):
                    v = cell.value
                    if v.__class__ in (int, float) and "%" in cell.number_format:
                        percent.append((r, c))
                    elif v.__class__ is dt.time and re.search("[dy]", cell.number_format, re.I):
                        v = "1900-01-00"  # a date cell holding 0: Excel shows 00/01/1900, no real date
                    values.append(v)
                if any(v is not None for v in values):
                    rows.append((r, values))
    except Exception as exc:  # openpyxl raises many kinds for a damaged part
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"{path}: {UNREADABLE} ({first})") from None
    return rows, percent


def _text(v) -> str:
    """A cell's value as the text the workbench stages: as Excel shows it, dates in ISO."""
    if v is None or isinstance(v, str):
        return (v or "").strip()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):  # before 1900: a date cell holding 0 or less, no real date
        return "1900-01-00" if v.year < 1900 else v.isoformat(sep=" ").removesuffix(" 00:00:00")
    return v.isoformat() if isinstance(v, (dt.date, dt.time)) else str(v)


def _find_header(cells, table: str | None) -> int:
    """The header's Excel row: the first of rows 1-10 naming `table`'s required columns, else the first row."""
    for r, values in cells if table else ():
        if r <= 10 and set(TABLES[table].required) <= {v.strip().lower().replace(" ", "_") for v in values
                                                         if isinstance(v, str)}:
            return r
    return cells[0][0] if cells else 1


def _fill_merges(by_row: dict, merges, header_row: int, width: int) -> list[str]:
    """Fills merged ranges below the header with their top-left value as Excel shows it (not a number: totals)."""
    found = 0
    for c0, r0, c1, r1 in map(range_boundaries, merges):
        anchor = by_row[r0][c0 - 1] if r0 > header_row and len(by_row.get(r0, ())) >= c0 else None
        found += anchor is not None and r1 > r0
        if anchor is None or isinstance(anchor, (int, float)) and not isinstance(anchor, bool):
            continue
        for values in (by_row[r] for r in range(r0 + 1, r1 + 1) if r in by_row):
            values.extend([None] * (min(c1, width) - len(values)))
            values[c0 - 1:min(c1, width)] = [anchor] * len(values[c0 - 1:min(c1, width)])
    return [f"{found} merged cell range(s) over several rows: text read into every row of its range, a number "
            "in the first row only (so totals count it once)"] * bool(found)


def _percent(header: list[str], by_row: dict, percent) -> list[str]:
    """Percent-formatted numbers: progress read as 0-100 (45% is 45), probability kept 0-1, others kept; noted."""
    notes = []
    for c in sorted({c for _, c in percent if c < len(header)}):
        rows = [r for r, c_ in percent if c_ == c]
        name, first = header[c], by_row[rows[0]][c]
        head = f"column {name}: {len(rows)} cell(s) formatted as percent in Excel ({first:g} shown as {first * 100:g}%)"
        if re.search(r"complete|progress", name.lower()):
            for r in rows:
                by_row[r][c] = round(by_row[r][c] * 100, 9)
            notes.append(f"{head}; read as {first * 100:g}")
        elif not re.search(r"probab|likelihood", name.lower()):
            notes.append(f"{head}; kept as {first:g}")
    return notes


def _table(path: Path, name: str, cells, percent, scan: _Scan, header_row: int, columns) -> Sheet:
    """Header, data rows (blank ones dropped) and notes; raises the first formula or error cell that matters."""
    by_row = dict(cells)
    header = [_text(v) for v in by_row.get(header_row, [])]
    width = max((i + 1 for i, h in enumerate(header) if h), default=0)  # formatted blank cells end no header
    header = header[:width]
    notes = _fill_merges(by_row, scan.merges, header_row, width)
    notes += _percent(header, by_row, [(r, c) for r, c in percent if r > header_row])
    relevant = {c for c in range(width) if header[c] and (columns is None or  # as validation maps names:
                                                          header[c].lower().replace(" ", "_") in columns)}
    issues = {c: (n, [(r, m) for r, m in ls if r >= header_row]) for c, (n, ls) in scan.issues.items() if c in relevant}
    keep = {r for _, listed in issues.values() for r, _ in listed}
    rows, numbers, outside = [], {}, []
    for r, values in cells:
        if r > header_row:
            text = [_text(v) for v in values]
            outside += [(r, c) for c in range(width, len(text)) if text[c]]
            line = (text + [""] * width)[:width]
            if any(line) or r in keep:
                numbers[r] = len(rows) + 1
                rows.append(line)
    if outside:
        notes.append(f"{len(outside)} value(s) in columns without a header (first: {_ref(*outside[0])}); ignored")
    _raise_first(path, name, issues, lambda r, c: (f"row {numbers[r]}" if r > header_row else "header row")
                 + f", column {header[c]}")
    return Sheet(name, header, rows, header_row, notes)


def _raise_first(path: Path, sheet: str, issues: dict, where) -> None:
    """Raises the first formula or error cell of `issues` (by row, then column), counting the rest."""
    found = sorted((r, c, msg) for c, (_, listed) in issues.items() for r, msg in listed)
    if found:
        r, c, msg = found[0]
        total = sum(n for n, _ in issues.values())
        more = f", and {total - 1} more cell(s) with a formula or an error to fix" if total > 1 else ""
        raise InputError(f"{path}: sheet {sheet}, {where(r, c)}: {msg}; Excel cell {_ref(r, c)}{more}")


def _ref(row: int, col: int) -> str:
    """The Excel address of a 1-based row and 0-based column: (4, 2) -> C4."""
    return f"{get_column_letter(col + 1)}{row}"
