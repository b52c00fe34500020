"""The data-quality report warns of implausible values (definitions.PLAUSIBLE): a forecast far from its
budget, a CPI far from 1. From small hand-made exports and two real ones, counted here with pandas."""
from __future__ import annotations

import duckdb
import pandas as pd
from conftest import REALDATA

from pmo_analytics.metrics.earned_value import evm

PLAUSIBLE_LINE = "outside the plausible range"


def _flagged(text: str) -> list[str]:
    return [line for line in text.splitlines() if PLAUSIBLE_LINE in line]


def _variance_export(folder):
    # P-1: budget 400 + 600 = 1,000, forecast 3,000 + 4,000 = 7,000 -> 7.0 times, variance +600.0%
    # P-2: budget 1,000, forecast 1,100 -> +10.0%, plausible
    # P-3: budget 500 + 500 = 1,000, forecast 6 + 4 = 10 -> 1.0% of it, variance -99.0%
    # P-4: cancelled, forecast 0 against budget 1,000 (-100%): a cancelled project has no variance
    folder.mkdir()
    (folder / "projects.csv").write_text(
        "project_id,name,portfolio,status,bac\nP-1,One,Alpha,active,1000\nP-2,Two,Alpha,active,1000\n"
        "P-3,Three,Alpha,active,1000\nP-4,Four,Alpha,cancelled,1000\n")
    (folder / "budget_lines.csv").write_text(
        "project_id,period,category,budget,forecast\n"
        "P-1,2025-01-01,labour,400,3000\nP-1,2025-02-01,labour,600,4000\n"
        "P-2,2025-01-01,labour,1000,1100\n"
        "P-3,2025-01-01,labour,500,6\nP-3,2025-02-01,labour,500,4\n"
        "P-4,2025-01-01,labour,1000,0\n")
    return folder / "budget_lines.csv"


def test_check_and_load_warn_of_the_two_implausible_variances(run, tmp_path, db_file):
    lines = _variance_export(tmp_path / "export")
    want = [f"warning: {lines}: row 1, column forecast: project P-1: forecast is 7.0 times the budget "
            "(variance +600.0%), outside the plausible range -95%..+500%; check the units of budget and forecast",
            f"warning: {lines}: row 4, column forecast: project P-3: forecast is 1.0% of the budget "
            "(variance -99.0%), outside the plausible range -95%..+500%; check the units of budget and forecast"]
    code, out, _ = run("check", tmp_path / "export", "--as-of", "2025-02")
    assert code == 0 and _flagged(out) == want
    code, _, err = run("load", tmp_path / "export", "--as-of", "2025-02", "--db", db_file)
    assert code == 0 and _flagged(err) == want
    with duckdb.connect(str(db_file), read_only=True) as con:
        recorded = con.sql("SELECT warnings FROM loads").fetchall()
    assert recorded == [(err.count("warning: "),)] and recorded[0][0] >= 2


def test_an_implausible_cpi_where_progress_is_reported(run, tmp_path, db_file):
    # Status month 2025-02; budget = forecast (no variance), bac 1,000 each.
    # C-1: 50% reported in February, 10 consumed: EV 500 / AC 10 -> CPI 50.00 (above 5)
    # C-2: 40% in January and February, 200 + 200 consumed: CPI 400 / 400 = 1.00
    # C-3: 5% in February, 1,000 consumed: CPI 50 / 1,000 = 0.05 (below 0.1); its January report is row 4
    #      and the February one (the latest, which EV uses) row 5
    # C-4: 30% reported, consumed blank: no AC, so no CPI to question
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "projects.csv").write_text("project_id,name,portfolio,status,bac\n"
                                         + "".join(f"C-{i},P{i},Alpha,active,1000\n" for i in range(1, 5)))
    (folder / "budget_lines.csv").write_text(
        "project_id,period,category,budget,forecast,consumed\n"
        "C-1,2025-02-01,labour,1000,1000,10\n"
        "C-2,2025-01-01,labour,500,500,200\nC-2,2025-02-01,labour,500,500,200\n"
        "C-3,2025-02-01,labour,1000,1000,1000\n"
        "C-4,2025-02-01,labour,1000,1000,\n")
    progress = folder / "progress.csv"
    progress.write_text("project_id,period,percent_complete\nC-1,2025-02-01,50\nC-2,2025-01-01,40\n"
                        "C-2,2025-02-01,40\nC-3,2025-01-01,2\nC-3,2025-02-01,5\nC-4,2025-02-01,30\n")
    want = [f"warning: {progress}: row 1, column percent_complete: project C-1: CPI 50.00 (earned 50% of bac "
            "1,000.00 against 10.00 consumed to 2025-02), outside the plausible range 0.1..5; check consumed, "
            "percent_complete and bac",
            f"warning: {progress}: row 5, column percent_complete: project C-3: CPI 0.05 (earned 5% of bac "
            "1,000.00 against 1,000.00 consumed to 2025-02), outside the plausible range 0.1..5; check consumed, "
            "percent_complete and bac"]
    code, out, _ = run("check", folder, "--as-of", "2025-02")
    assert code == 0 and _flagged(out) == want
    code, _, err = run("load", folder, "--as-of", "2025-02", "--db", db_file)
    assert code == 0 and _flagged(err) == want
    # The dashboards' earned value has the same CPIs (and none for C-4).
    with duckdb.connect(str(db_file), read_only=True) as con:
        cpi = evm(con).set_index("project_id").cpi
    assert (cpi["C-1"], cpi["C-2"], cpi["C-3"]) == (50.0, 1.0, 0.05) and pd.isna(cpi["C-4"])


def _outside(budget: pd.Series, forecast: pd.Series) -> int:
    """How many variances 100 x (forecast - budget) / budget are outside -95%..+500% (no budget: none)."""
    pct = 100 * (forecast - budget) / budget.where(budget != 0)
    return int(((pct > 500) | (pct < -95)).sum())


def test_us_it_dashboard_implausible_variances_counted_with_pandas(run):
    csv = REALDATA / "us-itdashboard-projects" / "itdashboard_projects_2011_2012.csv"
    raw = pd.read_csv(csv, encoding_errors="replace").drop_duplicates()  # the profile keeps repeats once
    assert raw["Project ID"].is_unique
    want = _outside(raw["Planned Cost ($ M)"], raw["Projected/Actual Cost ($ M)"])
    assert want == 31  # 11 above +500% (up to +33,767%), 20 below -95% (most a forecast of 0)
    code, out, _ = run("check", csv, "--profile", "us-itdashboard", "--as-of", "2012-12")
    assert code == 0
    flagged = _flagged(out)
    listed = [line for line in flagged if ": project " in line]
    more = [line for line in flagged if "... and " in line]
    assert len(listed) == 20  # PMO_MAX_PROBLEMS' default, then one line for the rest
    assert more == [f"warning: {csv}: column forecast: ... and 11 more projects with a forecast outside the "
                    "plausible range -95%..+500% of the budget"]
    assert len(listed) + 11 == want
    assert any("forecast is 0.0% of the budget (variance -100.0%)" in line for line in listed)


def test_nyc_sca_implausible_variances_counted_with_pandas(run):
    csv = REALDATA / "nyc-sca-capital-projects" / "Capital_Project_Schedules_and_Budgets.csv"
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    money = {c: pd.to_numeric(raw[c], errors="coerce")  # codes such as PNS are missing
             for c in ("Project Budget Amount", "Final Estimate of Actual Costs Through End of Phase Amount")}
    key = ["Project Building Identifier", "Project Description", "DSF Number(s)"]
    totals = pd.DataFrame({**{k: raw[k] for k in key}, **money}).groupby(key).sum(min_count=1)
    want = _outside(totals["Project Budget Amount"],
                    totals["Final Estimate of Actual Costs Through End of Phase Amount"])
    assert want == 15  # all above +500%
    code, out, _ = run("check", csv, "--profile", "nyc-sca", "--as-of", "2024-06")
    assert code == 0
    flagged = _flagged(out)
    assert len(flagged) == want and all("times the budget" in line for line in flagged)
