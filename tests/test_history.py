"""History as hive-partitioned Parquet: the layout, the types, a lossless round trip, partial
exports and imports that merge, and imports that fail without touching the database."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import sha256

from pmo_analytics.demo.sample import write_sample
from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.snapshots import lake_import
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.store import loads
from pmo_analytics.store import parquet as history


def _con(**databases: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for alias, path in databases.items():
        con.sql(f"ATTACH '{path}' AS {alias} (READ_ONLY)")
    return con


def _columns(con, database: str, table: str) -> list[tuple[str, str]]:
    return con.sql("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND "
                   "table_name = ? ORDER BY column_index", params=[database, table]).fetchall()


def _assert_same(con, a: str, b: str, table: str, where: str = "TRUE") -> int:
    """Rows of `table` equal in databases a and b (EXCEPT ALL both ways, so duplicates count too)."""
    for x, y in ((a, b), (b, a)):
        extra = con.sql(f"SELECT count(*) FROM (SELECT * FROM {x}.{table} WHERE {where} EXCEPT ALL "
                        f"SELECT * FROM {y}.{table} WHERE {where})").fetchall()[0][0]
        assert extra == 0, (table, x, y)
    return con.sql(f"SELECT count(*) FROM {a}.{table} WHERE {where}").fetchall()[0][0]


def _files(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_ino)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def lake(demo_db, tmp_path_factory) -> Path:
    """The demo database (60 projects, 12 months) exported once."""
    out = tmp_path_factory.mktemp("lake") / "history"
    written = history.export_parquet(demo_db, out)
    assert set(written) == set(history.TABLES) and all(written.values())
    return out


def test_export_writes_one_hive_partition_per_table_and_month(demo_db, lake):
    with _con(a=demo_db) as con:
        months = [r[0] for r in con.sql("SELECT as_of FROM a.loads ORDER BY as_of").fetchall()]
    assert len(months) == 12
    assert sorted(p.name for p in lake.iterdir()) == sorted(history.TABLES)  # no work folders left
    for table in history.TABLES:
        parts = sorted(p.name for p in (lake / table).iterdir())
        assert parts == [f"as_of={m.isoformat()}" for m in months], table
        for part in parts:
            assert [p.name for p in (lake / table / part).iterdir()] == ["data_0.parquet"]


def test_parquet_keeps_every_type_and_the_partition_reads_as_a_date(demo_db, lake):
    """What Spark, Trino or DuckDB see reading the folder as it is: the database's columns and types
    (as_of from the folder name, detected as a DATE), every row."""
    with _con(a=demo_db) as con:
        for table in history.TABLES:
            scan = f"read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"
            seen = {name: type_ for name, type_, *_ in con.sql(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
            assert seen == dict(_columns(con, "a", table)), table
            # Every row and value, straight from the files.
            for x, y in ((f"a.{table}", scan), (scan, f"a.{table}")):
                cols = ", ".join(name for name, _ in _columns(con, "a", table))
                extra = con.sql(f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL "
                                f"SELECT {cols} FROM {y})").fetchall()[0][0]
                assert extra == 0, table
        dates = con.sql(f"SELECT DISTINCT typeof(start_date), typeof(as_of) FROM "
                        f"read_parquet('{lake}/projects/*/*.parquet', hive_partitioning = true)").fetchall()
        assert dates == [("DATE", "DATE")]


def test_round_trip_loses_nothing(demo_db, lake, tmp_path):
    target = tmp_path / "restored.duckdb"
    months = lake_import.import_parquet(lake, target)
    assert len(months) == 12 and months == sorted(months)
    with _con(a=demo_db, b=target) as con:
        for table in history.TABLES:
            assert _columns(con, "a", table) == _columns(con, "b", table), table
            assert _assert_same(con, "a", "b", table) > 0, table
        # The summaries are recomputed from the imported rows: equal up to the order of summation.
        diff = con.sql("""SELECT count(*), max(abs(x.budget - y.budget) + abs(x.pv - y.pv) + abs(x.ac - y.ac)),
                                 count(*) FILTER (WHERE x.percent_complete IS DISTINCT FROM y.percent_complete)
                          FROM a.project_status x JOIN b.project_status y USING (as_of, project_id)""").fetchall()
        projects = con.sql("SELECT count(*) FROM a.projects").fetchall()[0][0]
        assert diff[0][0] == projects and diff[0][1] < 1e-6 and diff[0][2] == 0
        assert _assert_same(con, "a", "b", "resource_month") > 0
        assert _assert_same(con, "a", "b", "milestone_history") > 0
    # The restored database is a workbench database like any other.
    listed = loads.list_snapshots(target)
    assert len(listed) == 12 and listed["quality_score"].notna().all()
    assert not list(tmp_path.glob("*.loading-*"))


def test_partial_export_replaces_its_months_and_import_merges(tmp_path):
    written = write_sample(tmp_path / "exports", projects=8, months=3, seed=3, history=True)
    (m1, f1), (m2, f2), (m3, f3) = written
    a, b, lake = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "lake"
    for as_of, folder in ((m1, f1), (m2, f2)):
        snapshots.load([folder], as_of, database=a)
    history.export_parquet(a, lake)
    first = _files(lake)

    # Month 2 is re-loaded with one project renamed: exporting only month 2 rewrites its partitions
    # (new files) and leaves month 1's alone (same files, same bytes).
    changed = tmp_path / "changed"
    shutil.copytree(f2, changed)
    lines = (changed / "projects.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[1] = "Renamed project"
    lines[1] = ",".join(cells)
    (changed / "projects.csv").write_text("".join(lines), encoding="utf-8")
    snapshots.load([changed], m2, database=a)
    history.export_parquet(a, lake, months=[f"{m2:%Y-%m}"])
    second = _files(lake)
    assert sorted(first) == sorted(second)
    for path, (digest, inode) in first.items():
        if f"as_of={m1.isoformat()}" in path:
            assert second[path] == (digest, inode), path
        else:
            assert second[path][1] != inode, path
    names = duckdb.sql(f"SELECT name FROM read_parquet('{lake}/projects/*/*.parquet', hive_partitioning = true) "
                       f"WHERE as_of = DATE '{m2.isoformat()}'").fetchall()
    assert ("Renamed project",) in names

    # b holds month 3 only; importing the lake adds months 1 and 2 and keeps month 3.
    snapshots.load([f3], m3, database=b)
    with _con(b=b) as con:
        before_m3 = {t: con.sql(f"SELECT count(*) FROM b.{t} WHERE as_of = ?", params=[m3]).fetchall()[0][0]
                     for t in history.TABLES}
    assert lake_import.import_parquet(lake, b) == [m1, m2]
    shutil.copyfile(b, tmp_path / "b-copy.duckdb")
    with _con(a=a, b=tmp_path / "b-copy.duckdb") as con:
        assert [r[0] for r in con.sql("SELECT as_of FROM b.loads ORDER BY as_of").fetchall()] == [m1, m2, m3]
        for table in history.TABLES:
            _assert_same(con, "a", "b", table, where=f"as_of <= DATE '{m2.isoformat()}'")
            count = con.sql(f"SELECT count(*) FROM b.{table} WHERE as_of = ?", params=[m3]).fetchall()[0][0]
            assert count == before_m3[table], table
    # Importing the same lake again changes nothing.
    lake_import.import_parquet(lake, b)
    with _con(a=tmp_path / "b-copy.duckdb", b=b) as con:
        for table in history.TABLES:
            _assert_same(con, "a", "b", table)


def test_a_broken_history_leaves_the_database_unchanged(demo_db, lake, tmp_path):
    target = tmp_path / "live.duckdb"
    shutil.copyfile(demo_db, target)
    before = sha256(target)
    broken = tmp_path / "broken"
    shutil.copytree(lake, broken)
    victim = next((broken / "risks").glob("*/data_0.parquet"))
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated in transfer
    with pytest.raises(InputError, match="risks"):
        lake_import.import_parquet(broken, target)
    assert sha256(target) == before
    assert not list(tmp_path.glob("live.duckdb.loading-*"))

    # A partition without its loads record is refused too.
    orphan = tmp_path / "orphan"
    shutil.copytree(lake, orphan)
    shutil.rmtree(next((orphan / "loads").iterdir()))
    with pytest.raises(InputError, match="no record in loads"):
        lake_import.import_parquet(orphan, target)
    assert sha256(target) == before


def test_import_refuses_a_folder_that_is_not_a_history(tmp_path):
    (tmp_path / "projects").mkdir()
    with pytest.raises(InputError, match="not a PMO history folder"):
        lake_import.import_parquet(tmp_path, tmp_path / "pmo.duckdb")
    assert not (tmp_path / "pmo.duckdb").exists()


def test_export_of_a_month_not_loaded_is_a_usage_error(demo_db, tmp_path):
    with pytest.raises(UsageError, match="not loaded"):
        history.export_parquet(demo_db, tmp_path / "lake", months=["2020-01"])
    assert not list((tmp_path / "lake").iterdir())


def test_duplicate_keys_in_a_history_are_refused(tmp_path):
    written = write_sample(tmp_path / "exports", projects=4, months=1, seed=1, history=True)
    (as_of, folder), = written
    source, lake = tmp_path / "a.duckdb", tmp_path / "lake"
    snapshots.load([folder], as_of, database=source)
    history.export_parquet(source, lake)
    part = lake / "projects" / f"as_of={as_of.isoformat()}"
    shutil.copyfile(part / "data_0.parquet", part / "data_1.parquet")  # every project twice
    with pytest.raises(InputError, match="duplicate key"):
        lake_import.import_parquet(lake, tmp_path / "b.duckdb")
    assert not (tmp_path / "b.duckdb").exists()
