"""Shared fixtures: the hand-written canonical exports, a scratch database path, the CLI in-process."""
from __future__ import annotations

import hashlib
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
