"""Hostile and broken Parquet histories: each test exports a real database with `pmo export`, breaks
the lake with real file operations or pyarrow writes, runs the real `pmo import`, and checks the exit
code, the one-line messages (partition, column, row), and that the database and the lake are
byte-for-byte as they were."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import one_line_error, tree

from pmo_analytics import cli, contract
from pmo_analytics.demo.sample import write_sample
from pmo_analytics.snapshots import loading as snapshots

TABLES = list(contract.TABLES)
YEARS = f"{contract.EARLIEST_DATE.year}..{contract.LATEST_DATE.year}"
EVIL = """y" INTEGER; COPY (SELECT 1) TO 'evil.sh' (FORMAT csv); --"""


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """6 projects, 3 monthly snapshots, loaded and exported once with `pmo export`."""
    root = tmp_path_factory.mktemp("hostile")
    database, lake = root / "db" / "pmo.duckdb", root / "history"
    for as_of, folder in write_sample(root / "exports", projects=6, months=3, seed=5, history=True):
        snapshots.load([folder], as_of, database=database)
    assert cli.main(["export", "--parquet", str(lake), "--db", str(database)]) == 0
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(f"SELECT as_of, {', '.join(f'rows_{t}' for t in TABLES)} FROM loads ORDER BY as_of").fetchall()
    counts = {r[0]: dict(zip(TABLES, r[1:])) for r in rows}
    return SimpleNamespace(db=database, lake=lake, months=sorted(counts), counts=counts)


@pytest.fixture
def w(small, tmp_path, monkeypatch):
    """A copy of the lake (tmp_path/history, imported as "history" from tmp_path) and of the database."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(small.lake, tmp_path / "history")
    shutil.copytree(small.db.parent, tmp_path / "db")
    month = small.months[1]
    return SimpleNamespace(lake=tmp_path / "history", db=tmp_path / "db" / "pmo.duckdb", month=month,
                           said=small.counts[month], months=small.months, root=tmp_path)


def part(w, table: str, month=None) -> Path:
    return w.lake / table / f"as_of={month or w.month}"


def rewrite(path: Path, change) -> None:
    """Rewrites one Parquet file through pyarrow: change(table) -> table."""
    pq.write_table(change(pq.read_table(path)), path)


def column(table: pa.Table, name: str, values, type_=None) -> pa.Table:
    """`table` with column `name` replaced (or appended) by `values`."""
    array = pa.array(values, type=type_)
    i = table.schema.get_field_index(name)
    return table.set_column(i, pa.field(name, array.type), array) if i >= 0 else table.append_column(name, array)


def first(table: pa.Table, name: str, value, type_=None) -> pa.Table:
    """`table` with the first row's `name` set to `value`."""
    values = table.column(name).to_pylist()
    return column(table, name, [value] + values[1:], type_ or table.schema.field(name).type)


def refused(run, w, *expected: str, lines: int | None = None, lake="history") -> list[str]:
    """Runs `pmo import`; asserts exit 1, every expected text in some error line, the database folder
    and the lake unchanged. Returns the error lines."""
    before = tree(w.lake), tree(w.db.parent)
    code, _, err = run("import", "--parquet", lake, "--db", w.db)
    errors = one_line_error(err)
    assert code == 1, err
    for text in expected:
        assert any(text in line for line in errors), (text, err)
    if lines is not None:
        assert len(errors) == lines, err
    assert (tree(w.lake), tree(w.db.parent)) == before
    return errors


def imported(run, w, lake="history") -> str:
    code, out, err = run("import", "--parquet", lake, "--db", w.db)
    assert code == 0, err
    assert "Traceback" not in err and "imported 3 snapshot(s)" in out
    return err


def query(database: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql, params=params).fetchall()


# -- the attacker's findings -----------------------------------------------------------------------

@pytest.mark.parametrize("name", [EVIL, """y" INTEGER; COPY (SELECT 1) TO 'evil.sh' ...; --"""])
def test_a_hostile_column_name_reaches_no_sql(run, w, name):
    for f in (w.lake / "projects").glob("*/*.parquet"):
        rewrite(f, lambda t: t.append_column(name, pa.array([1] * t.num_rows)))
    lake = tree(w.lake)
    err = imported(run, w)
    assert not list(w.root.rglob("evil.sh")) and not (Path(__file__).parents[1] / "evil.sh").exists()
    assert not (Path.home() / "evil.sh").exists()
    warnings = [line for line in err.splitlines() if line.startswith("warning")]
    assert warnings == [f"warning: history/projects: 1 column(s) not in the contract ignored: {name[:40]}..."]
    columns = [r[0] for r in query(w.db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'projects' "
                                          "ORDER BY column_index")]
    assert columns == ["as_of", "source", *contract.PROJECTS.column_names]
    assert tree(w.lake) == lake


def test_a_renamed_partition_is_named_and_its_month_found_empty(run, w):
    p = part(w, "budget_lines")
    p.rename(p.with_name(f"{p.name}.bak"))
    refused(run, w, f"error: history/budget_lines/as_of={w.month}.bak: not a partition folder",
            f"error: history/budget_lines/as_of={w.month}: 0 rows where loads says {w.said['budget_lines']} "
            "(a deleted or half-copied partition?)", lines=3)


def test_a_deleted_partition_is_refused(run, w):
    shutil.rmtree(part(w, "budget_lines"))
    errors = refused(run, w, lines=1)
    assert errors == [f"error: history/budget_lines/as_of={w.month}: 0 rows where loads says "
                      f"{w.said['budget_lines']} (a deleted or half-copied partition?)"]


def test_a_half_copied_partition_is_refused(run, w):
    rewrite(part(w, "budget_lines") / "data_0.parquet", lambda t: t.slice(0, 100))
    refused(run, w, f"error: history/budget_lines/as_of={w.month}: 100 rows where loads says "
            f"{w.said['budget_lines']}", lines=1)


def test_a_value_outside_the_contract_names_file_row_and_column(run, w):
    rewrite(part(w, "progress") / "data_0.parquet", lambda t: first(t, "percent_complete", 1000.0))
    refused(run, w, f"error: history/progress/as_of={w.month}/data_0.parquet: row 1, column percent_complete: "
            "'1000' is outside 0..100", lines=1)


def test_every_rule_of_the_contract_is_applied_and_every_problem_listed(run, w):
    m = w.month
    rewrite(part(w, "budget_lines") / "data_0.parquet", lambda t: first(first(t, "budget", -5.0), "project_id", "NOPE"))
    rewrite(part(w, "projects") / "data_0.parquet", lambda t: first(first(t, "status", "exploded"), "name", ""))
    rewrite(part(w, "risks") / "data_0.parquet",
            lambda t: first(first(first(t, "impact", 9, pa.int32()), "probability", 7.0), "risk_id", t["risk_id"][1]))
    rewrite(part(w, "allocations") / "data_0.parquet", lambda t: first(t, "planned_hours", 200.0))
    days = (contract.LATEST_DATE - dt.date(1970, 1, 1)).days + 1
    rewrite(part(w, "milestones") / "data_0.parquet", lambda t: column(t, "baseline_date", pa.array(
        [days * 100, days, -800_000] + [None] * (t.num_rows - 3), pa.int32()).cast(pa.date32())))
    nested = part(w, "projects", w.months[2]) / "data_0.parquet"
    rewrite(nested, lambda t: column(t, "start_date", [{"y": 2026, "m": 1}] * t.num_rows))
    f = lambda table: f"error: history/{table}/as_of={m}/data_0.parquet: row "  # noqa: E731
    refused(run, w, f("budget_lines") + "1, column budget: negative amount '-5'",
            f("budget_lines") + "1, column project_id: unknown project 'NOPE' (not in projects)",
            f("projects") + "1, column status: unknown status 'exploded'",
            f("projects") + "1, column name: missing value (the column is required)",
            f("risks") + "1, column impact: '9' is outside 1..5",
            f("risks") + "1, column probability: '7' is outside 0..1",
            f("risks") + "2, column risk_id: duplicate key",
            f("allocations") + "1, column planned_hours: '200' is outside 0..168",
            f("milestones") + "1, column baseline_date: '",
            f("milestones") + f"2, column baseline_date: '{contract.LATEST_DATE + dt.timedelta(days=1)}' is outside "
            f"the years {YEARS}",
            f("milestones") + f"3, column baseline_date: '0222-09-04 (BC)' is outside the years {YEARS}",
            f"error: history/projects/as_of={w.months[2]}: column start_date: STRUCT(y BIGINT, m BIGINT) in the "
            "file where the contract expects DATE")


def test_an_impossible_partition_name_is_one_line(run, w):
    shutil.copytree(part(w, "risks"), w.lake / "risks" / "as_of=2026-13-45")
    assert refused(run, w, lines=1) == [
        "error: history/risks/as_of=2026-13-45: 2026-13-45 is not a date; move it out of the history"]


def test_a_truncated_parquet_file_is_one_line(run, w):
    victim = part(w, "risks") / "data_0.parquet"
    victim.write_bytes(victim.read_bytes()[:200])
    refused(run, w, f"error: history/risks/as_of={w.month}/data_0.parquet: not a readable Parquet file "
            "(truncated or corrupt?)", lines=1)


def test_a_lake_folder_that_is_a_file_is_one_line(run, w):
    shutil.rmtree(w.lake / "projects")
    (w.lake / "projects").write_text("not a folder")
    refused(run, w, "error: history/projects: a file where the folder of a table is expected", lines=1)
    (w.root / "history.zip").write_bytes(b"PK")
    refused(run, w, "error: history.zip: a file, not a history folder", lines=1, lake="history.zip")


def test_two_loads_records_for_one_month_are_one_line(run, w):
    shutil.copyfile(part(w, "loads") / "data_0.parquet", part(w, "loads") / "data_1.parquet")
    refused(run, w, f"error: history/loads/as_of={w.month}: 2 records for {w.month:%Y-%m} (one expected)", lines=1)


def test_a_month_in_loads_with_no_other_table_is_one_line(run, w):
    for table in TABLES:
        shutil.rmtree(part(w, table))
    refused(run, w, f"error: history/loads/as_of={w.month}: {w.month:%Y-%m} has a record in loads/ but no "
            "partition in any other table", lines=1)


# -- more cases ------------------------------------------------------------------------------------

def test_a_partition_whose_files_mix_two_schemas(run, w):
    f = part(w, "risks") / "data_0.parquet"
    t = pq.read_table(f)
    pq.write_table(t.slice(0, 7), f)
    pq.write_table(t.slice(7).drop_columns(["mitigation"]), f.with_name("data_1.parquet"))
    refused(run, w, f"error: history/risks/as_of={w.month}: its files do not share one schema (data_0.parquet "
            "and data_1.parquet differ", lines=1)


def test_text_where_a_date_is_expected_is_parsed_and_what_is_no_date_named(run, w):
    def as_text(t):
        dates = [d.isoformat() if d else None for d in t.column("forecast_date").to_pylist()]
        return column(t, "forecast_date", ["not a date"] + dates[1:])
    f = part(w, "milestones") / "data_0.parquet"
    rewrite(f, as_text)
    refused(run, w, f"error: history/milestones/as_of={w.month}/data_0.parquet: row 1, column forecast_date: "
            "'not a date' is not a valid date (expected YYYY-MM-DD)", lines=1)
    rewrite(f, lambda t: first(t, "forecast_date", "2026-09-01"))  # the other rows, dates as text, import
    imported(run, w)
    assert query(w.db, "SELECT count(*), count(forecast_date) FILTER (WHERE forecast_date = DATE '2026-09-01') "
                       "FROM milestones WHERE as_of = ?", params=[w.month]) == [(w.said["milestones"], 1)]


def test_a_partition_linked_to_a_folder_outside_the_lake(run, w):
    outside = w.root / f"elsewhere-{'x' * 80}"  # the whole target is named, however long the path
    shutil.copytree(part(w, "risks"), outside)
    shutil.rmtree(part(w, "risks"))
    part(w, "risks").symlink_to(outside)
    refused(run, w, f"error: history/risks/as_of={w.month}: a link to {outside}, outside the history folder; refused")
    part(w, "risks").unlink()
    shutil.copytree(outside, part(w, "risks"))
    (part(w, "risks") / "data_0.parquet").rename(outside / "moved.parquet")
    (part(w, "risks") / "data_0.parquet").symlink_to(outside / "moved.parquet")
    refused(run, w, f"error: history/risks/as_of={w.month}/data_0.parquet: a link to", lines=1)


def test_a_huge_number_of_tiny_files(run, w):
    """A partition of one file per row: read as one, and a problem named by its file and row."""
    f = part(w, "allocations") / "data_0.parquet"
    t = pq.read_table(f)
    f.unlink()
    for i in range(t.num_rows):
        pq.write_table(t.slice(i, 1), f.with_name(f"part-{i:05d}.parquet"))
    good = f.with_name("part-00250.parquet")
    rewrite(good, lambda x: first(x, "actual_hours", -3.0))
    refused(run, w, f"error: history/allocations/as_of={w.month}/part-00250.parquet: row 1, column actual_hours: "
            "'-3' is outside 0..168", lines=1)
    pq.write_table(t.slice(250, 1), good)
    imported(run, w)
    rows = query(w.db, "SELECT count(*), sum(planned_hours) FROM allocations WHERE as_of = ?", params=[w.month])
    assert rows[0][0] == w.said["allocations"] == t.num_rows
    assert abs(rows[0][1] - sum(x or 0 for x in t.column("planned_hours").to_pylist())) < 1e-6


def test_an_empty_loads_partition(run, w):
    (part(w, "loads") / "data_0.parquet").unlink()
    refused(run, w, f"error: history/loads/as_of={w.month}: an empty partition: {w.month:%Y-%m} has no record "
            "in loads/ although projects", lines=1)
    rewrite_to = part(w, "loads", w.months[0]) / "data_0.parquet"
    shutil.copyfile(rewrite_to, part(w, "loads") / "data_0.parquet")
    rewrite(part(w, "loads") / "data_0.parquet", lambda t: t.slice(0, 0))  # a file with no row
    refused(run, w, f"error: history/loads/as_of={w.month}: an empty partition", lines=1)


def test_an_as_of_written_in_the_file_must_be_its_folders(run, w):
    f = part(w, "progress") / "data_0.parquet"
    rewrite(f, lambda t: t.append_column("as_of", pa.array([w.months[0]] * t.num_rows)))
    refused(run, w, f"error: history/progress/as_of={w.month}/data_0.parquet: row 1, column as_of: as_of "
            f"'{w.months[0]}' written in the file disagrees with its folder as_of={w.month}")
    rewrite(f, lambda t: column(t, "as_of", [w.month] * t.num_rows))
    imported(run, w)
    assert query(w.db, "SELECT count(*) FROM progress WHERE as_of = ?", params=[w.month]) == [(w.said["progress"],)]


def test_a_lake_of_a_newer_contract_imports_without_its_extra_column(run, w, small):
    for f in (w.lake / "projects").glob("*/*.parquet"):
        rewrite(f, lambda t: t.append_column("sponsor", pa.array(["A. Sponsor"] * t.num_rows)))
    err = imported(run, w)
    assert "warning: history/projects: 1 column(s) not in the contract ignored: sponsor" in err.splitlines()
    assert not query(w.db, "SELECT 1 FROM duckdb_columns() WHERE column_name = 'sponsor'")
    names = "SELECT as_of, project_id, name, bac FROM projects ORDER BY ALL"
    assert query(w.db, names) == query(small.db, names)


def test_an_older_lake_without_an_optional_column_imports_it_as_null(run, w):
    for f in (w.lake / "projects").glob("*/*.parquet"):
        rewrite(f, lambda t: t.drop_columns(["currency"]))
    imported(run, w)
    assert query(w.db, "SELECT count(*), count(currency) FROM projects") == [(18, 0)]
    for f in (w.lake / "progress").glob("*/*.parquet"):
        rewrite(f, lambda t: t.drop_columns(["percent_complete"]))
    refused(run, w, f"error: history/progress/as_of={w.month}: column percent_complete: required column is missing")


def test_dates_written_as_timestamps_with_time_zone(run, w, small):
    def moments(t, late_row=None):
        values = [dt.datetime.combine(d, dt.time(), tzinfo=dt.timezone.utc) if d else None
                  for d in t.column("start_date").to_pylist()]
        if late_row is not None:
            values[late_row] = values[late_row].replace(hour=22)
        return column(t, "start_date", values)
    f = part(w, "projects") / "data_0.parquet"
    original = pq.read_table(f)
    pq.write_table(moments(original, late_row=2), f)
    refused(run, w, f"error: history/projects/as_of={w.month}/data_0.parquet: row 3, column start_date: '",
            "UTC' is a moment, not a day", lines=1)
    pq.write_table(moments(original), f)  # midnight UTC: the day is the day
    imported(run, w)
    dates = "SELECT as_of, project_id, start_date FROM projects ORDER BY ALL"
    assert query(w.db, dates) == query(small.db, dates)


def test_glob_characters_in_the_lake_path_read_that_lake_and_no_other(run, w):
    lake = w.root / "lake[1]"
    w.lake.rename(lake)
    shutil.copytree(lake, w.root / "lake1")
    for f in (w.root / "lake1" / "projects").glob("*/*.parquet"):
        rewrite(f, lambda t: column(t, "name", ["Not this lake"] * t.num_rows))
    w.lake = lake
    imported(run, w, lake="lake[1]")
    assert query(w.db, "SELECT count(*) FROM projects WHERE name = 'Not this lake'") == [(0,)]


def test_empty_text_is_an_empty_cell(run, w):
    rewrite(part(w, "projects") / "data_0.parquet",
            lambda t: column(column(t, "rag", [""] * t.num_rows), "manager", [" "] * t.num_rows))
    imported(run, w)
    assert query(w.db, "SELECT count(*), count(rag), count(manager) FROM projects WHERE as_of = ?",
                 params=[w.month]) == [(6, 0, 0)]


def test_stray_entries_and_dates_that_are_no_month_end(run, w):
    (part(w, "projects") / "notes.txt").write_text("mine")
    (w.lake / "risks" / "README").write_text("mine")
    shutil.copytree(part(w, "milestones"), w.lake / "milestones" / "as_of=2026-09-15")
    refused(run, w, f"error: history/projects/as_of={w.month}/notes.txt: not a Parquet file of the partition",
            "error: history/risks/README: a stray file in a table folder",
            "error: history/milestones/as_of=2026-09-15: 2026-09-15 is not the last day of a month", lines=4)


def test_a_duplicate_key_across_two_files_names_both(run, w):
    f = part(w, "risks") / "data_0.parquet"
    t = pq.read_table(f)
    pq.write_table(t.slice(0, 10), f)
    pq.write_table(pa.concat_tables([t.slice(10), t.slice(2, 1)]), f.with_name("data_1.parquet"))
    d = f"history/risks/as_of={w.month}"
    refused(run, w, f"error: {d}/data_1.parquet: row {t.num_rows - 10 + 1}, column risk_id: duplicate key "
            f"'{t['risk_id'][2]}' (first in {d}/data_0.parquet row 3)",
            f"error: {d}: {t.num_rows + 1} rows where loads says {t.num_rows} (files of another export copied in?)",
            lines=3)


def test_a_loads_record_that_is_not_sound(run, w):
    rewrite(part(w, "loads") / "data_0.parquet",
            lambda t: column(column(column(t, "files", ["not json"]), "rows_risks", [-1], pa.int64()),
                             "quality_score", [float("nan")]))
    d = f"error: history/loads/as_of={w.month}/data_0.parquet: row 1, column"
    refused(run, w, f"{d} files: not a JSON object", f"{d} rows_risks: '-1' is not a count",
            f"{d} quality_score: 'nan' is outside 0..100", lines=4)
    rewrite(part(w, "loads") / "data_0.parquet", lambda t: t.drop_columns(["rows_risks"]))
    refused(run, w, f"error: history/loads/as_of={w.month}: column rows_risks: required column is missing", lines=1)


@pytest.mark.parametrize("name, decoy", [("it's a st*r", "it's a stXr"), ('say "x" [1]', 'say "x" 1'),
                                         ("a?b", "axb"), ("back\\slash", None), ("~/lake", None)])
def test_export_writes_where_asked_whatever_the_folder_name(run, w, small, monkeypatch, name, decoy):
    """Quotes, glob characters, a backslash, a leading ~: exported there, and imported from there only
    (not from a neighbour the name would match as a pattern, nor from the home folder)."""
    home = w.root / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    if decoy:
        w.lake.rename(w.root / decoy)
        for f in (w.root / decoy / "projects").glob("*/*.parquet"):
            rewrite(f, lambda t: column(t, "name", ["Not this lake"] * t.num_rows))
    code, _, err = run("export", "--parquet", name, "--db", small.db)
    assert code == 0 and "Traceback" not in err, err
    out = w.root / name
    assert sorted(p.name for p in out.iterdir()) == sorted([*TABLES, "loads"])
    assert len(list(out.rglob("*.parquet"))) == 3 * 8 and not list(home.rglob("*"))
    assert sorted(p.name for p in (out / "budget_lines").iterdir()) == [f"as_of={m}" for m in small.months]
    w.lake = out
    imported(run, w, lake=name)
    assert query(w.db, "SELECT count(*) FROM projects WHERE name = 'Not this lake'") == [(0,)]
    count = "SELECT count(*), sum(planned_hours) FROM allocations"
    assert query(w.db, count) == query(small.db, count)
