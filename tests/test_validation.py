"""Every validation error of the contract, each from a real malformed file under tests/data/bad/.

Each test loads the canonical snapshot first, then the bad files, and checks the exact message, the
exit code 1 and that the database file is byte-for-byte what it was.
"""
import pytest
from conftest import BAD, CANONICAL, sha256


@pytest.fixture
def loaded(db_file, run):
    code, _, err = run("load", CANONICAL, "--as-of", "2025-02", "--db", db_file)
    assert code == 0, err
    return db_file


def _load_bad(run, db_file, folder):
    before = sha256(db_file)
    code, out, err = run("load", BAD / folder, "--as-of", "2025-03", "--db", db_file)
    assert code == 1
    assert sha256(db_file) == before, "a refused load changed the database"
    assert "nothing was loaded" in err
    assert "Traceback" not in err + out
    return err


def test_bad_date_names_file_row_17_and_column(run, loaded):
    err = _load_bad(run, loaded, "bad_date")
    file = BAD / "bad_date" / "projects.csv"
    assert (f"error: {file}: row 17, column start_date: '2026-02-30' is not a valid date "
            "(expected YYYY-MM-DD)") in err
    assert err.count("error: ") == 1


def test_missing_required_column(run, loaded):
    err = _load_bad(run, loaded, "missing_column")
    file = BAD / "missing_column" / "projects.csv"
    assert f"error: {file}: column status: required column is missing" in err
    assert "column project_id: required" not in err


def test_unknown_status_and_normalised_status(run, loaded):
    err = _load_bad(run, loaded, "unknown_status")
    file = BAD / "unknown_status" / "projects.csv"
    assert (f"error: {file}: row 2, column status: unknown status 'In flight' "
            "(allowed: planned, active, on_hold, closed, cancelled)") in err
    assert "row 3" not in err  # 'On hold' is on_hold


def test_duplicate_key(run, loaded):
    err = _load_bad(run, loaded, "duplicate_key")
    file = BAD / "duplicate_key" / "projects.csv"
    assert f"error: {file}: row 4, column project_id: duplicate key 'P002' (first in row 2)" in err


def test_unparseable_number(run, loaded):
    err = _load_bad(run, loaded, "bad_number")
    file = BAD / "bad_number" / "projects.csv"
    assert f"error: {file}: row 2, column bac: '12O00' is not a number" in err


def test_negative_money(run, loaded):
    err = _load_bad(run, loaded, "negative_money")
    file = BAD / "negative_money" / "budget_lines.csv"
    assert f"error: {file}: row 2, column budget: negative amount '-250'" in err


def test_allocation_to_unknown_resource_and_project(run, loaded):
    err = _load_bad(run, loaded, "unknown_refs")
    file = BAD / "unknown_refs" / "allocations.csv"
    assert f"error: {file}: row 2, column resource_id: unknown resource 'R99' (not in resources)" in err
    assert f"error: {file}: row 3, column project_id: unknown project 'P404' (not in projects)" in err
    assert err.count("error: ") == 2


def test_references_checked_against_the_loaded_snapshot(run, loaded, tmp_path):
    # Only budget lines this time: their projects come from the month already in the database.
    lines = tmp_path / "budget_lines.csv"
    lines.write_text("project_id,period,category,budget,forecast,committed,consumed\n"
                     "PRJ-001,2025-02-01,labour,1,1,0,1\n"
                     "PRJ-999,2025-02-01,labour,1,1,0,1\n")
    before = sha256(loaded)
    code, _, err = run("load", lines, "--as-of", "2025-02", "--db", loaded)
    assert code == 1 and sha256(loaded) == before
    assert f"error: {lines}: row 2, column project_id: unknown project 'PRJ-999' (not in projects)" in err


def test_warnings_do_not_block(run, loaded, tmp_path):
    lines = tmp_path / "budget_lines.csv"
    lines.write_text("project_id,period,category,budget,forecast,committed,consumed,notes\n"
                     "PRJ-001,2025-02-15,labour,10,10,0,5,late invoice\n")
    code, _, err = run("load", lines, "--as-of", "2025-02", "--db", loaded)
    assert code == 0, err
    assert (f"warning: {lines}: row 1, column period: '2025-02-15' is not the first of a month; "
            "counted in 2025-02") in err
    assert f"warning: {lines}: column notes: not a column of the contract; ignored" in err


def test_check_reports_without_writing(run, tmp_path, db_file):
    code, out, _ = run("check", BAD / "bad_date")
    assert code == 1
    assert "row 17, column start_date" in out
    assert "quality score:" in out
    assert not db_file.exists()
    code, out, _ = run("check", CANONICAL)
    assert code == 0
    assert "0 error(s)" in out


def test_optional_columns_may_be_absent(run, loaded, tmp_path):
    # Snapshot checks (staleness, bac against budget lines) skip what a file does not carry.
    (tmp_path / "budget_lines.csv").write_text("project_id,period,category,budget\n"
                                               "PRJ-001,2025-01-01,labour,20000\nPRJ-001,2025-02-01,labour,30000\n")
    (tmp_path / "projects.csv").write_text("project_id,name,portfolio,status\nPRJ-001,Payroll,Digital,active\n")
    # March: February's other tables refer to projects this file leaves out (test_hostile_load)
    code, _, err = run("load", tmp_path, "--as-of", "2025-03", "--db", loaded)
    assert code == 0, err
    assert "Traceback" not in err
