"""A milestone achieved long before its baseline date: the warning gives the days as a positive count
("achieved 367 days before", was "-367 days before")."""
from __future__ import annotations

from conftest import REALDATA


def test_early_milestone_warning_counts_days_before_as_positive(run, tmp_path):
    # M1: actual 2023-12-31, baseline 2025-01-01: 366 days to 2024-12-31 (2024 is a leap year) + 1 = 367,
    #     more than 365 before -> warned. M2: actual 2024-01-02, baseline 2025-01-01: 365 days -> not warned.
    (tmp_path / "projects.csv").write_text("project_id,name,portfolio,status\nP-1,One,Alpha,active\n")
    milestones = tmp_path / "milestones.csv"
    milestones.write_text("project_id,milestone_id,name,baseline_date,forecast_date,actual_date\n"
                          "P-1,M1,Early,2025-01-01,2023-12-31,2023-12-31\n"
                          "P-1,M2,Early too,2025-01-01,2024-01-02,2024-01-02\n")
    code, out, _ = run("check", tmp_path, "--as-of", "2025-01")
    assert code == 0
    early = [line for line in out.splitlines() if "before its baseline date" in line]
    assert early == [f"warning: {milestones}: row 1, column actual_date: achieved 367 days before its baseline "
                     "date; check the dates"]


def test_nyc_sca_early_phase_end_reads_564_days_before(run):
    csv = REALDATA / "nyc-sca-capital-projects" / "Capital_Project_Schedules_and_Budgets.csv"
    code, out, _ = run("check", csv, "--profile", "nyc-sca", "--as-of", "2024-06")
    assert code == 0
    early = [line for line in out.splitlines() if "before its baseline date" in line]
    assert early == [f"warning: {csv}: row 10948, column actual_date: achieved 564 days before its baseline date; "
                     "check the dates"]
