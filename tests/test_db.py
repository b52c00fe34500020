"""db.frame: the Arrow fetch every metric uses gives the same frame as DuckDB's own .df()."""
import datetime as dt

import pandas as pd

from pmo_analytics.store import connection as db


def test_frame_matches_duckdb_df_values_and_dtypes():
    con = db.memory()
    con.sql("""CREATE TABLE t AS SELECT * FROM (VALUES
        ('P-1', DATE '2026-01-31', 3, CAST(NULL AS INTEGER), 1.5, TRUE),
        ('P-2', DATE '2026-02-28', 4, 7, NULL, NULL)) v(id, d, n, gaps, x, flag)""")
    q = "SELECT * FROM t WHERE id IN (SELECT unnest(?::VARCHAR[])) ORDER BY id"
    fast = db.frame(con, q, [["P-1", "P-2"]])
    slow = con.sql(q, params=[["P-1", "P-2"]]).df()
    pd.testing.assert_frame_equal(fast, slow)
    assert str(fast["d"].dtype) == "datetime64[us]"
    assert str(fast["gaps"].dtype) == "Int32" and fast["gaps"].isna().tolist() == [True, False]
    assert fast["n"].dtype == "int32" and fast["d"].iloc[1] == pd.Timestamp(dt.date(2026, 2, 28))


def test_frame_without_rows_keeps_the_columns():
    con = db.memory()
    df = db.frame(con, "SELECT 'x' AS a, DATE '2026-01-01' AS d WHERE FALSE")
    assert list(df.columns) == ["a", "d"] and len(df) == 0
