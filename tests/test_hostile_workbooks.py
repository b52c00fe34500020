"""Excel workbooks that lose or change data when read naively, each written here for real (openpyxl, or
zipfile for raw XML) and loaded through the CLI: a refused one gets one line naming the file, sheet, row
(1 = first data row under the header) and column, exit 1, and leaves the database and the file as they
were; a read one loads what Excel shows."""
from __future__ import annotations

import datetime as dt
import os
import re
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CANONICAL, one_line_error, sha256, tree

import pmo_analytics

HEADER = ["project_id", "name", "portfolio", "status", "bac", "start_date"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET1 = "xl/worksheets/sheet1.xml"


def project_rows(n: int = 4) -> list[list]:
    return [[f"P{i:03}", f"Project {i}", "Digital", "active", 1000 * i, dt.datetime(2025, 1, 6)]
            for i in range(1, n + 1)]


def book(path: Path, sheets: dict[str, list[list]], hidden=(), formats=None) -> Path:
    """A workbook written by openpyxl (a program that does not compute formulas)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for ref, fmt in (formats or {}).get(name, {}).items():
            ws[ref].number_format = fmt
        if name in hidden:
            ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def rewrite(path: Path, edit: dict) -> Path:
    """Rewrites members of a zip: {member: function(bytes) -> bytes, or bytes to add}."""
    with zipfile.ZipFile(path) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()]
    names = {n for n, _ in members}
    members += [(n, b"") for n in edit if n not in names]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            change = edit.get(name)
            zf.writestr(name, change(data) if callable(change) else (change if change is not None else data))
    return path


def set_cell(path: Path, ref: str, xml: str, member: str = SHEET1) -> Path:
    """Replaces one cell's XML in a sheet, as Excel would have written it."""
    pattern = re.compile(rf'<c r="{ref}"(?:\s[^>]*?)?(?:/>|>.*?</c>)', re.S)

    def edit(data: bytes) -> bytes:
        text, n = pattern.subn(xml, data.decode(), count=1)
        assert n == 1, ref
        return text.encode()
    return rewrite(path, {member: edit})


def raw_book(path: Path, sheet_data: str, shared: list[str] | None = None, extra_sheet: str = "") -> Path:
    """A workbook written member by member: one sheet `projects` with the given <sheetData> rows and,
    optionally, a shared strings part."""
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if shared is not None:
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    members = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
        '<sheet name="projects" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
        f'2006/relationships">{rels}</Relationships>',
        SHEET1: f'{extra_sheet}<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>',
    }
    if shared is not None:
        members["xl/sharedStrings.xml"] = (f'<sst xmlns="{MAIN}" count="{len(shared)}">'
                                           + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return path


def header_xml(names=HEADER) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{n}</t></is></c>' for i, n in enumerate(names))
    return f'<row r="1">{cells}</row>'


def row_xml(r: int, values) -> str:
    cells = []
    for i, v in enumerate(values):
        ref = f"{chr(65 + i)}{r}"
        if isinstance(v, str) and v.startswith("<c"):
            cells.append(v.format(ref=ref))
        elif isinstance(v, str):
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        else:
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
    return f'<row r="{r}">{"".join(cells)}</row>'


def query(db: Path, sql: str) -> list[tuple]:
    with pmo_analytics.connect(db) as con:
        return con.sql(sql).fetchall()


def march(db: Path, table: str, columns: str) -> list[tuple]:
    return query(db, f"SELECT {columns} FROM {table} WHERE as_of = DATE '2025-03-31' ORDER BY ALL")


@pytest.fixture
def loaded(db_file, run):
    """A database holding February's canonical snapshot, to show a refused load leaves it as it was."""
    assert run("load", CANONICAL, "--as-of", "2025-02", "--db", db_file)[0] == 0
    return db_file


def refused(run, db: Path, folder: Path, message: str) -> str:
    """Loads `folder` into `db` and asserts: exit 1, one error line holding `message`, no traceback,
    the database and the input files byte-for-byte as they were."""
    before, inputs = sha256(db), tree(folder)
    code, out, err = run("load", folder, "--as-of", "2025-03", "--db", db)
    errors = one_line_error(err)
    assert code == 1, err
    assert errors and message in errors[0], err
    assert sha256(db) == before and tree(folder) == inputs
    return errors[0]


def loads(run, db: Path, folder: Path) -> str:
    code, out, err = run("load", folder, "--as-of", "2025-03", "--db", db)
    assert code == 0, err
    assert "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- 1. zip bombs

@pytest.fixture(scope="session")
def bomb(tmp_path_factory) -> Path:
    """A ~1.5 MB projects.xlsx whose shared strings inflate to 1.5 GiB, written streaming."""
    folder = tmp_path_factory.mktemp("bomb")
    path = book(folder / "projects.xlsx", {"projects": [HEADER] + project_rows(2)})
    chunk = b"x" * (1 << 20)  # one string of 1.5 GiB, deflated 1,000 to 1
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<sst xmlns="{MAIN}"><si><t>'.encode())
            for _ in range(1536):
                fh.write(chunk)
            fh.write(b"</t></si></sst>")
    assert path.stat().st_size < 3 << 20
    return folder


# Runs a command and reports its children's peak RSS: measured from a small process, since a child
# forked straight from pytest would count pytest's own memory in its peak.
MEASURE = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, "
           "stderr=open(sys.argv[1], 'w')).returncode; "
           "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def _measured(folder: Path, db: Path, env=None) -> tuple[int, str, int, float]:
    """Runs `pmo load` as a process; returns exit code, stderr, its peak RSS in MB, seconds."""
    err = db.with_suffix(".err")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", MEASURE, str(err), sys.executable, "-m", "pmo_analytics", "load",
                          str(folder), "--as-of", "2025-03", "--db", str(db)], capture_output=True, text=True,
                         env={k: v for k, v in {**os.environ, **(env or {})}.items() if k != "PMO_DB"}, check=True)
    code, peak_kb = map(int, out.stdout.split())
    return code, err.read_text(), peak_kb // 1024, time.perf_counter() - start


def test_a_zip_bomb_is_refused_before_any_xml_is_parsed(bomb, loaded):
    before, inputs = sha256(loaded), tree(bomb)
    code, err, peak_mb, seconds = _measured(bomb, loaded)
    assert code == 1, err
    assert one_line_error(err)[0] == (f"error: {bomb / 'projects.xlsx'}: the workbook would inflate to 1.5 GB "
                                      "(limit 500 MB; set PMO_MAX_WORKBOOK_MB to raise it)")
    assert peak_mb < 400 and seconds < 15, (peak_mb, seconds)
    assert sha256(loaded) == before and tree(bomb) == inputs


def test_raising_the_limit_still_refuses_the_compression_ratio(bomb, loaded, run, monkeypatch):
    monkeypatch.setenv("PMO_MAX_WORKBOOK_MB", "4000")
    refused(run, loaded, bomb, "projects.xlsx: not a readable Excel workbook (xl/sharedStrings.xml would inflate "
                               "1.5 GB from 1.5 MB, 1,0")


def test_a_member_whose_data_exceeds_its_declared_size(tmp_path, loaded, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(40)})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # central directory entries: the name starts 46 bytes in
    while data[at + 46:at + 46 + len(SHEET1)] != SHEET1.encode():
        at = data.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, 200)  # the central directory now says 200 bytes
    path.write_bytes(bytes(data))
    refused(run, loaded, path.parent, f"not a readable Excel workbook ({SHEET1} is damaged: Bad CRC-32 for file "
                                      f"'{SHEET1}'; its data does not match the size or checksum the archive declares)")


# ----------------------------------------------------------------------------- 2. cell size

def test_a_shared_string_over_excels_cell_limit_is_refused_naming_the_cell(tmp_path, loaded, run):
    rows = header_xml() + row_xml(2, ["P1", "a", "Digital", "active", 1, "2025-01-06"]) + \
        row_xml(3, ["P2", '<c r="{ref}" t="s"><v>1</v></c>', "Digital", "active", 1, "2025-01-06"])
    raw_book(tmp_path / "in" / "projects.xlsx", rows, shared=["short", "x" * 40_000])
    refused(run, loaded, tmp_path / "in", "projects.xlsx: sheet projects, cell B3: a cell of more than 32,767 "
                                          "characters (Excel's limit per cell), so the file was not written by Excel")


def test_an_inline_cell_of_60_megabytes_is_refused_streaming(tmp_path, loaded):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    set_cell(path, "B3", '<c r="B3" t="inlineStr"><is><t>' + "y" * (60 << 20) + "</t></is></c>")
    before = sha256(loaded)
    code, err, peak_mb, seconds = _measured(path.parent, loaded)
    assert code == 1 and "sheet projects, cell B3: a cell of more than 32,767 characters" in one_line_error(err)[0]
    assert peak_mb < 400, peak_mb
    assert sha256(loaded) == before


# ----------------------------------------------------------------------------- 3. percent cells

def progress_book(path: Path, header=("project_id", "period", "percent_complete"), n=12, sheet="progress") -> Path:
    rows = [list(header)] + [[f"PRJ-{i:03}", dt.datetime(2025, 3, 1), 0.45] for i in range(1, n + 1)]
    return book(path, {sheet: rows}, formats={sheet: {f"C{r}": "0%" for r in range(2, n + 2)}})


def test_percent_formatted_progress_is_read_as_shown(tmp_path, db_file, run):
    progress_book(tmp_path / "in" / "progress.xlsx")
    loads(run, db_file, tmp_path / "in")
    assert set(march(db_file, "progress", "percent_complete")) == {(45.0,)}  # EV = 45% of BAC, not 0.45%


def test_percent_formatted_progress_says_so_in_the_workbench_format(tmp_path, db_file, run):
    progress_book(tmp_path / "in" / "progress.xlsx")
    err = loads(run, db_file, tmp_path / "in")
    assert ("column percent_complete: 12 cell(s) formatted as percent in Excel (0.45 shown as 45%); "
            "read as 45") in err


STATUS_PROFILE = """name = "status"
[detect]
columns = ["Project", "Month", "% Complete"]
[tables.progress]
project_id = "Project"
period = "Month"
percent_complete = "% Complete"
"""


def test_percent_formatted_progress_in_a_tool_export_is_counted(tmp_path, db_file, run):
    folder = tmp_path / "in"
    progress_book(folder / "status.xlsx", header=("Project", "Month", "% Complete"), sheet="Status")
    (folder / "status.toml").write_text(STATUS_PROFILE)
    err = loads(run, db_file, folder)
    assert err.count("formatted as percent") == 1
    assert ("column % Complete: 12 cell(s) formatted as percent in Excel (0.45 shown as 45%); read as 45") in err
    assert set(march(db_file, "progress", "percent_complete")) == {(45.0,)}


def test_percent_formatted_probability_stays_0_to_1_and_other_columns_are_kept(tmp_path, db_file, run):
    header = ["risk_id", "project_id", "title", "status", "probability", "impact_cost"]
    rows = [header, ["R1", "PRJ-001", "Late", "open", 0.4, 0.25], ["R2", "PRJ-001", "Cost", "open", 0.1, 0.5]]
    book(tmp_path / "in" / "risks.xlsx", {"risks": rows},
         formats={"risks": {ref: "0%" for ref in ("E2", "E3", "F2", "F3")}})
    loads(run, db_file, tmp_path / "in")
    assert march(db_file, "risks", "probability, impact_cost") == [(0.1, 0.5), (0.4, 0.25)]


# ----------------------------------------------------------------------------- 4. formulas, error cells

def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(tmp_path, loaded, run):
    rows = [HEADER] + project_rows(4)
    rows[3][4] = "=B2*2"  # data row 3, column bac (E4); openpyxl saves no value for it
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    line = refused(run, loaded, tmp_path / "in", "projects.xlsx: sheet projects, row 3, column bac: the formula "
                                                 "=B2*2 has no saved value (open and save the workbook in Excel, or "
                                                 "paste values)")
    assert "Excel cell E4" in line


@pytest.mark.parametrize("code", ["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"])
def test_an_excel_error_cell_is_an_error_naming_the_cell(tmp_path, loaded, run, code):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    set_cell(path, "E3", f'<c r="E3" t="e"><f>B3/0</f><v>{code}</v></c>')
    refused(run, loaded, path.parent, f"projects.xlsx: sheet projects, row 2, column bac: the cell holds the Excel "
                                      f"error {code}; Excel cell E3")


def test_errors_in_a_column_the_contract_ignores_do_not_block(tmp_path, db_file, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER + ["lookup"]] +
                                                    [r + ["x"] for r in project_rows(2)]})
    set_cell(path, "G2", '<c r="G2" t="e"><f>VLOOKUP(A2,Z:Z,2,0)</f><v>#N/A</v></c>')
    loads(run, db_file, path.parent)
    assert len(march(db_file, "projects", "project_id")) == 2


def test_a_formula_with_a_saved_value_is_read_as_that_value(tmp_path, db_file, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(2)})
    set_cell(path, "E3", '<c r="E3"><f>E2*2</f><v>2000</v></c>')
    loads(run, db_file, path.parent)
    assert march(db_file, "projects", "bac") == [(1000.0,), (2000.0,)]


def test_rows_are_numbered_as_validation_numbers_them(tmp_path, loaded, db_file, run):
    """A blank row is not counted, in the workbook's messages as in validation's."""
    rows = [HEADER] + project_rows(2) + [[None] * 6] + project_rows(4)[2:]
    rows[4][3] = "paused"  # Excel row 5, after the blank row: data row 3
    book(tmp_path / "a" / "projects.xlsx", {"projects": rows})
    assert "row 3, column status: unknown status 'paused'" in run("load", tmp_path / "a", "--as-of", "2025-03",
                                                                  "--db", loaded)[2]
    rows[4][3], rows[4][4] = "active", "=E2"
    book(tmp_path / "b" / "projects.xlsx", {"projects": rows})
    refused(run, loaded, tmp_path / "b", "sheet projects, row 3, column bac: the formula =E2 has no saved value")


# ----------------------------------------------------------------------------- 5. hidden sheets

def test_a_hidden_first_sheet_is_not_read(tmp_path, db_file, run):
    stale = [HEADER] + [["P001", "Stale copy", "Digital", "active", 1, None]]
    book(tmp_path / "in" / "projects.xlsx", {"Old": stale, "Current": [HEADER] + project_rows(2)}, hidden=("Old",))
    loads(run, db_file, tmp_path / "in")
    assert march(db_file, "projects", "name") == [("Project 1",), ("Project 2",)]


def test_a_hidden_sheet_named_after_the_table_is_not_read(tmp_path, db_file, run):
    stale = [HEADER] + [["P001", "Stale copy", "Digital", "active", 1, None]]
    book(tmp_path / "in" / "projects.xlsx", {"projects": stale, "Sheet2": [HEADER] + project_rows(2)},
         hidden=("projects",))
    loads(run, db_file, tmp_path / "in")
    assert march(db_file, "projects", "name") == [("Project 1",), ("Project 2",)]


def test_a_hidden_sheet_is_said_in_a_tool_export(tmp_path, db_file, run):
    folder = tmp_path / "in"
    progress_book(folder / "status.xlsx", header=("Project", "Month", "% Complete"), sheet="Status")
    wb = openpyxl.load_workbook(folder / "status.xlsx")
    old = wb.create_sheet("Old", 0)
    old.append(["Project", "Month", "% Complete"])
    old.append(["PRJ-001", dt.datetime(2025, 3, 1), 99])
    old.sheet_state = "hidden"
    wb.save(folder / "status.xlsx")
    (folder / "status.toml").write_text(STATUS_PROFILE)
    err = loads(run, db_file, folder)
    assert "hidden sheet(s) 'Old' skipped; read the first visible sheet 'Status'" in err
    assert set(march(db_file, "progress", "percent_complete")) == {(45.0,)}


def test_a_hidden_table_sheet_of_a_workbook_is_left_out(tmp_path, db_file, run):
    progress = [["project_id", "period", "percent_complete"], ["P001", dt.datetime(2025, 3, 1), 20]]
    book(tmp_path / "in" / "pmo.xlsx", {"projects": [HEADER] + project_rows(1), "progress": progress},
         hidden=("projects",))
    loads(run, db_file, tmp_path / "in")
    assert query(db_file, "SELECT count(*) FROM projects") == [(0,)]
    assert march(db_file, "progress", "percent_complete") == [(20.0,)]


def test_a_workbook_whose_every_sheet_is_hidden(tmp_path, loaded, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(1)})
    rewrite(path, {"xl/workbook.xml": lambda b: b.replace(b'state="visible"', b'state="hidden"')})
    refused(run, loaded, path.parent, "projects.xlsx: every worksheet of the workbook is hidden")


# ----------------------------------------------------------------------------- 6. truncated, corrupt

def test_sheet_xml_cut_mid_tag(tmp_path, loaded, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    rewrite(path, {SHEET1: lambda b: b[:b.index(b"<c r=\"C3\"") + 6]})
    refused(run, loaded, path.parent, f"projects.xlsx: not a readable Excel workbook (sheet XML ends early: {SHEET1}, "
                                      "line 1, column")


def test_a_damaged_central_directory(tmp_path, loaded, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"PK\x01\x02", b"PK\x01\x09", 1))
    refused(run, loaded, path.parent, "projects.xlsx: not a readable Excel workbook (the zip archive is damaged: "
                                      "Bad magic number for central directory")


def test_a_workbook_cut_in_half(tmp_path, loaded, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    refused(run, loaded, path.parent, "projects.xlsx: not a readable Excel workbook (the zip archive is damaged: "
                                      "File is not a zip file; a copy or download cut short?)")


def test_a_shared_string_index_out_of_range(tmp_path, loaded, run):
    rows = header_xml() + row_xml(2, ["P1", '<c r="{ref}" t="s"><v>7</v></c>', "Digital", "active", 1, "2025-01-06"])
    raw_book(tmp_path / "in" / "projects.xlsx", rows, shared=["only one"])
    refused(run, loaded, tmp_path / "in", "projects.xlsx: not a readable Excel workbook (")


def test_an_entity_expansion_bomb(tmp_path, loaded, run):
    dtd = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefgh", "bcdefghi")) + "]>")
    raw_book(tmp_path / "in" / "projects.xlsx", header_xml() + row_xml(2, ["P1", "&i;", "D", "active", 1, ""]),
             extra_sheet=dtd)
    refused(run, loaded, tmp_path / "in", f"projects.xlsx: not a readable Excel workbook ({SHEET1} declares a DTD, "
                                          "which Excel never writes")


# ----------------------------------------------------------------------------- 7. dates and numbers

def test_a_date_in_a_number_column_and_a_number_in_a_date_column_are_reported(tmp_path, loaded, run):
    rows = [HEADER] + project_rows(3)
    rows[1][4] = dt.datetime(2025, 1, 31)
    rows[2][5] = 45000
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    err = refused(run, loaded, tmp_path / "in", "projects.xlsx")
    err = run("check", tmp_path / "in")[1]
    assert "row 1, column bac: '2025-01-31" in err and "' is not a number" in err
    assert "row 2, column start_date: '45000' is not a valid date" in err


def test_a_date_cell_holding_zero_is_not_a_date(tmp_path, loaded, run):
    rows = [HEADER] + project_rows(2)
    rows[2][5] = 0
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows}, formats={"projects": {"F3": "dd/mm/yyyy"}})
    refused(run, loaded, tmp_path / "in", "projects.xlsx")
    assert "row 2, column start_date: '1900-01-00' is not a valid date" in run("check", tmp_path / "in")[1]


def test_dates_before_1900_stored_as_text(tmp_path, run):
    rows = [HEADER] + project_rows(1)
    rows[1][5] = "1899-06-30"
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    out = run("check", tmp_path / "in")[1]
    assert "row 1, column start_date: '1899-06-30'" in out  # text as typed, for validation to judge


# ----------------------------------------------------------------------------- 8. what real workbooks hold

def test_a_title_row_above_the_header(tmp_path, db_file, run):
    path = tmp_path / "in" / "projects.xlsx"
    book(path, {"projects": [["Portfolio report, March 2025"], HEADER] + project_rows(3)})
    wb = openpyxl.load_workbook(path)
    wb["projects"].merge_cells("A1:F1")
    wb.save(path)
    loads(run, db_file, path.parent)
    assert len(march(db_file, "projects", "project_id")) == 3


def test_merged_cells_in_the_data(tmp_path, db_file, run):
    path = tmp_path / "in" / "projects.xlsx"
    rows = [HEADER] + project_rows(4)
    for r in (2, 3):
        rows[r][2] = None  # portfolio merged C2:C4 shows 'Digital' in three rows
    rows[2][4] = None  # bac merged E2:E3: one number for two rows
    book(path, {"projects": rows})
    wb = openpyxl.load_workbook(path)
    wb["projects"].merge_cells("C2:C4")
    wb["projects"].merge_cells("E2:E3")
    wb.save(path)
    loads(run, db_file, path.parent)
    assert march(db_file, "projects", "project_id, portfolio, bac") == [
        ("P001", "Digital", 1000.0), ("P002", "Digital", None), ("P003", "Digital", 3000.0), ("P004", "Digital", 4000.0)]


def test_formatted_but_blank_rows_and_columns_to_the_end_of_the_sheet(tmp_path, db_file, run):
    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(3)})
    blank = '<row r="1048576"><c r="A1048576" s="0"/><c r="XFD1048576" s="0"/></row></sheetData>'
    rewrite(path, {SHEET1: lambda b: b.replace(b'<dimension ref="A1:F4"', b'<dimension ref="A1:XFD1048576"')
                   .replace(b"</sheetData>", blank.encode())})
    start = time.perf_counter()
    err = loads(run, db_file, path.parent)
    assert time.perf_counter() - start < 20
    assert "not a column of the contract" not in err
    assert len(march(db_file, "projects", "project_id")) == 3


def test_whitespace_only_and_non_breaking_spaces(tmp_path, loaded, db_file, run):
    rows = [HEADER] + project_rows(2)
    rows[1][0], rows[1][3] = "P001\u00a0", "active\u00a0"  # pasted from a web page
    book(tmp_path / "a" / "projects.xlsx", {"projects": rows})
    loads(run, db_file, tmp_path / "a")
    assert march(db_file, "projects", "project_id, status") == [("P001", "active"), ("P002", "active")]
    rows[2][1] = "   "
    book(tmp_path / "b" / "projects.xlsx", {"projects": rows})
    refused(run, loaded, tmp_path / "b", "")
    assert "row 2, column name: missing value" in run("check", tmp_path / "b")[1]


def test_a_macro_enabled_workbook_is_read_and_its_macros_never_run(tmp_path, db_file, run):
    path = book(tmp_path / "in" / "projects.xlsm", {"projects": [HEADER] + project_rows(2)})
    macro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    rewrite(path, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
                   "[Content_Types].xml": lambda b: re.sub(rb'application/vnd\.openxmlformats-officedocument\.'
                                                           rb'spreadsheetml\.sheet\.main\+xml', macro.encode(), b)})
    inputs = tree(path.parent)
    loads(run, db_file, path.parent)
    assert len(march(db_file, "projects", "project_id")) == 2 and tree(path.parent) == inputs


def cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A compound (OLE2) file as Office writes for .xls and encrypted workbooks: header, one FAT
    sector, one directory sector, then each stream (at least 4096 bytes, so no mini stream)."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat, body, entries, sector = [0xFFFFFFFD, end], b"", [], 2
    for name, data in streams.items():
        data = data.ljust(max(4096, -(-len(data) // 512) * 512), b"\x00")
        n = len(data) // 512
        fat += list(range(sector + 1, sector + n)) + [end]
        entries.append((name, 2, sector, len(streams[name])))
        body += data
        sector += n
    fat += [free] * (128 - len(fat))

    def entry(name, kind, start, size, child=free, right=free):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB3I16sI16xIQ", len(raw), kind, 1, free, right, child,
                                                     b"\x00" * 16, 0, start, size))
    directory = entry("Root Entry", 5, end, 0, child=1)
    for i, (name, kind, start, size) in enumerate(entries):
        directory += entry(name, kind, start, size, right=i + 2 if i + 1 < len(entries) else free)
    directory = directory.ljust(512, b"\x00")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE,
              9, 6, 0, 1, 1, 0, 4096, end, 0, end, 0) + struct.pack("<I", 0) + struct.pack("<108I", *[free] * 108))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + struct.pack("<128I", *fat) + directory + body)
    return path


def test_a_password_protected_workbook(tmp_path, loaded, run):
    cfb(tmp_path / "in" / "projects.xlsx", {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00<encryption/>",
                                            "EncryptedPackage": os.urandom(6000)})
    refused(run, loaded, tmp_path / "in", "projects.xlsx: the workbook is password-protected (encrypted), so it "
                                          "cannot be read; remove the password in Excel")


def test_an_old_xls_named_xlsx(tmp_path, loaded, run):
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x1234, 1997, 0, 0)
    cfb(tmp_path / "in" / "projects.xlsx", {"Workbook": bof})
    refused(run, loaded, tmp_path / "in", "projects.xlsx: an Excel 97-2003 workbook (.xls) named .xlsx; open it in "
                                          "Excel and save it as Excel Workbook (.xlsx)")


def test_a_csv_named_xlsx_and_an_empty_xlsx(tmp_path, loaded, run):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "projects.xlsx").write_text((CANONICAL / "projects.csv").read_text())
    refused(run, loaded, tmp_path / "a", "projects.xlsx: not a readable Excel workbook (File is not a zip file); it "
                                         "is text: a CSV file named .xlsx?")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "projects.xlsx").write_bytes(b"")
    refused(run, loaded, tmp_path / "b", "projects.xlsx: the file is empty")


def test_a_sheet_named_with_spaces(tmp_path, db_file, run):
    book(tmp_path / "in" / "pmo.xlsx", {"Summary": [["nothing here"]], " Projects ": [HEADER] + project_rows(2)})
    loads(run, db_file, tmp_path / "in")
    assert len(march(db_file, "projects", "project_id")) == 2


def test_booleans_in_a_text_column_read_as_excel_shows_them(tmp_path, db_file, run):
    rows = [HEADER + ["manager"]] + [r + [flag] for r, flag in zip(project_rows(2), (True, False))]
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    loads(run, db_file, tmp_path / "in")
    assert march(db_file, "projects", "manager") == [("FALSE",), ("TRUE",)]


def test_a_header_naming_a_column_twice_is_an_error_as_in_a_csv(tmp_path, loaded, run):
    rows = [HEADER + ["bac"]] + [r + [5] for r in project_rows(2)]
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    refused(run, loaded, tmp_path / "in", "")
    assert "column bac: the header names this column twice; keep one" in run("check", tmp_path / "in")[1]


def test_a_thousand_columns(tmp_path, db_file, run):
    extra = [f"note {i}" for i in range(994)]
    rows = [HEADER + extra] + [r + ["x"] * 994 for r in project_rows(50)]
    book(tmp_path / "in" / "projects.xlsx", {"projects": rows})
    start = time.perf_counter()
    loads(run, db_file, tmp_path / "in")
    assert time.perf_counter() - start < 30
    assert len(march(db_file, "projects", "project_id")) == 50


def test_a_chart_sheet_first(tmp_path, db_file, run):
    from openpyxl.chart import BarChart, Reference

    path = book(tmp_path / "in" / "projects.xlsx", {"projects": [HEADER] + project_rows(2)})
    wb = openpyxl.load_workbook(path)
    chart = BarChart()
    chart.add_data(Reference(wb["projects"], min_col=5, min_row=1, max_row=3), titles_from_data=True)
    wb.create_chartsheet("Chart", 0).add_chart(chart)
    wb.save(path)
    loads(run, db_file, path.parent)
    assert len(march(db_file, "projects", "project_id")) == 2
