"""The `pmo` command as a user runs it: a real process, exit codes, messages, no tracebacks."""
import os
import subprocess
import sys

import pytest
from conftest import BAD, CANONICAL, sha256

import pmo_analytics
from pmo_analytics import contract


def pmo(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "pmo_analytics", *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=300)


def test_bad_date_row_17_exit_1_database_unchanged(tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert pmo("load", CANONICAL, "--as-of", "2025-02", "--db", db).returncode == 0
    before = sha256(db)
    result = pmo("load", BAD / "bad_date", "--as-of", "2025-03", "--db", db)
    assert result.returncode == 1
    assert "row 17, column start_date: '2026-02-30' is not a valid date" in result.stderr
    assert str(BAD / "bad_date" / "projects.csv") in result.stderr
    assert "Traceback" not in result.stderr
    assert sha256(db) == before


def test_usage_errors_exit_2(tmp_path):
    result = pmo("load", CANONICAL, "--as-of", "2025-13", "--db", tmp_path / "x.duckdb")
    assert result.returncode == 2
    assert "not a month: '2025-13' (expected YYYY-MM)" in result.stderr
    assert pmo("load", CANONICAL).returncode == 2  # --as-of is required
    assert pmo("frobnicate").returncode == 2
    assert not (tmp_path / "x.duckdb").exists()


def test_pmo_db_environment_variable(tmp_path):
    db = tmp_path / "env.duckdb"
    assert pmo("load", CANONICAL, "--as-of", "2025-02", env={"PMO_DB": str(db)}).returncode == 0
    listed = pmo("snapshots", env={"PMO_DB": str(db)})
    assert listed.returncode == 0
    lines = listed.stdout.strip().splitlines()
    assert lines[0].split()[:8] == ["month", "projects", "budget_lines", "progress", "resources",
                                    "allocations", "risks", "milestones"]
    assert lines[1].split()[:8] == ["2025-02", "3", "6", "3", "3", "4", "3", "3"]


def test_sample_is_deterministic_and_loadable(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, seed in ((a, 3), (b, 3), (c, 4)):
        assert pmo("sample", folder, "--projects", 10, "--months", 3, "--seed", seed).returncode == 0
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(f"{t}.csv" for t in contract.TABLES)
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "projects.csv").read_bytes() != (c / "projects.csv").read_bytes()
    result = pmo("load", a, "--as-of", "2026-10", "--db", tmp_path / "s.duckdb")
    assert result.returncode == 0, result.stderr
    assert "10 projects" in result.stdout


@pytest.mark.slow
def test_demo_loads_twelve_snapshots(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = pmo("demo", "--db", db, "--outdir", tmp_path / "sample")
    assert result.returncode == 0, result.stderr
    assert "12 snapshots loaded" in result.stdout
    with pmo_analytics.connect(db) as con:
        months = con.sql("SELECT strftime(as_of, '%Y-%m'), rows_projects, rows_resources FROM loads "
                         "ORDER BY as_of").fetchall()
        portfolios = con.sql("SELECT count(DISTINCT portfolio) FROM projects").fetchall()[0][0]
    assert len(months) == 12
    assert months[0][0] == "2025-11" and months[-1][0] == "2026-10"
    assert months[-1][1:] == (60, 120)  # the default portfolio: 60 projects, 120 people
    assert portfolios == 3
    listed = pmo("snapshots", "--db", db).stdout
    assert listed.count("\n20") == 12  # one line per month
