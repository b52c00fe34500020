"""Loading snapshots: counts and values, re-loading a month, subsets, atomic publish, readers."""
import datetime as dt
import hashlib
import json
import shutil

import duckdb
import pytest
from conftest import CANONICAL, sha256

import pmo_analytics
from pmo_analytics.exceptions import DatabaseMissing
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.store import loads

ROWS = {"projects": 3, "budget_lines": 6, "progress": 3, "resources": 3, "allocations": 4, "risks": 3,
        "milestones": 3}


def test_load_canonical_folder(db_file):
    report = snapshots.load([CANONICAL], "2025-02", database=db_file)
    assert report.errors == []
    with pmo_analytics.connect(db_file) as con:
        for table, n in ROWS.items():
            assert con.sql(f"SELECT count(*) FROM {table} WHERE as_of = DATE '2025-02-28'").fetchall()[0][0] == n
        assert con.sql("SELECT sum(bac) FROM projects").fetchall()[0][0] == pytest.approx(245000.50)
        assert con.sql("SELECT sum(consumed) FROM budget_lines").fetchall()[0][0] == pytest.approx(68000)
        # 'active' is stored as given, risk probabilities stay on 0-1, blank cells become NULL.
        assert con.sql("SELECT count(*) FROM risks WHERE owner IS NULL").fetchall()[0][0] == 1
        assert con.sql("SELECT actual_hours FROM allocations WHERE project_id = 'PRJ-003'").fetchall() == [(None,)]
        assert con.sql("SELECT start_date FROM projects WHERE project_id = 'PRJ-002'").fetchall() == \
            [(dt.date(2025, 2, 3),)]
        loads = con.sql("SELECT as_of, files, rows_projects, rows_allocations, warnings, quality_score, "
                        "checksum FROM loads").fetchall()
    assert len(loads) == 1
    as_of, files, n_projects, n_alloc, warnings, score, checksum = loads[0]
    assert (as_of, n_projects, n_alloc, warnings) == (dt.date(2025, 2, 28), 3, 4, 0)
    files = json.loads(files)
    assert files["risks"]["file"] == str(CANONICAL / "risks.csv")
    assert files["risks"]["sha256"] == sha256(CANONICAL / "risks.csv")
    expected = hashlib.sha256("".join(f"{t}:{sha256(CANONICAL / (t + '.csv'))};"
                                      for t in sorted(ROWS)).encode()).hexdigest()
    assert checksum == expected
    # Every file complete except risks: owner and mitigation blank in 1 of 3 rows, out of 12 expected
    # columns (closed_date may be blank): (10 + 2/3 + 2/3) / 12 = 0.9444; mean over 7 tables = 99.2.
    assert score == 99.2


def test_reload_replaces_only_that_month(db_file, tmp_path):
    snapshots.load([CANONICAL], "2025-01", database=db_file)
    snapshots.load([CANONICAL], "2025-02", database=db_file)
    changed = tmp_path / "projects.csv"
    text = (CANONICAL / "projects.csv").read_text().replace("120000", "150000")
    changed.write_text(text)
    snapshots.load([changed], "2025-02", database=db_file)
    with pmo_analytics.connect(db_file) as con:
        bac = dict(con.sql("SELECT as_of, sum(bac) FROM projects GROUP BY ALL").fetchall())
        assert bac == {dt.date(2025, 1, 31): pytest.approx(245000.50), dt.date(2025, 2, 28): pytest.approx(275000.50)}
        # the other tables of the re-loaded month stay
        assert con.sql("SELECT count(*) FROM risks WHERE as_of = DATE '2025-02-28'").fetchall()[0][0] == 3
        files = json.loads(con.sql("SELECT files FROM loads WHERE as_of = DATE '2025-02-28'").fetchall()[0][0])
    assert files["projects"]["file"] == str(changed)
    assert files["risks"]["file"] == str(CANONICAL / "risks.csv")
    listed = loads.list_snapshots(db_file)
    assert list(listed["month"]) == ["2025-01", "2025-02"]
    assert list(listed["projects"]) == [3, 3]


# A failure half-way through publishing, with a real fault (a full disk while DuckDB writes), is in
# test_hostile_load.py::test_disk_full_names_the_real_cause.


def test_stale_copy_of_a_killed_load_is_removed(db_file, tmp_path):
    snapshots.load([CANONICAL], "2025-01", database=db_file)
    (tmp_path / "pmo.duckdb.loading-999999").write_bytes(b"half a database")
    snapshots.load([CANONICAL], "2025-02", database=db_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pmo.duckdb", "pmo.duckdb.lock"]


def test_open_reader_keeps_its_view_while_a_month_is_published(db_file):
    snapshots.load([CANONICAL], "2025-01", database=db_file)
    reader = pmo_analytics.connect(db_file)  # a dashboard's read-only connection, held open
    snapshots.load([CANONICAL], "2025-02", database=db_file)
    assert reader.sql("SELECT count(*) FROM loads").fetchall()[0][0] == 1
    reader.close()
    with pmo_analytics.connect(db_file) as fresh:
        assert fresh.sql("SELECT count(*) FROM loads").fetchall()[0][0] == 2


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_load_like_csv(db_file, tmp_path, fmt):
    import pandas as pd

    folder = tmp_path / fmt
    folder.mkdir()
    for csv in CANONICAL.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if fmt == "xlsx":
            for col in frame.columns:  # real date cells, as Excel users type them
                if col.endswith("date") or col in ("period", "week"):
                    frame[col] = pd.to_datetime(frame[col].replace("", None))
            frame.to_excel(folder / f"{csv.stem}.xlsx", index=False)
        else:
            con = duckdb.connect()
            con.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{folder / (csv.stem + '.parquet')}' (FORMAT parquet)")
    csv_db = tmp_path / "csv.duckdb"
    snapshots.load([CANONICAL], "2025-02", database=csv_db)
    report = snapshots.load([folder], "2025-02", database=db_file)
    assert report.errors == []
    cols = "* EXCLUDE (source)"
    with pmo_analytics.connect(csv_db) as a, pmo_analytics.connect(db_file) as b:
        for table in ROWS:
            left = a.sql(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            right = b.sql(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
            assert left == right, table


def test_connect_honours_pmo_db_and_is_read_only(db_file, monkeypatch):
    with pytest.raises(DatabaseMissing, match="no database yet"):
        pmo_analytics.connect(db_file)
    snapshots.load([CANONICAL], "2025-02", database=db_file)
    monkeypatch.setenv("PMO_DB", str(db_file))
    con = pmo_analytics.connect()
    assert con.sql("SELECT count(*) FROM projects").fetchall()[0][0] == 3
    assert con.sql("SELECT current_setting('autoinstall_known_extensions')").fetchall()[0][0] is False
    with pytest.raises(duckdb.Error):
        con.sql("DELETE FROM projects")
    con.close()


def test_one_to_five_probability_scale_is_normalised(db_file, tmp_path):
    shutil.copy(CANONICAL / "projects.csv", tmp_path)
    (tmp_path / "risks.csv").write_text(
        "risk_id,project_id,title,status,probability,impact\n"
        "R1,PRJ-001,a,open,1,3\nR2,PRJ-001,b,open,4,3\nR3,PRJ-001,c,open,5,2\n")
    report = snapshots.load([tmp_path], "2025-02", database=db_file)
    assert any("1-5 scale" in str(p) for p in report.warnings)
    with pmo_analytics.connect(db_file) as con:
        assert con.sql("SELECT probability FROM risks ORDER BY risk_id").fetchall() == [(0.1,), (0.7,), (0.9,)]
