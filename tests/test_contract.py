import csv

import pytest
from conftest import CANONICAL

from pmo_analytics import contract
from pmo_analytics.store import connection as db


def test_every_table_has_its_key_required():
    for table in contract.TABLES.values():
        for key in table.key:
            assert table.column(key).required, f"{table.name}.{key} is a key but not required"


def test_ddl_creates_the_declared_columns():
    con = db.memory()
    for ddl in contract.all_ddl():
        con.sql(ddl)
    for table in contract.TABLES.values():
        cols = [r[0] for r in con.sql(f"DESCRIBE {table.name}").fetchall()]
        assert cols == ["as_of", "source", *table.column_names]
    loads = [r[0] for r in con.sql("DESCRIBE loads").fetchall()]
    assert loads[:3] == ["as_of", "loaded_at", "files"]
    assert {f"rows_{t}" for t in contract.TABLES} <= set(loads)


def test_design_doc_columns_are_all_declared():
    # The columns ../shared/DESIGN.md names for each table (the contract outside checks use).
    design = {
        "projects": "project_id name portfolio program department manager status phase priority "
                    "start_date end_date baseline_end_date bac currency",
        "budget_lines": "project_id period category budget forecast committed consumed",
        "progress": "project_id period percent_complete",
        "resources": "resource_id name team role department weekly_capacity_hours cost_rate",
        "allocations": "resource_id project_id week planned_hours actual_hours",
        "risks": "risk_id project_id title category probability impact impact_cost status owner "
                 "raised_date due_date closed_date mitigation",
        "milestones": "project_id milestone_id name baseline_date forecast_date actual_date",
    }
    for name, cols in design.items():
        assert set(cols.split()) <= set(contract.TABLES[name].column_names), name
    assert contract.PROJECTS.column("status").allowed == ("planned", "active", "on_hold", "closed", "cancelled")
    assert contract.RISKS.column("status").allowed == ("open", "mitigating", "closed", "occurred")


@pytest.mark.parametrize("table", list(contract.TABLES))
def test_canonical_fixture_headers_follow_the_contract(table):
    with open(CANONICAL / f"{table}.csv", newline="") as fh:
        assert next(csv.reader(fh)) == contract.TABLES[table].column_names


def test_markdown_documents_every_column():
    text = contract.markdown()
    for table in contract.TABLES.values():
        assert f"#### `{table.name}`" in text
        for c in table.columns:
            assert f"| {c.name} |" in text
    assert "planned / active / on_hold / closed / cancelled" in text


def test_readme_contract_section_is_generated_from_the_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("<!-- contract:start -->")[1].split("<!-- contract:end -->")[0]
    assert section.strip() == contract.markdown().strip(), \
        "README contract section is stale: paste the output of `pmo contract` between the markers"
