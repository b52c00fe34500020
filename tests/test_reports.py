"""The monthly cycle end to end: three months of sample exports through `run_month`, the HTML pack,
its headline numbers, "what changed" for a month whose inputs were changed on purpose, re-runs, and
the failures that must leave everything as it was.

The three-month fixture runs every report notebook for every month (papermill, one kernel each), so
this module takes about a minute; everything else reuses its database and reports (copied when a
test changes them).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import duckdb
import nbformat
import pytest
from conftest import BAD, sha256

from pmo_analytics import contract, metrics
from pmo_analytics.demo.sample import write_sample
from pmo_analytics.exceptions import DatabaseMissing, UsageError, ValidationFailed
from pmo_analytics.metrics import scope as filters
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.reports import cycle as reports
from pmo_analytics.reports import index, pack, runner
from pmo_analytics.store import connection as db

MONTHS = ["2026-08", "2026-09", "2026-10"]
NAMES = ["02_budget_variance", "03_resource_load", "04_risks", "05_milestones", "06_improvement_kpis",
         "07_month_over_month", "09_forecasts"]  # the pack, in order
FORECAST_RAISE = 250_000.00  # added to one future budget line of one project in month 2
SLIP_DAYS = 30               # one open milestone of month 2 slipped by this many days
# What a director's page must not contain: scripts (it opens offline), code and prompts, widgets
# frozen in their default state, tracebacks and warnings.
FORBIDDEN = ("<script", "pmo_analytics.connect", "import ", 'class="jp-InputPrompt', "In&nbsp;[",
             'class="highlight', "Traceback", "Warning:", "FilterBar", "VBox(", "widget-view",
             # nor what the analyst needs: how to run it, the numbers the tests check, the interactive part
             "Run all cells", "For the analyst", "parameters cell", "notebook tests", "Explore", "NBVAL")
# The full lists beside each page (present.tables.ReportTable, written by the report as <page>-<name>.csv).
CSV_FILES = {"02_budget_variance": ["budget-variance", "earned-value"], "03_resource_load": ["over-allocations"],
             "04_risks": ["top-risks"], "05_milestones": ["milestones-by-project", "rebaselines"],
             "06_improvement_kpis": ["kpis"],
             "07_month_over_month": ["forecast-changes", "risks-raised", "risks-closed", "milestones-slipped"],
             "09_forecasts": ["forecast-projects"]}


def _read(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _forecast(rows: list[dict], project_id: str) -> float:
    return round(sum(float(r["forecast"] or 0) for r in rows if r["project_id"] == project_id), 2)


def _expected_date(row: dict) -> dt.date:
    return dt.date.fromisoformat(row["actual_date"] or row["forecast_date"] or row["baseline_date"])


def _change_month_2(folder1: Path, folder2: Path) -> SimpleNamespace:
    """Raises one project's forecast and slips one open milestone in month 2's exports; returns what
    'what changed' must then show."""
    as_of2 = dt.date(2026, 9, 30)
    lines1, lines2 = _read(folder1 / "budget_lines.csv"), _read(folder2 / "budget_lines.csv")
    in_month_1 = {r["project_id"] for r in _read(folder1 / "projects.csv")}
    # A project whose forecast the sample did not move (a planned one), so the change is the raise alone.
    line = next(r for r in lines2 if r["project_id"] in in_month_1 and dt.date.fromisoformat(r["period"]) > as_of2
                and float(r["forecast"]) > 0 and _forecast(lines1, r["project_id"]) == _forecast(lines2, r["project_id"]))
    project = line["project_id"]
    before = _forecast(lines1, project)
    line["forecast"] = f"{float(line['forecast']) + FORECAST_RAISE:.2f}"
    after = _forecast(lines2, project)
    _write(folder2 / "budget_lines.csv", lines2)

    stones1 = {(r["project_id"], r["milestone_id"]): r for r in _read(folder1 / "milestones.csv")}
    stones2 = _read(folder2 / "milestones.csv")
    # An open milestone whose date the sample itself did not move, so the slip is exactly SLIP_DAYS.
    stone = next(r for r in stones2 if not r["actual_date"] and r["forecast_date"]
                 and (r["project_id"], r["milestone_id"]) in stones1
                 and _expected_date(stones1[(r["project_id"], r["milestone_id"])]) == _expected_date(r))
    stone["forecast_date"] = (dt.date.fromisoformat(stone["forecast_date"]) + dt.timedelta(days=SLIP_DAYS)).isoformat()
    _write(folder2 / "milestones.csv", stones2)
    key = (stone["project_id"], stone["milestone_id"])
    return SimpleNamespace(project=project, forecast_before=before, forecast_after=after, milestone=key,
                           slip_days=(_expected_date(stone) - _expected_date(stones1[key])).days,
                           milestone_after=stone["forecast_date"])


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Three consecutive months of sample exports run through run_month (month 2 changed on purpose)."""
    base = tmp_path_factory.mktemp("cycle")
    written = write_sample(base / "exports", projects=12, months=3, seed=7, history=True)
    folders = {f"{as_of:%Y-%m}": folder for as_of, folder in written}
    assert list(folders) == MONTHS
    changed = _change_month_2(folders[MONTHS[0]], folders[MONTHS[1]])
    database, out = base / "pmo.duckdb", base / "reports"
    lines, results, seconds = [], {}, {}
    for month in MONTHS:
        start = time.perf_counter()
        results[month] = reports.run_month(month, folders[month], database=database, out_dir=out,
                                           progress=lines.append)
        seconds[month] = time.perf_counter() - start
    print(f"\nrun_month times: {', '.join(f'{m} {s:.1f} s' for m, s in seconds.items())}")
    return SimpleNamespace(base=base, folders=folders, database=database, out=out, changed=changed,
                           lines=lines, results=results, seconds=seconds)


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def tiles_of(page: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"data-key='([a-z_]+)' data-value='([^']+)'", page)}


def tree(folder: Path) -> dict[str, str]:
    """Every file under a folder (hidden ones too) with its SHA-256."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_state(cycle, target: Path) -> tuple[Path, Path]:
    """A private copy of the cycle's database and reports, for tests that change them."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cycle.database, target / "pmo.duckdb")
    shutil.copytree(cycle.out, target / "reports")
    return target / "pmo.duckdb", target / "reports"


# ---------------------------------------------------------------------------------------------
# three months end to end

def test_each_month_publishes_a_complete_pack(cycle):
    for i, month in enumerate(MONTHS):
        folder = cycle.out / month
        result = cycle.results[month]
        assert result.folder == folder and result.load is not None and not result.load.errors
        expected = NAMES if i else [n for n in NAMES if n not in reports.NEEDS_PREVIOUS]
        assert result.notebooks == expected
        files = sorted(p.name for p in folder.iterdir())
        # A table's full list is beside its page, and linked from it (an empty table has none).
        linked = sorted(link for n in expected
                        for link in re.findall(r"href=[\"']([^\"']+\.csv)[\"']", (folder / f"{n}.html").read_text("utf-8")))
        assert set(linked) <= {f"{n}-{c}.csv" for n in expected for c in CSV_FILES[n]}
        assert "02_budget_variance-budget-variance.csv" in linked and "04_risks-top-risks.csv" in linked
        assert files == sorted(["index.html", *(f"{n}.html" for n in expected), *(f"{n}.ipynb" for n in expected),
                                *linked])
        for name in expected:
            page = (folder / f"{name}.html").read_text(encoding="utf-8")
            # Figures are embedded PNGs and tables are HTML: the page needs no kernel and no network.
            assert len(re.findall(r'<img alt="Figure \d+: [^"]+" src="data:image/png;base64,', page)) >= 1, name
            assert result.figures[name] >= 1
            # No scripts, no code, no prompts, no frozen widgets, no tracebacks (checked as lists so
            # that pytest does not diff 500 kB pages).
            assert [s for s in FORBIDDEN if s in page] == [], name
            as_of = filters.month_end(dt.datetime.strptime(month, "%Y-%m").date())
            assert [s for s in ("<table", f"Snapshot <b>{as_of:%d %b %Y}</b>", "data quality <b")
                    if s not in page] == [], name
            shown = re.sub(r"<style.*?</style>|src=\"data:[^\"]*\"", "", page, flags=re.DOTALL)
            assert not re.search(r"\de[+-]\d", re.sub(r"<[^>]+>", " ", shown)), name  # no 1.097784e+06
            assert ">True<" not in shown and ">False<" not in shown and ">NaN<" not in shown, name
            executed = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
            injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
            assert f"month = \"{month}\"" in injected[0].source
    # Month 1 has nothing to compare with: the index says why "what changed" is missing.
    first = (cycle.out / MONTHS[0] / "index.html").read_text(encoding="utf-8")
    assert "07_month_over_month" in first and "no earlier snapshot is loaded" in first
    assert cycle.results[MONTHS[0]].skipped == {"07_month_over_month": "no earlier snapshot is loaded to compare with"}
    # The progress display numbers the steps: check, load, seven notebooks, publish.
    assert "[1/10] checking " in cycle.lines[0]
    assert any(line.startswith("[2/10] loading ") for line in cycle.lines)
    assert any(re.match(r"\[\d/10\] running 04_risks \.\.\.", line) for line in cycle.lines)
    assert any(line.startswith("[10/10] writing index.html") for line in cycle.lines)
    # No work folders are left behind.
    assert sorted(p.name for p in cycle.out.iterdir() if not p.name.startswith(".lock")) == MONTHS


def test_index_headline_numbers_are_the_metrics(cycle):
    with db.connect(cycle.database) as con:
        for month in MONTHS:
            page = (cycle.out / month / "index.html").read_text(encoding="utf-8")
            tiles = tiles_of(page)
            # Money is over the projects that are not cancelled; overload over the weeks of the month.
            everything = metrics.budget_variance(con, as_of=month)
            variance = everything[everything["status"] != "cancelled"]
            register = metrics.risk_register(con, as_of=month)
            over = metrics.over_allocations(con, as_of=month, period_from=month, period_to=month)
            slippage = metrics.milestone_slippage(con, as_of=month)
            slipped = metrics.slipped_milestones(con, as_of=month)
            quality = con.sql("SELECT quality_score FROM loads WHERE as_of = ?",
                              params=[filters.month_end(month)]).fetchall()[0][0]
            expected = {
                "budget": variance["budget"].sum(), "forecast": variance["forecast"].sum(),
                "variance": variance["forecast"].sum() - variance["budget"].sum(),
                "consumed": variance["consumed"].sum(), "committed": variance["committed"].sum(),
                "over_budget": int(variance["over_budget"].sum()),
                "risk_emv": register.loc[register["active"], "emv"].sum(),
                "active_risks": int(register["active"].sum()),
                "over_allocated_people": over["resource_id"].nunique(),
                "milestones_slipping": int(slippage["state"].isin(["missed", "likely_to_miss"]).sum()),
                "milestones_slipped": len(slipped),
                "quality_score": quality,
            }
            assert set(tiles) == set(expected), month
            for key, value in expected.items():
                assert tiles[key] == pytest.approx(float(value), abs=0.005), (month, key)
            # The same numbers as the overview dashboard's headline, and shown formatted.
            h = headline(con, as_of=month).iloc[0]
            assert tiles["budget"] == pytest.approx(h["budget"]) and tiles["risk_emv"] == pytest.approx(h["risk_emv"])
            assert f"£{h['budget']:,.0f}" in page and f"£{h['risk_emv']:,.0f}" in page
            assert f"{quality:.1f}/100" in page
            # The index links every report and its executed notebook.
            for name in cycle.results[month].notebooks:
                assert f"href='{name}.html'" in page and f"href='{name}.ipynb'" in page


def test_what_changed_in_month_2_lists_the_changes_made_to_its_inputs(cycle):
    changed = cycle.changed
    page = (cycle.out / MONTHS[1] / "07_month_over_month.html").read_text(encoding="utf-8")
    rows = [row for table in tables_of(page) for row in table]
    # The forecast raised by FORECAST_RAISE: before and after as the exports say, change includes it.
    before, after = f"{changed.forecast_before:,.2f}", f"{changed.forecast_after:,.2f}"
    forecast_rows = [r for r in rows if changed.project in r and "forecast" in r]
    assert forecast_rows and before in forecast_rows[0] and after in forecast_rows[0], forecast_rows
    with db.connect(cycle.database) as con:
        drift = metrics.drift(con, as_of=MONTHS[1])
    row = drift[(drift["project_id"] == changed.project) & (drift["measure"] == "forecast")].iloc[0]
    assert changed.forecast_after - changed.forecast_before == pytest.approx(FORECAST_RAISE, abs=0.01)
    assert row["change"] == pytest.approx(FORECAST_RAISE, abs=0.01) and row["direction"] == "worse"
    assert f"£{FORECAST_RAISE:,.0f}" in forecast_rows[0], forecast_rows  # the change column, in money
    # The milestone slipped by SLIP_DAYS (plus whatever the sample itself moved it).
    project, milestone = changed.milestone
    slipped = [r for r in rows if project in r and milestone in r and changed.milestone_after in r]
    assert slipped, "the slipped milestone is not in the report"
    assert changed.slip_days == SLIP_DAYS and str(SLIP_DAYS) in slipped[0], slipped
    # Month 3 compares with the changed month 2, month 2's index with month 1.
    assert "compared with August 2026" in (cycle.out / MONTHS[1] / "index.html").read_text(encoding="utf-8")


def _month_rows_equal(con, table: str, month: dt.date, exclude: str = "") -> None:
    cols = f"* EXCLUDE ({exclude})" if exclude else "*"
    for x, y in (("a", "b"), ("b", "a")):
        extra = con.sql(f"SELECT count(*) FROM (SELECT {cols} FROM {x}.{table} WHERE as_of = ? EXCEPT ALL "
                        f"SELECT {cols} FROM {y}.{table} WHERE as_of = ?)", params=[month, month]).fetchall()[0][0]
        assert extra == 0, (table, month, x)


def test_rerunning_month_2_gives_the_same_report_and_data(cycle, tmp_path):
    before_db = tmp_path / "before.duckdb"
    shutil.copyfile(cycle.database, before_db)
    before = {m: tree(cycle.out / m) for m in MONTHS}
    pages = {m: {p.name: p.read_text(encoding="utf-8") for p in (cycle.out / m).glob("*.html")} for m in MONTHS}
    inodes = {m: (cycle.out / m).stat().st_ino for m in MONTHS}

    start = time.perf_counter()
    result = reports.run_month(MONTHS[1], cycle.folders[MONTHS[1]], database=cycle.database, out_dir=cycle.out)
    print(f"\nre-run of {MONTHS[1]}: {time.perf_counter() - start:.1f} s")

    # Same report: every notebook's HTML byte for byte, the index apart from its <time> elements.
    again = {p.name: p.read_text(encoding="utf-8") for p in (cycle.out / MONTHS[1]).glob("*.html")}
    assert sorted(again) == sorted(pages[MONTHS[1]])
    for name, page in again.items():
        if name == "index.html":
            assert page != pages[MONTHS[1]][name]  # the generation time moved...
            assert index.strip_volatile(page) == index.strip_volatile(pages[MONTHS[1]][name])
        else:
            assert page == pages[MONTHS[1]][name], name
    assert result.headline == cycle.results[MONTHS[1]].headline
    assert (cycle.out / MONTHS[1]).stat().st_ino != inodes[MONTHS[1]]  # ...because it was rebuilt
    # The other months' reports were not touched.
    for month in (MONTHS[0], MONTHS[2]):
        assert tree(cycle.out / month) == before[month]
        assert (cycle.out / month).stat().st_ino == inodes[month]

    # Same data: month 2 equal (the load time aside), the other months identical.
    con = duckdb.connect()
    con.sql(f"ATTACH '{before_db}' AS a (READ_ONLY)")
    con.sql(f"ATTACH '{cycle.database}' AS b (READ_ONLY)")
    months = [r[0] for r in con.sql("SELECT as_of FROM a.loads ORDER BY as_of").fetchall()]
    assert [f"{m:%Y-%m}" for m in months] == MONTHS
    for table in contract.TABLES:
        for month in months:
            _month_rows_equal(con, table, month)
    _month_rows_equal(con, "loads", months[1], exclude="loaded_at")
    for month in (months[0], months[2]):
        _month_rows_equal(con, "loads", month)
    con.close()


# ---------------------------------------------------------------------------------------------
# failures leave everything as it was

def test_bad_exports_write_nothing(cycle, tmp_path):
    database, out = copy_state(cycle, tmp_path)
    exports = tmp_path / "bad_date"
    shutil.copytree(BAD / "bad_date", exports)
    digest, reports_before = sha256(database), tree(out)
    for month in (MONTHS[1], "2026-11"):  # a month with a report, and a new month
        with pytest.raises(ValidationFailed) as failed:
            reports.run_month(month, exports, database=database, out_dir=out)
        assert any(p.severity == "error" and p.column == "start_date" for p in failed.value.problems)
        assert "start_date" in str(failed.value)
        assert sha256(database) == digest
        assert tree(out) == reports_before  # the previous reports byte for byte, no new folder
    assert not (out / "2026-11").exists()


def _notebook(path: Path, *cells: str) -> Path:
    book = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    parameters = nbformat.v4.new_code_cell("month = None\ndb = None", metadata={"tags": ["parameters"]})
    book.cells = [parameters, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(book, str(path))
    return path


def test_a_failing_notebook_is_named_and_the_previous_report_stays(cycle, tmp_path, monkeypatch):
    database, out = copy_state(cycle, tmp_path)
    fine = _notebook(tmp_path / "fine.ipynb", "print('fine', month)")
    boom = _notebook(tmp_path / "boom.ipynb", "1 / 0", "print('never')")
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", f"{fine},{boom}")
    previous = tree(out / MONTHS[2])
    with pytest.raises(runner.ReportFailed) as failed:
        reports.run_month(MONTHS[2], cycle.folders[MONTHS[2]], database=database, out_dir=out)
    message = str(failed.value)
    assert "\n" not in message
    assert "boom.ipynb" in message and "cell 2" in message and "ZeroDivisionError: division by zero" in message
    assert (failed.value.notebook, failed.value.cell, failed.value.ename) == ("boom", 2, "ZeroDivisionError")
    # The previous complete report is still in place, not replaced by the partial one.
    assert tree(out / MONTHS[2]) == previous
    assert not (out / MONTHS[2] / "fine.html").exists()
    assert not [p for p in out.iterdir() if ".building-" in p.name or ".old-" in p.name]
    # The failed notebook, with its traceback, is kept aside (hidden, not a report).
    kept = failed.value.executed
    assert kept == out / f".failed-{MONTHS[2]}" / "boom.ipynb" and "ZeroDivisionError" in kept.read_text()
    # A complete build of the month clears it.
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(fine))
    result = reports.build_report(MONTHS[2], database=database, out_dir=out)
    assert result.notebooks == ["fine"] and not kept.parent.exists()
    assert sorted(p.name for p in (out / MONTHS[2]).iterdir()) == ["fine.html", "fine.ipynb", "index.html"]


def test_report_needs_a_loaded_month(cycle, tmp_path):
    with pytest.raises(reports.MonthNotLoaded, match=r"2026-05 is not loaded in .*loaded: 2026-08, 2026-09, 2026-10"):
        reports.build_report("2026-05", database=cycle.database, out_dir=tmp_path / "reports")
    with pytest.raises(DatabaseMissing):
        reports.build_report("2026-05", database=tmp_path / "none.duckdb", out_dir=tmp_path / "reports")
    assert not (tmp_path / "reports" / "2026-05").exists()


def test_unknown_notebook_is_a_usage_error(cycle, tmp_path):
    with pytest.raises(UsageError, match="no such notebook"):
        reports.build_report(MONTHS[0], database=cycle.database, out_dir=tmp_path, notebooks=["99_nothing"])


# ---------------------------------------------------------------------------------------------
# units

def test_swap_in_puts_the_old_report_back_when_the_new_one_cannot_go_in(tmp_path):
    """A real fault: the new pack is on another filesystem (/dev/shm), so renaming it in fails (EXDEV)."""
    import tempfile

    final = tmp_path / "2026-09"
    final.mkdir()
    (final / "index.html").write_text("old")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as elsewhere:
        staging = Path(elsewhere) / ".2026-09.building-1-x"
        staging.mkdir()
        (staging / "index.html").write_text("new")
        with pytest.raises(OSError):
            pack.swap_in(staging, final)
    assert (final / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-09"]
    staging = tmp_path / ".2026-09.building-1-x"
    staging.mkdir()
    (staging / "index.html").write_text("new")
    pack.swap_in(staging, final)
    assert (final / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-09"]


def test_stale_work_folders_of_killed_runs_are_removed(tmp_path):
    dead = tmp_path / ".2026-09.building-999999999-abc"
    mine = tmp_path / f".2026-09.building-{os.getpid()}-abc"
    for folder in (dead, mine):
        folder.mkdir()
    pack.remove_stale(tmp_path)
    assert not dead.exists() and mine.exists()


def test_strip_volatile_removes_only_time_elements():
    page = "<p>generated <time datetime='2026-01-01T00:00'>2026-01-01 00:00</time> ok</p>"
    assert index.strip_volatile(page) == "<p>generated <time></time> ok</p>"
