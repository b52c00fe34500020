"""publish.CopyAhead: the copy of the live database made while a load stages its files is used only
when the live file is still the one copied; a file swapped in meanwhile (another publisher) is copied
again under the lock, so its rows are never lost."""
from __future__ import annotations

import os

import duckdb

from pmo_analytics.store import connection, publish


def _db(path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.sql("CREATE TABLE t AS SELECT range AS i FROM range(?)", params=[rows])
    con.close()


def _publish_one_more(target, ahead) -> None:
    con = connection.memory()
    try:
        with publish.publishing(con, target, ahead=ahead):
            con.sql("INSERT INTO pub.t VALUES (-1)")
    finally:
        con.close()


def _count(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT count(*) FROM t").fetchall()[0][0]
    finally:
        con.close()


def test_the_early_copy_is_used_when_the_file_is_unchanged(tmp_path):
    target = tmp_path / "pmo.duckdb"
    _db(target, 3)
    ahead = publish.CopyAhead(target)
    assert ahead.usable(target)
    _publish_one_more(target, ahead)
    assert _count(target) == 4  # 3 rows + the one inserted
    assert not ahead.tmp.exists()


def test_a_file_swapped_in_after_the_early_copy_is_copied_again(tmp_path):
    target = tmp_path / "pmo.duckdb"
    _db(target, 3)
    ahead = publish.CopyAhead(target)
    ahead.usable(target)  # the early copy (of 3 rows) is done
    newer = tmp_path / "newer.duckdb"
    _db(newer, 10)
    os.replace(newer, target)  # another publisher's month lands between the copy and the lock
    assert not ahead.usable(target)
    _publish_one_more(target, ahead)
    assert _count(target) == 11  # built on the 10 rows now live, not the stale copy's 3
    ahead.discard()
    assert not ahead.tmp.exists()
