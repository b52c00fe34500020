"""`pmo forecast` (issue 16): on a copy of the demo database (the session's demo_db is shared), on
exports with nothing to forecast, on the UK's GMPP data, and the forecast step of `pmo month`."""
from __future__ import annotations

import csv
import shutil

import duckdb
import nbformat
import pandas as pd
import pytest

from pmo_analytics.demo.sample import write_sample
from pmo_analytics.metrics.forecast_store import latest_forecast
from pmo_analytics.present import format as fmt
from pmo_analytics.present.figures.forecasts import chance
from pmo_analytics.reports import cycle
from pmo_analytics.store import connection
from conftest import CANONICAL, REALDATA, one_line_error

DRAWS = "2000"  # fewer than the default: these tests check the command, not the Monte Carlo


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    target = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, target)
    return target


def saved(database, month=None) -> dict | None:
    with connection.connect(database) as con:
        return latest_forecast(con, month)


def portfolio_block(out: str) -> list[str]:
    """The lines from "cost at completion" to the share of projects by their baseline."""
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("cost at completion:"))
    return lines[first:first + 5]


def test_forecast_saves_a_run_that_show_prints_back(run, demo_copy, demo_db):
    code, out, err = run("forecast", "--db", demo_copy, "--draws", DRAWS, "--seed", "5")
    assert code == 0, err
    assert err.splitlines() == ["reading the forecast inputs of 2026-10",
                                "simulating 2,000 draws of 33 projects and 69 open risks",
                                f"saving the forecast in {demo_copy}"]
    run_row = saved(demo_copy)["run"].iloc[0]
    assert (run_row["draws"], run_row["seed"], run_row["rho"], bool(run_row["stale"])) == (2000, 5, 0.3, False)
    assert run_row["prior_source"].startswith("CPI: portfolio, ")
    forecast = saved(demo_copy)
    p = forecast["portfolio"].iloc[0]
    # The budget is that of the projects to finish (planned, active, on hold; none is left out on the demo).
    with duckdb.connect(str(demo_db), read_only=True) as con:
        bac, count = con.sql("SELECT sum(bac), count(*) FROM projects WHERE as_of = DATE '2026-10-31' "
                             "AND status IN ('planned', 'active', 'on_hold')").fetchall()[0]
    assert (count, p["bac"]) == (33, pytest.approx(bac))
    assert p["eac"] == pytest.approx(forecast["projects"]["eac"].sum())
    assert p["cost_p50"] <= p["cost_p80"] <= p["cost_p90"]
    money = lambda v: fmt.money(v, "GBP")  # noqa: E731
    likely = int((forecast["projects"]["prob_by_baseline"] > 0.5).sum())
    assert portfolio_block(out) == [
        f"cost at completion: P50 {money(p['cost_p50'])}, P80 {money(p['cost_p80'])}, P90 {money(p['cost_p90'])}",
        f"  against the budget (BAC) {money(bac)} and the point forecast (EAC) {money(p['eac'])}",
        f"chance of finishing within the budget: {chance(p['prob_within_budget'])}",  # test_figures_forecasts
        f"contingency recommended (P80 - EAC): {money(p['cost_p80'] - p['eac'])}",
        f"projects finishing by their baseline: {chance(p['share_by_baseline_mean'])} expected, "
        f"{chance(p['share_by_baseline_p80'])} or more in 80% of draws; {likely} of 33 more likely than not",
    ]
    lines = out.splitlines()
    drivers = lines[lines.index("top drivers of the spread (share of the total's variance; of P80 - P50):") + 1:
                    lines.index("notes:")]
    assert len(drivers) == 5 and all(line.split()[1] in ("project", "risk") for line in drivers)
    assert "  6 of 33 projects have fewer than 3 periods of cost (CPI) history: their spread is the portfolio prior's" \
        in lines

    code, shown, err = run("forecast", "--db", demo_copy, "--show")
    assert code == 0, err
    assert portfolio_block(shown) == portfolio_block(out)
    assert shown.splitlines()[0] == lines[0] == ("risk-adjusted forecast of 2026-10: 33 projects, 69 open risks "
                                                 "with a cost; 2,000 draws (seed 5, rho 0.30, lhs-one-factor)")
    assert "stale" not in shown and f"  prior: {run_row['prior_source']}" in shown.splitlines()
    assert "  6 of 33 projects have fewer than 3 periods of cost (CPI) history: their spread is the portfolio " \
        "prior's" in shown.splitlines()


def test_the_same_seed_saves_the_same_numbers(run, demo_copy):
    frames = []
    for seed in ("9", "9", "10"):
        assert run("forecast", "--db", demo_copy, "--draws", DRAWS, "--seed", seed, "--rho", "0.5")[0] == 0
        frames.append(saved(demo_copy))
    for name in ("projects", "portfolio", "curve"):
        pd.testing.assert_frame_equal(frames[0][name], frames[1][name])
    assert frames[0]["run"]["rho"][0] == 0.5
    assert frames[2]["portfolio"]["cost_p80"][0] != frames[0]["portfolio"]["cost_p80"][0]


def test_show_says_when_the_forecast_is_absent_or_stale(run, demo_copy, demo_db):
    assert run("forecast", "--db", demo_copy, "--show") == (
        0, "no forecast is saved for 2026-10 (pmo forecast --month 2026-10 computes one)\n", "")
    assert run("forecast", "--db", demo_copy, "--month", "2026-09", "--draws", DRAWS)[0] == 0
    assert run("forecast", "--db", demo_copy, "--show")[1].startswith("no forecast is saved for 2026-10")
    assert run("forecast", "--db", demo_copy, "--show", "--month", "2026-09")[1].startswith(
        "risk-adjusted forecast of 2026-09: ")
    # loading 2026-09 again makes its forecast stale
    code, _, err = run("load", demo_db.parent / "sample" / "2026-09", "--as-of", "2026-09", "--db", demo_copy)
    assert code == 0, err
    shown = run("forecast", "--db", demo_copy, "--show", "--month", "2026-09")[1].splitlines()
    assert shown[2].startswith("stale: 2026-09 was loaded again at ")
    assert shown[2].endswith(", after this forecast (pmo forecast --month 2026-09 computes it again)")


def test_wrong_options_are_one_line_errors(run, demo_copy):
    code, _, err = run("forecast", "--db", demo_copy, "--show", "--seed", "3")
    assert code == 2 and one_line_error(err) == [
        "error: pmo forecast --show prints the saved forecast; --draws, --seed and --rho apply only when "
        "computing one (pmo forecast without --show)"]
    code, _, err = run("forecast", "--db", demo_copy, "--month", "2020-01")
    assert code == 1 and one_line_error(err)[0].startswith(f"error: 2020-01 is not loaded in {demo_copy} "
                                                           "(loaded: 2025-11, 2025-12, ")
    code, _, err = run("forecast", "--db", demo_copy, "--rho", "1.5")
    assert code == 2 and one_line_error(err) == [
        "error: forecast: rho (the correlation between projects) must be between 0 and 1, got 1.5"]
    assert saved(demo_copy) is None


def test_nothing_to_forecast_is_one_line(run, tmp_path):
    exports = tmp_path / "exports"
    shutil.copytree(CANONICAL, exports)
    rows = list(csv.DictReader((exports / "projects.csv").open(encoding="utf-8")))
    with (exports / "projects.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{**r, "bac": ""} for r in rows])  # no project has a BAC
    database = tmp_path / "pmo.duckdb"
    assert run("load", exports, "--as-of", "2026-03", "--db", database)[0] == 0
    code, out, err = run("forecast", "--db", database, "--draws", DRAWS)
    assert code == 0, err
    assert out.splitlines() == [
        "nothing to forecast in 2026-03: cannot forecast 3 of 3 projects to finish: no BAC (budget at completion) "
        "to forecast against (3)"]
    assert saved(database) is None


def test_the_uk_data_says_in_one_line_what_it_cannot_forecast(run, tmp_path):
    database = tmp_path / "uk.duckdb"
    code, _, err = run("load", REALDATA / "uk-gmpp" / "uk_2023.csv", "--as-of", "2023-03", "--profile", "uk-gmpp",
                       "--db", database)
    assert code == 0, err
    with duckdb.connect(str(database), read_only=True) as con:
        to_finish, no_bac, no_budget = con.sql("""
            SELECT count(*), count(*) FILTER (WHERE bac IS NULL),
                   count(*) FILTER (WHERE bac IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM budget_lines b WHERE b.as_of = p.as_of AND b.project_id = p.project_id
                       AND b.budget > 0))
            FROM projects p WHERE status IN ('planned', 'active', 'on_hold')""").fetchall()[0]
    assert (to_finish, no_bac, no_budget) == (244, 51, 10)
    code, out, err = run("forecast", "--db", database, "--draws", "500")
    assert code == 0, err
    # The other 183 have whole-life budgets in the snapshot month and report neither cost nor progress: a
    # forecast of them would be their budget with the prior's spread, so none is made (nothing is saved).
    assert out.splitlines() == [
        "nothing to forecast in 2023-03: cannot forecast 244 of 244 projects to finish: its plan has started but "
        "it reports neither cost nor progress: nothing to forecast from (183); no BAC (budget at completion) to "
        "forecast against (51); no budget in any month: no planned duration (10)"]
    assert saved(database) is None


def _book(path):
    """A one-cell report notebook that prints whether the month's forecast is saved when it runs."""
    book = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    book.cells = [nbformat.v4.new_code_cell("month = None\ndb = None", metadata={"tags": ["parameters"]}),
                  nbformat.v4.new_code_cell(
                      "from pmo_analytics.metrics.forecast_store import latest_forecast\n"
                      "from pmo_analytics.store import connection\n"
                      "with connection.connect(db) as con:\n"
                      "    print('forecast saved:', latest_forecast(con, month) is not None)")]
    nbformat.write(book, str(path))
    return path


def test_the_month_saves_its_forecast_before_the_notebooks_and_goes_on_without_one(tmp_path, monkeypatch):
    ((as_of, exports),) = write_sample(tmp_path / "exports", projects=12, months=1, seed=7)
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(_book(tmp_path / "check.ipynb")))
    database, out, lines = tmp_path / "pmo.duckdb", tmp_path / "reports", []
    cycle.run_month(as_of, exports, database=database, out_dir=out, progress=lines.append)
    said = [line for line in lines if "risk-adjusted forecast" in line]
    assert len(said) == 1 and said[0].startswith(f"      risk-adjusted forecast of {as_of:%Y-%m}: P50 £")
    executed = nbformat.read(str(out / f"{as_of:%Y-%m}" / "check.ipynb"), as_version=4)
    assert "forecast saved: True" in executed.cells[-1].outputs[0]["text"]
    assert not saved(database)["run"]["stale"][0]

    def broken(*args, **kwargs):
        raise RuntimeError("the engine broke\nsecond line")
    monkeypatch.setattr(cycle, "simulate", broken)
    lines.clear()
    result = cycle.run_month(as_of, exports, database=database, out_dir=out, progress=lines.append)
    assert result.notebooks == ["check"]
    assert [line for line in lines if "forecast" in line] == [
        f"      warning: no risk-adjusted forecast of {as_of:%Y-%m}: the engine broke"]
    assert saved(database)["run"]["stale"][0]  # the one before, computed before this load
