"""`pmo scenario`: saved versions, TOML out and in, show/compare, replay, and what bad input gets, on a
copy of the hand-built portfolio of tests/test_scenarios.py."""
from __future__ import annotations

import shutil

import pytest
from test_scenarios import database  # noqa: F401 - the module fixture, shared

from pmo_analytics import contract
from pmo_analytics.store import connection


@pytest.fixture
def db(database, tmp_path):  # noqa: F811
    path = tmp_path / "pmo.duckdb"
    shutil.copyfile(database, path)
    return path


def _snapshot_rows(path) -> dict:
    with connection.connect(path) as con:
        return {t: sorted(map(repr, con.sql(f"SELECT * FROM {t}").fetchall())) for t in [*contract.TABLES, "loads"]}


def test_new_saves_versions_and_never_touches_the_snapshots(db, run):
    before = _snapshot_rows(db)
    code, out, err = run("scenario", "new", "relief", "--db", db, "--defer", "P2:1", "--exclude", "P3",
                         "--author", "Ann", "--why", "Data team is full")
    assert (code, err) == (0, "")
    assert out.strip() == "saved scenario 'relief' version 1 on snapshot 2026-10 (2 change(s))"
    code, out, _ = run("scenario", "new", "relief", "--db", db, "--cut", "P1:25")
    assert "version 2" in out and "(1 change(s))" in out
    code, out, _ = run("scenario", "list", "--db", db)
    lines = [line.split() for line in out.strip().splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[3]) for r in lines] == [("relief", "1", "2026-10", "2"), ("relief", "2", "2026-10", "1")]
    assert _snapshot_rows(db) == before


def test_export_and_import_round_trip(db, run, tmp_path):
    run("scenario", "new", "relief", "--db", db, "--defer", "P2:1", "--author", "Ann", "--why", "Data team")
    code, toml, _ = run("scenario", "export", "relief", "--db", db)
    assert code == 0
    assert 'kind = "defer"\nproject_id = "P2"\nmonths = 1\nwho = "Ann"\nwhy = "Data team"' in toml
    file = tmp_path / "copy.toml"
    file.write_text(toml.replace('name = "relief"', 'name = "relief-copy"'))
    code, out, err = run("scenario", "import", file, "--db", db)
    assert (code, err) == (0, "") and "saved scenario 'relief-copy' version 1" in out
    code, again, _ = run("scenario", "export", "relief-copy", "--db", db)
    assert again.replace('name = "relief-copy"', 'name = "relief"') == toml


def test_show_compares_with_the_baseline(db, run):
    run("scenario", "new", "later", "--db", db, "--defer", "P2:1")
    code, out, err = run("scenario", "show", "later", "--db", db)
    assert (code, err) == (0, "")
    # Months over the approved budget after October: the baseline's December (670 > 600); deferring P2 a
    # month leaves December at 620, still over: 1 and 1 (see tests/test_scenario_compare.py).
    row = next(line for line in out.splitlines() if line.startswith("Months over the budget limit"))
    assert row.split()[-2:] == ["1", "1"]
    assert "later: defer P2 by 1 month" in out


@pytest.mark.parametrize("args, message", [
    (["--defer", "P2:soon"], "--defer 'P2:soon': expected PROJECT:MONTHS"),
    (["--cut", "P2"], "--cut 'P2': expected PROJECT:PERCENT"),
    (["--defer", "P9:2"], "P9 is not in the 2026-10 snapshot"),
    (["--cut", "P2:150"], "percent"),
])
def test_a_bad_change_is_refused_and_nothing_is_saved(db, run, args, message):
    code, out, err = run("scenario", "new", "bad", "--db", db, *args)
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert run("scenario", "list", "--db", db)[1].startswith("no scenario saved yet")


def test_a_malformed_toml_file_names_its_line(db, run, tmp_path):
    file = tmp_path / "broken.toml"
    file.write_text('[scenario]\nname = "x"\nas_of = "2026-10"\n\n[[change]]\nkind = "defer\n')
    code, _, err = run("scenario", "import", file, "--db", db)
    assert code != 0 and f"{file}: line 6" in err
    file.write_text('[scenario]\nname = "x"\nas_of = "2026-10"\n\n[[change]]\nkind = "defer"\nproject = "P2"\n')
    code, _, err = run("scenario", "import", file, "--db", db)
    assert code != 0 and "project" in err and str(file) in err


def test_export_never_overwrites_a_file_it_did_not_write(db, run, tmp_path):
    run("scenario", "new", "later", "--db", db, "--defer", "P2:1")
    notes = tmp_path / "notes.toml"
    notes.write_text("my own notes\n")
    code, _, err = run("scenario", "export", "later", "--db", db, "--out", notes)
    assert code != 0 and "not overwritten" in err and notes.read_text() == "my own notes\n"


def test_a_stale_scenario_is_listed_and_replayed(db, run):
    # Built on September, where P4 was still active; in October P4 is closed and P5 is gone.
    code, out, err = run("scenario", "new", "old", "--db", db, "--month", "2026-09", "--defer", "P1:1",
                         "--exclude", "P4")
    assert code == 0, err
    listed = run("scenario", "list", "--db", db)[1]
    assert "stale: 2026-10 is loaded (pmo scenario replay old)" in listed
    code, out, err = run("scenario", "replay", "old", "--db", db)
    assert code == 0, err
    assert "left out: change 2 (exclude P4): P4 is already closed in the 2026-10 snapshot" in out
    assert out.strip().endswith("saved scenario 'old' version 2 on snapshot 2026-10 (1 of 2 change(s) still apply)")


def test_optimise_without_values_says_where_to_put_them(db, run):
    code, out, err = run("scenario", "optimise", "--db", db)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "have no value" in err and "value_score" in err
