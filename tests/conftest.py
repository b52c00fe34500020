"""Shared fixtures: the hand-written canonical exports, a scratch database path, the CLI in-process."""
from __future__ import annotations

import hashlib
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pmo_analytics import cli

DATA = Path(__file__).parent / "data"
CANONICAL = DATA / "canonical"
BAD = DATA / "bad"
REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


@pytest.fixture
def db_file(tmp_path, monkeypatch) -> Path:
    """A database path in a scratch folder; PMO_DB is cleared so nothing touches data/pmo.duckdb."""
    monkeypatch.delenv("PMO_DB", raising=False)
    return tmp_path / "pmo.duckdb"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def run(capsys):
    """Runs `pmo ARGS...` in-process; returns (exit code, stdout, stderr)."""
    def _run(*args):
        code = cli.main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return _run


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> tuple[Path, dict]:
    """The default demo portfolio (60 projects, 12 monthly snapshots) loaded into a database file, built
    once per session; returns the file and each month's load report ({as_of: report}). A test that
    writes to it works on a copy (shutil.copyfile: milliseconds)."""
    from pmo_analytics.demo.sample import write_sample
    from pmo_analytics.snapshots import loading as snapshots

    folder = tmp_path_factory.mktemp("demo")
    database = folder / "pmo.duckdb"
    reports = {}
    for as_of, month in write_sample(folder / "sample", projects=60, months=12, seed=7, history=True):
        reports[as_of] = snapshots.load([month], as_of, database=database)
    return database, reports


@pytest.fixture(scope="session")
def demo_db(demo_build) -> Path:
    """The demo database file of demo_build (its exports are in demo_db.parent / "sample")."""
    return demo_build[0]


@pytest.fixture(scope="session")
def uk_2023_db(tmp_path_factory) -> Path:
    """The real UK GMPP 2023 export loaded once as the 2023-03 snapshot (profile uk-gmpp). Read it, or
    copy it (shutil.copyfile: milliseconds) before anything that may write."""
    from pmo_analytics.snapshots import loading as snapshots

    database = tmp_path_factory.mktemp("uk2023") / "uk.duckdb"
    snapshots.load([REALDATA / "uk-gmpp" / "uk_2023.csv"], "2023-03", database=database, profile="uk-gmpp")
    return database


@pytest.fixture
def uk_2023_copy(uk_2023_db, tmp_path) -> Path:
    """A private copy of uk_2023_db in the test's scratch folder."""
    import shutil

    target = tmp_path / "uk.duckdb"
    shutil.copyfile(uk_2023_db, target)
    return target


def insert(con, table: str, columns: list[str], rows) -> None:
    """Inserts hand-written rows into a table of a test database, values bound as parameters."""
    marks = ", ".join("?" for _ in columns)
    for row in rows:
        con.sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", params=list(row))


def tree(path: Path) -> dict[str, str]:
    """Every file under `path` (or the file itself) with its SHA-256: compare before and after a
    refused command to show that nothing the user owns was touched."""
    path = Path(path)
    if path.is_file():
        return {path.name: sha256(path)}

    def state(p: Path) -> str:
        if p.is_symlink():
            return f"-> {p.readlink()}"
        return sha256(p) if p.is_file() else "dir"
    return {str(p.relative_to(path)): state(p) for p in sorted(path.rglob("*"))}


@pytest.fixture
def pmo_process():
    """Runs `python -m pmo_analytics ARGS...` as a real process (for signals, kills, exit codes);
    returns (exit code, stdout, stderr)."""
    import os
    import subprocess
    import sys

    def _run(*args, timeout: float = 300, env: dict | None = None, **kwargs):
        proc = subprocess.run([sys.executable, "-m", "pmo_analytics", *[str(a) for a in args]],
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})}, **kwargs)
        return proc.returncode, proc.stdout, proc.stderr
    return _run


def read_xer(path: Path) -> dict[str, list[dict]]:
    """{table: rows as {field: value}} from the %T / %F / %R lines of a Primavera XER file, read
    without MPXJ (what the schedule tests compare MPXJ's reading with)."""
    tables: dict[str, list[dict]] = {}
    table, fields = None, []
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        cells = line.split("\t")
        if cells[0] == "%T":
            table = cells[1]
            tables[table] = []
        elif cells[0] == "%F":
            fields = cells[1:]
        elif cells[0] == "%R":
            tables[table].append(dict(zip(fields, cells[1:])))
    return tables


def one_line_error(err: str) -> list[str]:
    """The error lines of a command's stderr; asserts there is no traceback."""
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("error")]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the server under test takes it next)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, timeout: float = 60) -> bool:
    """Polls `url`/ until the server answers; False when it has not within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            return True
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    return False
