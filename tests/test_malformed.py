"""Bad input never costs data: each malformed file under tests/data/malformed/ gets a one-line
message and, where it blocks, exit code 1 with the database byte-for-byte unchanged."""
import pytest
from conftest import CANONICAL, DATA, sha256

import pmo_analytics

MALFORMED = DATA / "malformed"

BLOCKING = [
    ("truncated", "projects.csv: cannot read as CSV: line 9 (row 8) has 8 columns where the header has 15 "
                  "(a truncated file, or a delimiter inside an unquoted value?)"),
    ("empty", "projects.csv: the file is empty"),
    ("header_only", "projects.csv: the file has a header but no data rows; loading it would empty the "
                    "month's table (leave the file out to keep what is loaded)"),
    ("binary_garbage", "projects.csv: not a text CSV file; it contains binary data"),
    ("xlsx_really_csv", "projects.xlsx: not a readable Excel workbook (File is not a zip file)"),
]


@pytest.fixture
def loaded(db_file, run):
    assert run("load", CANONICAL, "--as-of", "2025-02", "--db", db_file)[0] == 0
    return db_file


@pytest.mark.parametrize("folder, message", BLOCKING, ids=[b[0] for b in BLOCKING])
def test_blocking_files_change_nothing(run, loaded, folder, message):
    before = sha256(loaded)
    code, out, err = run("load", MALFORMED / folder, "--as-of", "2025-02", "--db", loaded)
    assert code == 1
    assert f"error: {MALFORMED / folder}/{message}" in err
    assert "nothing was loaded" in err
    assert "Traceback" not in out + err
    assert sha256(loaded) == before
    with pmo_analytics.connect(loaded) as con:
        assert con.sql("SELECT count(*) FROM projects").fetchall()[0][0] == 3


def _names(db):
    with pmo_analytics.connect(db) as con:
        return dict(con.sql("SELECT project_id, name FROM projects WHERE as_of = DATE '2025-03-31'").fetchall())


def test_formula_is_kept_as_text_with_a_warning(run, loaded):
    code, _, err = run("load", MALFORMED / "formula", "--as-of", "2025-03", "--db", loaded)
    assert code == 0
    assert ("row 2, column name: '=HYPERLINK(\"http://example.invalid\",\"cli...' starts like a spreadsheet "
            "formula; kept as text") in err
    assert _names(loaded)["P002"] == '=HYPERLINK("http://example.invalid","click")'


def test_cell_of_100000_characters(run, loaded):
    code, _, err = run("load", MALFORMED / "huge_cell", "--as-of", "2025-03", "--db", loaded)
    assert code == 0
    assert "row 2, column name: very long text (100000 characters); kept" in err
    assert len(_names(loaded)["P002"]) == 100_000


def test_mixed_encodings_are_read_line_by_line(run, loaded):
    code, _, err = run("load", MALFORMED / "mixed_encoding", "--as-of", "2025-03", "--db", loaded)
    assert code == 0
    assert "mixed encodings: 1 line(s) are not UTF-8; read them as Windows-1252" in err
    names = _names(loaded)
    assert names["P001"] == "Café rénovation" and names["P003"] == "Budget £ review"


def test_wrong_delimiter_is_detected_and_said(run, loaded):
    code, _, err = run("load", MALFORMED / "wrong_delimiter", "--as-of", "2025-03", "--db", loaded)
    assert code == 0
    assert "profile delimited picked for projects (contract columns, tab-delimited, encoding detected)" in err
    assert _names(loaded) == {"P001": "Project 1", "P002": "Project 2"}


@pytest.mark.parametrize("folder", ["bad_date", "duplicate_key", "negative_money", "unknown_refs"])
def test_contract_violations_block_too(run, loaded, folder):
    before = sha256(loaded)
    code, _, err = run("load", DATA / "bad" / folder, "--as-of", "2025-03", "--db", loaded)
    assert code == 1 and sha256(loaded) == before and "Traceback" not in err
