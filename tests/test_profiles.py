"""The profile engine: reading options, value parsing, mappings, detection, and profile errors."""
import re
from pathlib import Path

import pytest

import pmo_analytics
from pmo_analytics.exceptions import UsageError
from pmo_analytics.ingest import profiles
from pmo_analytics.store import connection as db

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_profile_loads_the_finance_export(tmp_path, run):
    text = README.read_text()
    export = re.search(r"```\n(Projekt;.*?)\n```", text, re.S).group(1)
    toml = re.search(r"```toml\n(name = \"finance\".*?)```", text, re.S).group(1)
    (tmp_path / "finance_export.csv").write_text(export + "\n", encoding="cp1252")
    (tmp_path / "finance.toml").write_text(toml)
    db_file = tmp_path / "x.duckdb"
    code, _, err = run("load", tmp_path / "finance_export.csv", "--as-of", "2026-03", "--db", db_file)
    assert code == 0, err
    assert "profile finance picked for budget_lines" in err
    with pmo_analytics.connect(db_file) as con:
        row = con.sql("SELECT project_id, period::VARCHAR, category, budget, forecast, committed, consumed "
                      "FROM budget_lines").fetchall()
    assert row == [("P-100", "2026-03-01", "labour", 12000.0, 12500.0, 0.0, 11800.0)]


def _stage(tmp_path, text, toml, table="projects", encoding="utf-8", as_of=None):
    f = tmp_path / "export.csv"
    f.write_bytes(text.encode(encoding))
    profile = profiles.parse(toml)
    con = db.memory()
    header, notes = profiles.stage(con, f, table, profile, "raw", as_of)
    rows = con.sql("SELECT * FROM raw").fetchall()
    return [dict(zip(header, r)) for r in rows], notes


def test_numbers_dates_placeholders_and_value_maps(tmp_path):
    text = ('Code;Title;Budget (£m);Start;RAG;Owner\n'
            'A1;Alpha;"£1,139.18";20.05.2020;Amber/Green;Ann\n'
            'A2;Beta;(200);31/12/2040;Exempt under s43;PNS\n'
            'A3;Gamma;PNS;2024-09-30;Red;\n')
    toml = '''
[read]
delimiter = ";"
dates = ["%d.%m.%Y", "%d/%m/%Y"]
placeholders = ["PNS"]
[tables.projects]
project_id = "Code"
name = "Title"
portfolio = { value = "GMPP" }
status = { value = "active" }
bac = { columns = "Budget (£m)", scale = 1e6 }
start_date = "Start"
rag = { columns = "RAG", values = { "Amber/Green" = "amber_green", "Exempt under s43" = "" } }
manager = "Owner"
'''
    rows, notes = _stage(tmp_path, text, toml, encoding="cp1252")
    assert [r["bac"] for r in rows] == ["1139180000.0", "-200000000.0", None]
    assert [r["start_date"] for r in rows] == ["2020-05-20", "2040-12-31", "2024-09-30"]
    assert [r["rag"] for r in rows] == ["amber_green", None, "Red"]
    assert [r["portfolio"] for r in rows] == ["GMPP"] * 3
    assert "column bac: 1 placeholder value(s) (PNS) treated as missing" in notes
    assert "column manager: 1 placeholder value(s) (PNS) treated as missing" in notes


def test_decimal_comma_and_unparseable_values_kept_for_the_validator(tmp_path):
    text = "project_id;name;portfolio;status;bac;start_date\nP1;a;b;active;1.234,50;31.01.2025\nP2;b;b;active;12O;30.02.2025\n"
    rows, _ = _stage(tmp_path, text, (profiles.SHIPPED / "european.toml").read_text())
    assert rows[0]["bac"] == "1234.5" and rows[0]["start_date"] == "2025-01-31"
    assert rows[1]["bac"] == "12O" and rows[1]["start_date"] == "30.02.2025"  # reported with row and column


def test_transposed_layout_and_duplicate_headers(tmp_path):
    text = "Project name,Alpha,Beta\nRating,,\nRating,Green,Red\nStatus,active,closed\n"
    toml = '''
[read]
transpose = true
[tables.projects]
project_id = "Project name"
name = "Project name"
portfolio = { value = "X" }
status = "Status"
rag = "Rating"
'''
    rows, _ = _stage(tmp_path, text, toml)
    assert [(r["project_id"], r["rag"], r["status"]) for r in rows] == [("Alpha", "Green", "active"),
                                                                        ("Beta", "Red", "closed")]


def test_header_not_on_the_first_line(tmp_path):
    text = "Report generated 2026-03-31\n\nproject_id,name,portfolio,status\nP1,a,b,active\n"
    rows, _ = _stage(tmp_path, text, "[read]\nheader_row = 3\n")
    assert rows == [{"project_id": "P1", "name": "a", "portfolio": "b", "status": "active"}]


@pytest.mark.parametrize("toml, message", [
    ("[tables.project]\nname = 'x'\n", "unknown table [tables.project]"),
    ("[tables.projects]\ntitle = 'x'\n", "columns the contract does not know: title"),
    ("name = \n", "not valid TOML"),
])
def test_profile_errors_are_usage_errors(toml, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        profiles.parse(toml)


def test_unknown_profile_name_exits_2(run, tmp_path):
    code, _, err = run("check", tmp_path, "--profile", "nosuch")
    assert code == 2
    assert "unknown profile 'nosuch'" in err


def test_shipped_profiles_parse():
    names = set(profiles.shipped())
    assert {"canonical", "european", "workbook", "mspdi"} <= names
