"""Hostile input and real faults against `pmo load` (and the readers): every case is a real file,
folder, link, process or disk. Where the input is refused: exit 1, one line naming the file (and row
and column where there is one), no traceback, and the database and the user's files byte-for-byte
unchanged."""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import CANONICAL, one_line_error, sha256, tree

import pmo_analytics

FEB, MAR = "2025-02", "2025-03"


@pytest.fixture
def loaded(db_file, run):
    """February loaded from the canonical exports."""
    assert run("load", CANONICAL, "--as-of", FEB, "--db", db_file)[0] == 0
    return db_file


@pytest.fixture
def exports(tmp_path):
    """A copy of the canonical exports the test may break."""
    folder = tmp_path / "exports"
    shutil.copytree(CANONICAL, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refused(run, args, db, *watched) -> list[str]:
    """Runs `pmo ARGS`, asserts it was refused with nothing changed; returns the error lines."""
    before = [tree(p) for p in (db, *watched)]
    code, out, err = run(*args)
    assert code == 1, err
    errors = one_line_error(err)
    assert errors, err
    assert [tree(p) for p in (db, *watched)] == before
    return errors


def rows(db, sql, params=None):
    with pmo_analytics.connect(db) as con:
        return con.sql(sql, params=params).fetchall()


# ------------------------------------------------------------------------------------ the database file

def _crash_with_wal(db: Path, sql: str) -> None:
    """A read-write session that commits `sql` and dies before checkpointing (DuckDB's normal crash
    state: the committed rows are in pmo.duckdb.wal only)."""
    code = (f"import duckdb, os\ncon = duckdb.connect({str(db)!r})\ncon.sql(\"SET checkpoint_threshold='1TB'\")\n"
            f"con.sql({sql!r})\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert db.with_name(db.name + ".wal").exists()


def test_leftover_wal_is_checkpointed_not_lost(run, loaded, exports):
    _crash_with_wal(loaded, "UPDATE projects SET name = 'renamed in the crashed session' WHERE project_id = 'PRJ-001'")
    code, _, err = run("load", exports, "--as-of", MAR, "--db", loaded)
    assert code == 0, err
    assert not loaded.with_name(loaded.name + ".wal").exists()
    # The file opens (today: "WAL checkpoint iteration does not match") and the committed row survived.
    assert rows(loaded, "SELECT name FROM projects WHERE as_of = DATE '2025-02-28' AND project_id = 'PRJ-001'") \
        == [("renamed in the crashed session",)]
    assert rows(loaded, "SELECT count(*) FROM projects WHERE as_of = DATE '2025-03-31'") == [(3,)]


def test_wal_of_a_live_writer_is_refused(run, loaded, exports):
    wal = loaded.with_name(loaded.name + ".wal")
    writer = subprocess.Popen([sys.executable, "-c", (
        f"import duckdb, sys, time\ncon = duckdb.connect({str(loaded)!r})\ncon.sql(\"SET checkpoint_threshold='1TB'\")\n"
        "con.sql(\"UPDATE projects SET name = 'x'\")\nprint('ready', flush=True)\ntime.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        before = (sha256(loaded), sha256(wal))
        code, _, err = run("load", exports, "--as-of", MAR, "--db", loaded)
        assert code == 1
        [line] = one_line_error(err)
        assert f"error: {loaded}: another program has the database open for writing" in line
        assert (sha256(loaded), sha256(wal)) == before
    finally:
        writer.kill()
        writer.wait()


def test_wal_of_another_state_of_the_file_is_refused(run, loaded, exports):
    """The state the old publisher left: a log written for the file before it was replaced."""
    wal = loaded.with_name(loaded.name + ".wal")
    _crash_with_wal(loaded, "UPDATE projects SET name = 'x'")
    saved = wal.read_bytes()
    duckdb.connect(str(loaded)).close()  # replays and checkpoints it: the file moves on
    wal.write_bytes(saved)
    before = (sha256(loaded), sha256(wal))
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line.startswith(f"error: {loaded}: its write-ahead log pmo.duckdb.wal (left by a program that stopped "
                           "without closing the database) cannot be replayed: ")
    assert (sha256(loaded), sha256(wal)) == before


def test_garbage_wal_is_refused_and_both_files_kept(run, loaded, exports):
    wal = loaded.with_name(loaded.name + ".wal")
    wal.write_bytes(b"\x07" * 5000)  # not a log DuckDB wrote
    before = (sha256(loaded), sha256(wal))
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line.startswith(f"error: {loaded}: pmo.duckdb.wal is still there after a checkpoint: it is not a log")
    assert (sha256(loaded), sha256(wal)) == before


def test_copy_of_a_live_loader_is_not_removed(run, loaded, exports):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        live = loaded.with_name(f"{loaded.name}.loading-{sleeper.pid}")
        live.write_bytes(b"another loader's copy")
        dead = loaded.with_name(f"{loaded.name}.loading-999999999")  # no such process
        dead.write_bytes(b"left by a kill -9")
        dead_wal = loaded.with_name(f"{loaded.name}.loading-999999999.wal")
        dead_wal.write_bytes(b"its log")
        lookalike = loaded.with_name(f"{loaded.name}.loading-notes.txt")  # not a name the workbench writes
        lookalike.write_text("the user's")
        assert run("load", exports, "--as-of", MAR, "--db", loaded)[0] == 0
        assert live.read_bytes() == b"another loader's copy"
        assert not dead.exists() and not dead_wal.exists()
        assert lookalike.read_text() == "the user's"
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_file_removed_while_waiting_publishes_nothing(pmo_process, loaded, exports):
    lock = loaded.with_name(loaded.name + ".lock")
    holder = open(lock, "a")
    fcntl.flock(holder, fcntl.LOCK_EX)
    before = sha256(loaded)
    proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "load", str(exports), "--as-of", MAR,
                             "--db", str(loaded)], stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_stderr_line(proc, "[7/7]")
        time.sleep(0.5)  # it is now waiting for the lock
        lock.unlink()  # someone "cleans up" the lock file: another loader could now take a new one
        fcntl.flock(holder, fcntl.LOCK_UN)
        _, err = proc.communicate(timeout=60)
    finally:
        holder.close()
    assert proc.returncode == 1
    [line] = one_line_error(err)
    assert "the lock file was removed or replaced while publishing" in line
    assert sha256(loaded) == before


def _wait_for_stderr_line(proc, marker: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if marker in line:
            return line
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"{marker!r} never appeared: {''.join(seen)}")


def test_db_symlink_is_written_through(run, loaded, exports, tmp_path):
    link = tmp_path / "link.duckdb"
    link.symlink_to(loaded)
    assert run("load", exports, "--as-of", MAR, "--db", link)[0] == 0
    assert link.is_symlink() and link.resolve() == loaded.resolve()
    assert rows(loaded, "SELECT count(DISTINCT as_of) FROM projects") == [(2,)]


@pytest.mark.parametrize("content, what", [(b"project_id,name\nP1,x\n", "not a DuckDB database"),
                                           (b"", "an empty file")], ids=["csv", "empty"])
def test_db_that_is_not_duckdb_is_never_overwritten(run, exports, tmp_path, content, what):
    target = tmp_path / "pmo.duckdb"
    target.write_bytes(content)
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", target), target, exports)
    assert line == f"error: {target}: {what}; the workbench will not overwrite it (give --db a new file name)"
    assert not list(tmp_path.glob("pmo.duckdb.loading-*"))


def test_db_that_is_a_folder(run, exports, tmp_path):
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", folder), folder, exports)
    assert line == f"error: {folder}: is a folder, not a DuckDB database file; give --db a file name"


def test_reader_on_a_file_that_is_not_duckdb(run, tmp_path):
    target = tmp_path / "notes.duckdb"
    target.write_text("hello\n")
    code, out, err = run("snapshots", "--db", target)
    assert code == 1
    assert one_line_error(err) == [f"error: {target}: not a DuckDB database file"]


def test_db_path_with_a_quote(run, exports, tmp_path):
    target = tmp_path / "o'brien's.duckdb"
    assert run("load", exports, "--as-of", MAR, "--db", target)[0] == 0
    assert rows(target, "SELECT count(*) FROM projects") == [(3,)]


# ------------------------------------------------------------------------------------ folders and links

@pytest.mark.parametrize("name, decoy", [("exports[1]", "exports1"), ("exp*", "expXYZ"), ("exp?", "expA")],
                         ids=["brackets", "star", "question"])
def test_folder_names_are_not_globs(run, db_file, tmp_path, name, decoy):
    """DuckDB expands glob characters: 'exports[1]/projects.csv' read 'exports1/projects.csv'."""
    wanted, other = tmp_path / name, tmp_path / decoy
    for folder in (wanted, other):
        folder.mkdir()
        shutil.copy(CANONICAL / "projects.csv", folder / "projects.csv")
    edit(other / "projects.csv", "Payroll replacement", "WRONG FOLDER")
    assert run("load", wanted / "projects.csv", "--as-of", MAR, "--db", db_file)[0] == 0
    assert rows(db_file, "SELECT name FROM projects WHERE project_id = 'PRJ-001'") == [("Payroll replacement",)]
    assert rows(db_file, "SELECT count(*) FROM projects") == [(3,)]


def test_dangling_symlink_is_an_error_not_a_missing_table(run, loaded, exports):
    (exports / "risks.csv").unlink()
    (exports / "risks.csv").symlink_to(exports / "gone" / "risks.csv")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line == f"error: {exports / 'risks.csv'}: a symbolic link to {exports / 'gone' / 'risks.csv'}, which does not exist"


def test_looping_symlink(run, loaded, exports):
    (exports / "risks.csv").unlink()
    (exports / "risks.csv").symlink_to(exports / "risks.csv")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line == f"error: {exports / 'risks.csv'}: a symbolic link that loops back on itself; point it at the export"


def test_named_pipe_is_refused_not_waited_on(run, loaded, exports):
    (exports / "risks.csv").unlink()
    os.mkfifo(exports / "risks.csv")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert line == f"error: {exports / 'risks.csv'}: not a regular file (a named pipe or a device?); an export must be a file"


def test_folder_named_like_an_export(run, loaded, exports):
    (exports / "risks.csv").unlink()
    (exports / "risks.csv").mkdir()
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line == f"error: {exports / 'risks.csv'}: a folder; an export must be a file"


def test_symlink_to_a_real_export_is_read(run, db_file, exports, tmp_path):
    elsewhere = tmp_path / "finance" / "projects.csv"
    elsewhere.parent.mkdir()
    shutil.move(exports / "projects.csv", elsewhere)
    (exports / "projects.csv").symlink_to(elsewhere)
    assert run("load", exports, "--as-of", MAR, "--db", db_file)[0] == 0
    assert rows(db_file, "SELECT count(*) FROM projects") == [(3,)]


def test_exports_path_with_a_quote(run, db_file, tmp_path):
    folder = tmp_path / "it's here"
    shutil.copytree(CANONICAL, folder)
    assert run("load", folder, "--as-of", MAR, "--db", db_file)[0] == 0
    assert rows(db_file, "SELECT count(*) FROM milestones") == [(3,)]


def test_unreadable_file(pmo_process, db_file, exports):
    """A real permission fault: the file has no read permission, and root runs without the
    capability that overrides it."""
    os.chmod(exports / "risks.csv", 0)
    before = tree(exports)
    code, _, err = pmo_process("load", exports, "--as-of", MAR, "--db", db_file, preexec_fn=_no_override)
    assert code == 1
    assert one_line_error(err) == [f"error: {exports / 'risks.csv'}: cannot read it: Permission denied"]
    assert tree(exports) == before and not db_file.exists()


def _no_override():
    """In the child before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding
    set, so even root meets file permissions (for an ordinary user this changes nothing)."""
    import ctypes

    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP


# ------------------------------------------------------------------------------------ what a load changes

def test_reloading_projects_alone_cannot_orphan_the_month(run, loaded, tmp_path):
    """Re-loading projects.csv without PRJ-001 would leave its budget lines, progress, allocations,
    risks and milestones pointing at nothing (487 orphan budget lines on the attacker's portfolio)."""
    only = tmp_path / "projects.csv"
    only.write_text("\n".join(l for l in (CANONICAL / "projects.csv").read_text().splitlines()
                              if not l.startswith("PRJ-001")) + "\n")
    errors = refused(run, ("load", only, "--as-of", FEB, "--db", loaded), loaded, only)
    # PRJ-001 has 4 budget lines in tests/data/canonical/budget_lines.csv
    assert errors[0] == (f"error: {only}: column project_id: 4 budget_lines row(s) already loaded for 2025-02 refer "
                         "to project(s) this file does not have (PRJ-001); load budget_lines with it, or keep those "
                         "projects")
    assert len(errors) == 5  # budget_lines, progress, allocations, risks, milestones


def test_reloading_projects_with_its_dependents_is_fine(run, loaded, exports):
    assert run("load", exports / "projects.csv", "--as-of", FEB, "--db", loaded)[0] == 0


def test_workbook_profile_with_no_table_sheets(run, loaded, tmp_path):
    import openpyxl

    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active.append(["project_id", "name"])
    wb.save(book)
    loads = rows(loaded, "SELECT * FROM loads")
    [line] = refused(run, ("load", book, "--profile", "workbook", "--as-of", FEB, "--db", loaded), loaded, book)
    assert line.startswith(f"error: {book}: no sheet of this workbook is named after a table")
    assert rows(loaded, "SELECT * FROM loads") == loads


# ------------------------------------------------------------------------------------ values that changed silently

def test_one_percent_probability_among_fractions_does_not_rescale_the_column(run, loaded, exports):
    edit(exports / "risks.csv", "0.5,4", "40,4")  # RSK-01; the others are 0.3 and 0.1
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert line == f"error: {exports / 'risks.csv'}: row 1, column probability: '40' is outside 0..1"


def test_whole_column_in_percent_is_still_normalised(run, db_file, exports):
    for old, new in (("0.5,4", "50,4"), ("0.3,3", "30,3"), ("0.1,5", "10,5")):
        edit(exports / "risks.csv", old, new)
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0 and "probabilities given on a percent scale; normalised to 0-1" in err
    assert rows(db_file, "SELECT risk_id, probability FROM risks ORDER BY 1") == \
        [("RSK-01", 0.5), ("RSK-02", 0.3), ("RSK-03", 0.1)]


@pytest.mark.parametrize("value", ["infinity", "-infinity", "300000-01-01", "0044-03-15 (BC)", "1850-06-30"])
def test_dates_outside_1900_2199(run, loaded, exports, value):
    edit(exports / "projects.csv", "2025-09-30", value)
    errors = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert errors[0] == (f"error: {exports / 'projects.csv'}: row 1, column end_date: '{value}' is outside the "
                         "years 1900-2199 (a placeholder date or a typing error?)")


@pytest.mark.parametrize("table, old, new, column", [
    ("budget_lines", "PRJ-001,2025-01-01", "PRJ-001,300000-01-01", "period"),
    ("allocations", "RES-01,PRJ-001,2025-02-03", "RES-01,PRJ-001,0100-02-03 (BC)", "week")], ids=["period", "week"])
def test_month_and_week_dates_outside_the_years(run, loaded, exports, table, old, new, column):
    """Aligned to a month or a week before the range rule: date_trunc of year 300000 used to crash."""
    edit(exports / f"{table}.csv", old, new)
    errors = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert errors[0] == (f"error: {exports / (table + '.csv')}: row 1, column {column}: '{new.split(',')[-1]}' is "
                         "outside the years 1900-2199 (a placeholder date or a typing error?)")


def test_zero_width_space_makes_a_lookalike_duplicate(run, loaded, exports):
    edit(exports / "projects.csv", "PRJ-003,Contact", "PRJ-002\u200b,Contact")
    for name in ("budget_lines", "progress", "allocations", "risks", "milestones"):
        path = exports / f"{name}.csv"
        path.write_text("\n".join(l for l in path.read_text().splitlines() if "PRJ-003" not in l) + "\n")
    code, _, err = run("load", exports, "--as-of", MAR, "--db", loaded)
    assert code == 1
    assert (f"warning: {exports / 'projects.csv'}: row 3, column project_id: 'PRJ-002<U+200B>' holds an invisible "
            "character; removed, read as 'PRJ-002'") in err
    assert f"error: {exports / 'projects.csv'}: row 3, column project_id: duplicate key 'PRJ-002' (first in row 2)" in err


def test_invisible_characters_in_references_are_removed(run, db_file, exports):
    edit(exports / "budget_lines.csv", "PRJ-001,2025-01-01", "\ufeffPRJ-001\u00a0,2025-01-01")
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0, err
    # DuckDB's trim() takes the no-break space at the end; the BOM at the start is shown and removed
    assert "row 1, column project_id: '<U+FEFF>PRJ-001' holds an invisible character; removed, read as 'PRJ-001'" in err
    assert rows(db_file, "SELECT count(*) FROM budget_lines WHERE project_id = 'PRJ-001'") == [(4,)]


def test_invisible_characters_in_names_are_left_alone(run, db_file, exports):
    edit(exports / "projects.csv", "Depot roof", "Depot\u00adroof")
    assert run("load", exports, "--as-of", MAR, "--db", db_file)[0] == 0
    assert rows(db_file, "SELECT name FROM projects WHERE project_id = 'PRJ-002'") == [("Depot\u00adroof",)]


def _parquet(folder: Path, table: str, select: str) -> None:
    with duckdb.connect() as con:
        con.sql(f"COPY (SELECT {select} FROM read_csv('{CANONICAL / (table + '.csv')}', all_varchar = true)) "
                f"TO '{folder / (table + '.parquet')}'")
    (folder / f"{table}.csv").unlink()


def test_nested_parquet_values_are_an_error_not_text(run, loaded, exports):
    _parquet(exports, "projects", "project_id, {'first': name} AS name, portfolio, status")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    assert line == (f"error: {exports / 'projects.parquet'}: column name holds nested values (STRUCT(\"first\" "
                    "VARCHAR)); the contract expects text: flatten it before exporting")


def test_nested_values_in_a_column_the_contract_ignores_are_fine(run, db_file, exports):
    _parquet(exports, "projects", "*, [1, 2] AS tags")
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0, err
    assert "column tags: not a column of the contract; ignored" in err


def test_empty_text_in_parquet_is_missing(run, db_file, exports):
    _parquet(exports, "projects", "project_id, name, portfolio, '' AS program, '  ' AS manager, status")
    assert run("load", exports, "--as-of", MAR, "--db", db_file)[0] == 0
    assert rows(db_file, "SELECT count(*), count(program), count(manager) FROM projects") == [(3, 0, 0)]


def test_header_name_wrapped_over_two_lines_is_loaded(run, db_file, exports):
    edit(exports / "projects.csv", "project_id,name,", '"Project\nID","Name\n",')
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0, err
    assert rows(db_file, "SELECT project_id FROM projects ORDER BY 1") == [("PRJ-001",), ("PRJ-002",), ("PRJ-003",)]


def test_unknown_header_with_a_line_break_is_reported_on_one_line(run, db_file, exports):
    edit(exports / "projects.csv", ",value_score\n", ',"notes\nfor the board"\n')
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0
    assert f"warning: {exports / 'projects.csv'}: column notes\\nfor the board: not a column of the contract; ignored" in err


def test_twenty_thousand_unknown_columns_give_one_warning(run, db_file, exports):
    lines = (exports / "projects.csv").read_text().splitlines()
    extra = [f"extra{i}" for i in range(20_000)]
    blanks = "," * len(extra)
    (exports / "projects.csv").write_text("\n".join([lines[0] + "," + ",".join(extra)] +
                                                    [line + blanks for line in lines[1:]]) + "\n")
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning")]
    assert warnings == [f"warning: {exports / 'projects.csv'}: 20,000 columns are not in the contract and were "
                        "ignored (extra0, extra1, extra2, extra3, extra4, ...)"]


def test_cell_over_the_line_limit(run, loaded, exports):
    edit(exports / "projects.csv", "Depot roof", "x" * 5_000_000)
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded, exports)
    # line 3 of projects.csv is 141 bytes, 10 of them 'Depot roof': 141 - 10 + 5,000,000 = 5,000,131
    assert line == (f"error: {exports / 'projects.csv'}: cannot read as CSV: line 3 (row 2) is 5,000,131 bytes long, "
                    "over the 4,000,000 a CSV line may have (a quote that is never closed, or a document pasted into "
                    "a cell?)")


def test_an_error_in_a_later_file_publishes_nothing_of_the_files_written_before_it(run, loaded, exports):
    # The files are written into the copy as they are staged: projects, budget lines, progress and
    # resources are in it when allocations.csv (the fifth) turns out to have an error.
    edit(exports / "allocations.csv", "RES-01,PRJ-001,2025-02-03,30,32", "RES-01,PRJ-001,2025-02-03,-30,32")
    edit(exports / "projects.csv", "Depot roof", "Depot roof (renamed in March)")
    [line] = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert line == f"error: {exports / 'allocations.csv'}: row 1, column planned_hours: '-30' is outside 0..168"
    assert sorted(p.name for p in loaded.parent.iterdir() if p.name.startswith(loaded.name)) == \
        [loaded.name, loaded.name + ".lock"]  # no copy left beside it
    assert rows(loaded, "SELECT DISTINCT as_of FROM projects") == [(dt.date(2025, 2, 28),)]


def test_cell_over_duckdbs_own_line_limit_but_under_ours_loads(run, db_file, exports):
    # DuckDB's default limit is 2,097,152 bytes; a file with a longer line is read again under 4,000,000
    edit(exports / "projects.csv", "Depot roof", "x" * 3_000_000)
    code, _, err = run("load", exports, "--as-of", MAR, "--db", db_file)
    assert code == 0, err
    con = duckdb.connect(str(db_file), read_only=True)
    lengths = con.sql("SELECT max(length(name)) FROM projects").fetchall()[0][0]
    con.close()
    assert lengths == 3_000_000


@pytest.mark.parametrize("value", ["1e309", "NaN", "-inf"])
def test_numbers_that_are_not_finite(run, loaded, exports, value):
    edit(exports / "projects.csv", "45000.50", value)
    errors = refused(run, ("load", exports, "--as-of", MAR, "--db", loaded), loaded)
    assert errors[0].startswith(f"error: {exports / 'projects.csv'}: row 2, column bac: ")
    assert "is not a finite number" in errors[0]


def test_same_column_twice_in_different_case(run, loaded, tmp_path):
    projects = tmp_path / "projects.csv"
    projects.write_text("project_id,name,Name,portfolio,status\nPRJ-009,One,Other,Digital,active\n")
    errors = refused(run, ("load", projects, "--as-of", MAR, "--db", loaded), loaded, projects)
    assert errors == [f"error: {projects}: column name: the header names this column twice; keep one"]


def test_two_files_for_one_table(run, loaded, exports, tmp_path):
    other = tmp_path / "more" / "projects.csv"
    other.parent.mkdir()
    shutil.copy(CANONICAL / "projects.csv", other)
    code, _, err = run("load", exports, other, "--as-of", MAR, "--db", loaded)
    assert code == 2
    assert one_line_error(err) == [f"error: two files for table projects: {exports / 'projects.csv'} and {other}"]


# ------------------------------------------------------------------------------------ disks and signals

@contextlib.contextmanager
def _tmpfs(path: Path, size: str, read_only: bool = False):
    """A real small (or read-only) filesystem mounted at `path`; None where mounting is not allowed."""
    path.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                      capture_output=True).returncode:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill_to(path: Path, free_bytes: int) -> None:
    """Leaves about `free_bytes` free on the filesystem holding `path`."""
    st = os.statvfs(path)
    filler = st.f_bavail * st.f_frsize - free_bytes
    if filler > 0:
        with open(path / "filler.bin", "wb") as fh:
            fh.truncate(0)
            fh.write(b"\0" * filler)


@pytest.mark.parametrize("free", [500_000, 3_400_000], ids=["while-copying", "while-writing"])
def test_disk_full_names_the_real_cause(pmo_process, loaded, exports, tmp_path, free):
    """The copy fails (500 kB free) or DuckDB's own writes fail (3.4 MB: the copy fits, the new month
    does not); either way the message says the disk is full and the live file is unchanged."""
    with _tmpfs(tmp_path / "disk", "16m") as disk:
        if disk is None:  # no permission to mount: the same fault through a file-size limit
            target, limit = tmp_path / "pmo.duckdb", os.path.getsize(loaded) + free
            shutil.copy(loaded, target)
            cause = "File too large"

            def cap():
                import resource
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            run_kw = {"preexec_fn": cap}
        else:
            target = disk / "pmo.duckdb"
            shutil.copy(loaded, target)
            _fill_to(disk, free)
            cause, run_kw = "No space left on device", {}
        before = sha256(target)
        code, _, err = pmo_process("load", exports, "--as-of", MAR, "--db", target, **run_kw)
        assert code == 1
        [line] = one_line_error(err)
        assert line.startswith(f"error: {target}: publishing failed: ") and cause in line, line
        assert line.endswith("; nothing was published")
        assert "rollback" not in line.lower()
        assert sha256(target) == before
        assert not list(target.parent.glob("pmo.duckdb.loading-*"))


def test_read_only_database_folder(pmo_process, loaded, exports, tmp_path):
    with _tmpfs(tmp_path / "ro", "16m") as disk:
        if disk is not None:
            shutil.copy(loaded, disk / "pmo.duckdb")
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
            target, runner = disk / "pmo.duckdb", pmo_process
        else:  # no permission to mount: a folder without write permission, met even by root
            folder = tmp_path / "ro"
            shutil.copy(loaded, folder / "pmo.duckdb")
            os.chmod(folder, 0o555)
            target = folder / "pmo.duckdb"

            def runner(*args, **kw):
                return pmo_process(*args, preexec_fn=_no_override)
        before = sha256(target)
        code, _, err = runner("load", exports, "--as-of", MAR, "--db", target)
        assert code == 1
        [line] = one_line_error(err)
        assert line.startswith(f"error: {target}: publishing failed: ")
        assert "Read-only file system" in line or "Permission denied" in line
        assert sha256(target) == before
        # and the month already there can still be read
        code, out, _ = runner("snapshots", "--db", target)
        assert code == 0 and "2025-02" in out


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_interrupted_load_publishes_nothing(loaded, exports, sig, code):
    """The load waits for the lock another publisher holds; the signal arrives while it waits."""
    lock = loaded.with_name(loaded.name + ".lock")
    before = sha256(loaded)
    with open(lock, "a") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        # As from a terminal: a suite started in the background (`make test &`) ignores SIGINT, and a
        # child keeps an ignored SIGINT, as a shell's background jobs must.
        proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "load", str(exports), "--as-of", MAR,
                                 "--db", str(loaded)], stderr=subprocess.PIPE, text=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        _wait_for_stderr_line(proc, "[7/7]")
        time.sleep(0.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "interrupted; nothing was published"
    assert sha256(loaded) == before
    assert not list(loaded.parent.glob("pmo.duckdb.loading-*"))


def test_kill_9_mid_load_leaves_the_database_whole(loaded, tmp_path):
    """A real kill -9 while a 2,000-project month is being validated and published."""
    from pmo_analytics.demo.sample import write_sample

    [(as_of, month)] = write_sample(tmp_path / "big", projects=2000, months=1, seed=3, end="2025-03")
    before = sha256(loaded)
    proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "load", str(month), "--as-of", "2025-03",
                             "--db", str(loaded)], stderr=subprocess.PIPE, text=True)
    _wait_for_stderr_line(proc, "[7/7]")
    proc.kill()
    proc.wait()
    assert sha256(loaded) == before
    assert rows(loaded, "SELECT count(DISTINCT as_of) FROM projects") == [(1,)]
    # the next load clears whatever the killed one left and publishes
    proc = subprocess.run([sys.executable, "-m", "pmo_analytics", "load", str(CANONICAL), "--as-of", MAR,
                           "--db", str(loaded)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not list(loaded.parent.glob("pmo.duckdb.loading-*"))


def test_contract_into_a_closed_pipe():
    """`pmo contract | head`: the reader goes away; no BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "contract"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


def test_month_that_does_not_exist(run, db_file, capsys):
    with pytest.raises(SystemExit) as exit_:
        run("load", CANONICAL, "--as-of", "2025-13", "--db", db_file)
    assert exit_.value.code == 2
    assert "argument --as-of: " in capsys.readouterr().err
    assert not db_file.exists()
