"""The shipped profiles against the real public exports in ../shared/realdata.

Every expected number is computed here from the raw file with Python's csv module, independently of
the profile engine: row counts, ids, money totals (to the pound or dollar), RAG distributions and the
number of placeholder codes. The facts of the data that a reader would not guess (reported variances
that disagree with the reported dates and costs, exact duplicate rows, projects sharing one key) are
asserted as counts, so a change in how they are handled shows up here.
"""
from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

import pmo_analytics
from pmo_analytics import cli
from pmo_analytics.ingest import discovery as ingest
from pmo_analytics.ingest import profiles
from pmo_analytics.snapshots import loading as snapshots

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
UK = REAL / "uk-gmpp"
US = REAL / "us-itdashboard-projects" / "itdashboard_projects_2011_2012.csv"
NYC = REAL / "nyc-sca-capital-projects" / "Capital_Project_Schedules_and_Budgets.csv"
WB = REAL / "worldbank-ibrd-loans" / "IBRD_Statement_of_Loans_-_Latest_Available_Snapshot_2023-05-31.csv"
UK_YEARS = range(2014, 2024)
TRANSPOSED = range(2014, 2018)


def uk_profile(year: int) -> str:
    return "uk-gmpp-transposed" if year in TRANSPOSED else "uk-gmpp"


def query(database: Path, sql: str, params=()) -> list[tuple]:
    with pmo_analytics.connect(database) as con:
        return con.sql(sql, params=list(params)).fetchall()


# ------------------------------------------------------------------------------ raw readers (no engine)

def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # uk_2020.csv has one byte cp1252 leaves undefined


def uk_raw(year: int) -> list[dict[str, list[str]]]:
    """One dict per project of a report year: field name -> its cells (a list: names repeat)."""
    path = UK / f"uk_{year}.csv"
    rows = list(csv.reader(io.StringIO(_text(path), newline=""), delimiter=";" if year >= 2021 else ","))
    if year in TRANSPOSED:  # one row per field, one column per project
        fields = [r[0] for r in rows]
        projects = [[r[j] if j < len(r) else "" for r in rows] for j in range(1, max(map(len, rows)))]
    else:
        fields, projects = rows[0], rows[1:]
    out = []
    for cells in projects:
        if not any(c.strip() for c in cells):
            continue
        record = collections.defaultdict(list)
        for f, c in zip(fields, cells):
            record[" ".join(f.split()).lower()].append(c.strip())
        out.append(record)
    return out


def field(record, *prefixes: str) -> str:
    """The first non-empty cell of the fields whose (normalised) name starts with one of the prefixes."""
    for name, cells in record.items():
        if any(name.startswith(p.lower()) for p in prefixes):
            for c in cells:
                if c:
                    return c
    return ""


UK_FIELDS = {  # raw field name prefixes, per canonical column, across the gov.uk and snake_case headers
    "id": ("project_number",),
    "name": ("project_name", "project name"),
    "rag": ("colour_rating", "mpa rag rating", "ipa rag rating", "ipa delivery confidence assessment"),
    "budget": ("yearly_budget", "total_baseline", "2013/2014 budget", "2014/2015 budget", "2015/16 budget",
               "2016/17 total baseline"),
    "forecast": ("yearly_forecast", "forecast_incl_ngc", "2013/2014 forecast", "2014/2015 forecast",
                 "2015/16 forecast", "2016/17 total forecast"),
    "bac": ("wlc_baseline_incl_ncg", "total budgeted whole life costs", "whole life cost total baseline"),
}
MILLIONS = re.compile(r"^(-?)£?(-?)(\d[\d,]*(?:\.\d+)?)m?$")
RAG = {"green": "green", "amber/green": "amber_green", "amber": "amber", "amber/red": "amber_red", "red": "red"}


def pounds(cell: str) -> Decimal | None:
    """'£1,139.18' / '£1.90m' / '450.37' (£ million) -> pounds; None for notes (exemptions...)."""
    m = MILLIONS.match(cell.replace("\xa0", "").strip())
    if not m:
        return None
    value = Decimal(m.group(3).replace(",", "")) * 1_000_000
    return -value if (m.group(1) or m.group(2)) else value


def rag_of(cell: str) -> str | None:
    return RAG.get(re.sub(r"\s+", "", cell.lower()))


def uk_expected(year: int) -> dict:
    records = uk_raw(year)
    ids = [field(r, *UK_FIELDS["id"]) or field(r, *UK_FIELDS["name"]) for r in records]
    money = {k: [pounds(field(r, *UK_FIELDS[k])) for r in records] for k in ("budget", "forecast", "bac")}
    rags = [field(r, *UK_FIELDS["rag"]) for r in records]
    return {
        "rows": len(records),
        "ids": ids,
        # The transposed profile loads negative amounts as missing (they do not fit the contract).
        "totals": {k: sum(v for v in vals if v is not None and (v >= 0 or year not in TRANSPOSED))
                   for k, vals in money.items()},
        "negatives": {k: sum(1 for v in vals if v is not None and v < 0) for k, vals in money.items()},
        "rag": collections.Counter(r for r in map(rag_of, rags) if r),
        "rag_notes": sum(1 for c in rags if c and rag_of(c) is None),
    }


# ------------------------------------------------------------------------------------------ UK GMPP

@pytest.fixture(scope="module")
def uk_db(tmp_path_factory):
    """Every report year loaded as its own snapshot (March of the year) into one database."""
    database = tmp_path_factory.mktemp("uk") / "uk.duckdb"
    reports = {}
    for year in UK_YEARS:
        reports[year] = snapshots.load([UK / f"uk_{year}.csv"], f"{year}-03", database=database,
                                       profile=uk_profile(year))
    return database, reports


@pytest.mark.parametrize("year", UK_YEARS)
def test_uk_gmpp_year_loads_every_project_with_its_money_and_rating(uk_db, year):
    database, reports = uk_db
    want = uk_expected(year)
    as_of = dt.date(year, 3, 31)
    assert len(set(want["ids"])) == want["rows"]  # ids (number, else name) are unique in each year

    ids = {r[0] for r in query(database, "SELECT project_id FROM projects WHERE as_of = ?", [as_of])}
    assert ids == set(want["ids"])
    lines = query(database, "SELECT count(*), count(DISTINCT project_id), min(period), max(period), "
                  "any_value(category) FROM budget_lines WHERE as_of = ?", [as_of])[0]
    assert lines == (want["rows"], want["rows"], dt.date(year, 3, 1), dt.date(year, 3, 1), "financial year")

    budget, forecast = query(database, "SELECT sum(budget), sum(forecast) FROM budget_lines WHERE as_of = ?",
                             [as_of])[0]
    bac, portfolios, currencies, statuses = query(
        database, "SELECT sum(bac), list(DISTINCT portfolio), list(DISTINCT currency), list(DISTINCT status) "
                  "FROM projects WHERE as_of = ?", [as_of])[0]
    assert round(budget) == round(want["totals"]["budget"])  # to the pound
    assert round(forecast) == round(want["totals"]["forecast"])
    assert round(bac) == round(want["totals"]["bac"])
    assert (portfolios, currencies, statuses) == (["UK GMPP"], ["GBP"], ["active"])

    rags = collections.Counter(dict(query(database, "SELECT rag, count(*) FROM projects WHERE as_of = ? "
                                                    "AND rag IS NOT NULL GROUP BY rag", [as_of])))
    assert rags == want["rag"]
    if year >= 2022:  # the three-point scale
        assert set(rags) <= {"green", "amber", "red"}
    # Exemption notes in the rating cells: counted, and the warning names the column.
    notes = [str(w) for w in reports[year].warnings if "column rag:" in str(w)]
    assert want["rag_notes"] > 0
    assert notes and f"column rag: {want['rag_notes']} placeholder value(s)" in notes[0]


def test_uk_gmpp_2023_acceptance_numbers(uk_db):
    """The issue's acceptance: uk_2023.csv as the 2023-03 snapshot, counts and totals of the raw file."""
    database, reports = uk_db
    warnings = "\n".join(str(w) for w in reports[2023].warnings)
    assert "column rag: 12 placeholder value(s) (Exempt*, Early planning GMPP project*) treated as missing" in warnings
    want = uk_expected(2023)
    assert want["rows"] == 244
    assert want["rag"] == {"amber": 183, "green": 26, "red": 23}
    assert want["totals"]["budget"] == Decimal(47507370000)  # sum of the raw strings x 1e6
    row = query(database, "SELECT count(*), round(sum(budget)), round(sum(forecast)) FROM budget_lines "
                          "WHERE as_of = DATE '2023-03-31'")[0]
    assert row == (244, want["totals"]["budget"], round(want["totals"]["forecast"]))


def test_uk_gmpp_cells_as_written(uk_db):
    database, _ = uk_db

    def project(year, pid):
        return query(database, "SELECT p.start_date, p.end_date, p.bac, p.rag, b.budget, b.forecast "
                     "FROM projects p JOIN budget_lines b USING (as_of, project_id) "
                     "WHERE p.as_of = ? AND p.project_id = ?", [dt.date(year, 3, 31), pid])[0]

    # '£654.46' and '£2,013.02' (2021, ';'-delimited, ISO dates)
    assert project(2021, "MOD_0106_1617-Q1") == (dt.date(2014, 7, 8), dt.date(2024, 4, 1), 2_013_020_000,
                                                 "amber_red", 654_460_000, 654_110_000)
    # 20.05.2020 / 30.09.2024 (2023); the rating is in the second colour_rating column
    assert project(2023, "CO_0024_2021-Q2")[:2] == (dt.date(2020, 5, 20), dt.date(2024, 9, 30))
    assert project(2023, "CO_0024_2021-Q2")[3] == "amber"
    # two-digit years (2018): 30.06.08-style dates; 97 and 98 are 1997 and 1998
    years = query(database, "SELECT min(start_date), max(end_date) FROM projects WHERE as_of = DATE '2018-03-31'")[0]
    assert years[0].year == 1997 and years[1].year == 2043
    # '£1.90m' (2015, transposed)
    assert project(2015, "BIS Shared Services")[4:] == (1_900_000, 1_900_000)
    # '1/012/2014' (2017) is month 12
    assert project(2017, "A303 Amesbury to Berwick Down")[0] == dt.date(2014, 12, 1)


def test_uk_gmpp_negative_amounts_load_as_missing_and_are_counted(uk_db):
    """Income in the budget (Tate Modern 2014, rail franchising 2015 and 2017) does not fit the contract."""
    database, reports = uk_db
    assert {y: uk_expected(y)["negatives"] for y in TRANSPOSED} == {
        2014: {"budget": 1, "forecast": 1, "bac": 0}, 2015: {"budget": 1, "forecast": 0, "bac": 0},
        2016: {"budget": 0, "forecast": 0, "bac": 0}, 2017: {"budget": 1, "forecast": 1, "bac": 1}}
    rows = query(database, "SELECT b.budget, b.forecast, p.bac FROM budget_lines b JOIN projects p "
                 "USING (as_of, project_id) WHERE as_of = DATE '2017-03-31' AND project_id = 'Rail Franchising Programme'")
    assert rows == [(None, None, None)]
    assert any("column budget:" in str(w) and "-*" in str(w) for w in reports[2017].warnings)


def test_uk_gmpp_multiline_cells_stay_in_their_record():
    """Comments span lines (2020: 4,009 lines for 125 projects); the reader keeps each cell whole."""
    path = UK / "uk_2020.csv"
    header, rows, _ = profiles.read_table(path, profiles.resolve("uk-gmpp"))
    raw = list(csv.DictReader(io.StringIO(_text(path), newline="")))
    assert len(rows) == len(raw) == 125 and _text(path).count("\n") > 4000
    i = header.index("rating_comment")
    multiline = [(r[i], x["rating_comment"]) for r, x in zip(rows, raw) if "\n" in x["rating_comment"]]
    assert len(multiline) > 50 and all(a == b for a, b in multiline)
    # a multi-line note standing in a rating (2022) is one of the rag placeholders counted above
    assert any("\n" in c for r in uk_raw(2022) for c in r["colour_rating"] if c.startswith("Early planning"))


def test_uk_gmpp_profiles_are_detected_from_the_columns():
    for year, name in ((2014, "uk-gmpp-transposed"), (2017, "uk-gmpp-transposed"), (2018, "uk-gmpp"),
                       (2023, "uk-gmpp")):
        sources = ingest.discover([UK / f"uk_{year}.csv"])
        assert [(s.table, s.profile.name) for s in sources] == [("projects", name), ("budget_lines", name)]


def test_uk_gmpp_cli_load(tmp_path, run):
    code, out, err = run("load", UK / "uk_2023.csv", "--profile", "uk-gmpp", "--as-of", "2023-03",
                         "--db", tmp_path / "x.duckdb")
    assert code == 0, err
    assert "244 projects, 244 budget_lines" in out


# -------------------------------------------------------------------------------- US IT Dashboard

def us_raw():
    rows = list(csv.DictReader(io.StringIO(_text(US), newline="")))
    unique = list({tuple(r.values()): r for r in rows}.values())  # exact duplicates once, in file order
    return rows, unique


@pytest.fixture(scope="module")
def us_db(tmp_path_factory):
    database = tmp_path_factory.mktemp("us") / "us.duckdb"
    report = snapshots.load([US], "2012-12", database=database, profile="us-itdashboard")
    return database, report


def test_us_itdashboard_loads_each_project_once(us_db):
    database, report = us_db
    rows, unique = us_raw()
    assert (len(rows), len(unique)) == (2472, 2468)  # four rows appear twice, identical in every column
    assert len({r["Project ID"] for r in unique}) == len(unique)
    assert len({r["Unique Project ID"] for r in unique}) < len(unique)  # why it is not the key
    for table in ("projects", "budget_lines", "milestones"):
        assert query(database, f"SELECT count(*) FROM {table}")[0][0] == len(unique)
        assert any(f"4 row(s) repeat an earlier row once mapped to {table}" in str(w) for w in report.warnings)

    def dollars(col):
        return sum(Decimal(r[col]) for r in unique if r[col]) * 1_000_000

    bac, budget, forecast = query(database, "SELECT (SELECT sum(bac) FROM projects), sum(budget), sum(forecast) "
                                            "FROM budget_lines")[0]
    assert round(bac) == round(budget) == dollars("Planned Cost ($ M)")
    assert round(forecast) == dollars("Projected/Actual Cost ($ M)")
    agencies = collections.Counter(r["Agency Name"] for r in unique)
    assert collections.Counter(dict(query(database, "SELECT portfolio, count(*) FROM projects GROUP BY 1"))) == agencies


def test_us_itdashboard_reported_variances_reconcile_with_the_loaded_tables(us_db):
    """Cost Variance ($ M) = planned - projected cost; Schedule Variance (days) = planned - projected
    completion. Recomputed from the loaded budget lines and milestones; the rows that disagree are a
    fact of this export (the Dashboard computes its variances from activity data), counted here."""
    database, _ = us_db
    _, unique = us_raw()
    loaded = {pid: (b, f, base, fc) for pid, b, f, base, fc in query(database, """
        SELECT b.project_id, b.budget, b.forecast, m.baseline_date, m.forecast_date
        FROM budget_lines b JOIN milestones m USING (as_of, project_id)""")}
    cost_checked = cost_off = days_checked = days_off = days_off_by_one = 0
    for r in unique:
        budget, forecast, baseline, projected = loaded[r["Project ID"]]
        if r["Cost Variance ($ M)"] and budget is not None and forecast is not None:
            cost_checked += 1
            cost_off += abs((budget - forecast) / 1e6 - float(r["Cost Variance ($ M)"])) > 0.0005
        if r["Schedule Variance (in days)"] and baseline and projected:
            days_checked += 1
            gap = abs((baseline - projected).days - float(r["Schedule Variance (in days)"]))
            days_off += gap > 1
            days_off_by_one += gap == 1
    assert (cost_checked, cost_off) == (2451, 7)
    assert (days_checked, days_off, days_off_by_one) == (1547, 347, 5)


def test_us_itdashboard_dates(us_db):
    database, _ = us_db
    rows, _ = us_raw()
    b2 = sum(1 for r in {r["Project ID"]: r for r in rows}.values() if r["Projected/Actual Project Completion Date (B2)"])
    assert query(database, "SELECT count(forecast_date), count(baseline_date) FROM milestones")[0] == (b2, 2468 - 17)
    assert query(database, "SELECT start_date, end_date, baseline_end_date FROM projects WHERE project_id = '657'") == [
        (dt.date(2011, 1, 10), dt.date(2012, 3, 31), dt.date(2012, 3, 31))]


# ------------------------------------------------------------------------------------------ NYC SCA

NYC_CODES = ("PNS", "FTK", "DOES", "DOER", "DOEL", "DOEP", "BOE", "DIIR", "DIIS", "DIIT", "IEH", "IPDV",
             "EMER", "TPL")  # in the profile's order


@pytest.fixture(scope="module")
def nyc_db(tmp_path_factory):
    database = tmp_path_factory.mktemp("nyc") / "nyc.duckdb"
    report = snapshots.load([NYC], "2024-06", database=database, profile="nyc-sca")
    return database, report


def nyc_raw():
    rows = list(csv.reader(io.StringIO(_text(NYC), newline="")))
    return rows[0], [dict(zip([h.strip() for h in rows[0]], r)) for r in rows[1:]]


def test_nyc_sca_one_project_per_building_description_and_dsf(nyc_db):
    database, report = nyc_db
    header, rows = nyc_raw()
    assert len(rows) == 14077
    assert [h for h in header if h != h.strip()] == ["Project Geographic District ", "Project Type "]
    # The rule, independently: the n-th repeat of a phase under the same building, description and DSF
    # numbers belongs to the n-th project with those.
    seen, projects, repeats = collections.Counter(), set(), 0
    for r in rows:
        key = (r["Project Building Identifier"], r["Project Description"], r["DSF Number(s)"])
        seen[key + (r["Project Phase Name"],)] += 1
        n = seen[key + (r["Project Phase Name"],)]
        repeats += n > 1
        projects.add(key + (n,))
    assert (len(projects), repeats) == (7771, 15)
    assert query(database, "SELECT count(*), count(DISTINCT project_id) FROM projects")[0] == (7771, 7771)
    for table in ("milestones", "budget_lines"):
        assert query(database, f"SELECT count(*) FROM {table}")[0][0] == len(rows)
    warnings = [str(w) for w in report.warnings]
    assert any("column project_id: 15 value(s) repeat an earlier row's" in w for w in warnings)
    assert any(f"{len(rows) - 7771} row(s) repeat an earlier row once mapped to projects" in w for w in warnings)
    # two lead-paint jobs at P.S. 91 (no DSF number): two projects
    assert query(database, "SELECT project_id FROM projects WHERE project_id LIKE 'K091 | LEAD PAINT%' ORDER BY 1") == [
        ("K091 | LEAD PAINT ABATEMENT |",), ("K091 | LEAD PAINT ABATEMENT | #2",)]
    # five phases have no name: their milestone and budget line say so (default)
    unnamed = sum(1 for r in rows if not r["Project Phase Name"].strip())
    assert unnamed == 5
    assert query(database, "SELECT count(*) FROM budget_lines WHERE category = 'unnamed phase'")[0][0] == unnamed
    assert query(database, "SELECT count(*) FROM milestones WHERE milestone_id = 'unnamed phase'")[0][0] == unnamed
    # the header's trailing space does not lose the column
    types = collections.Counter(r["Project Type"] for r in {
        (r["Project Building Identifier"], r["Project Description"], r["DSF Number(s)"]): r for r in rows}.values())
    assert collections.Counter(dict(query(database, "SELECT program, count(*) FROM projects "
                                          "WHERE project_id NOT LIKE '% #_' GROUP BY 1"))) == types


def test_nyc_sca_codes_in_date_and_money_columns_are_counted(nyc_db):
    database, report = nyc_db
    _, rows = nyc_raw()

    columns = {"budget": "Project Budget Amount", "baseline_date": "Project Phase Planned End Date",
               "actual_date": "Project Phase Actual End Date"}
    found = {c: collections.Counter(r[raw].strip() for r in rows if r[raw].strip() in NYC_CODES)
             for c, raw in columns.items()}
    assert {c: sum(n.values()) for c, n in found.items()} == {"budget": 5528, "baseline_date": 8222,
                                                              "actual_date": 4184}
    assert found["actual_date"] == {"PNS": 4156, "FTK": 28}
    warnings = [str(w) for w in report.warnings]
    for column, codes in found.items():  # the warning names the column, the count and the codes found
        seen = ", ".join(c for c in NYC_CODES if c in codes)
        assert f"column {column}: {sum(codes.values())} placeholder value(s) ({seen}) treated as missing" in \
            "\n".join(warnings), column

    def total(col):
        return sum(Decimal(r[col]) for r in rows if re.fullmatch(r"[\d.]+", r[col].strip()))

    budget, forecast, consumed = query(database, "SELECT sum(budget), sum(forecast), sum(consumed) FROM budget_lines")[0]
    assert round(budget) == total("Project Budget Amount")
    assert round(forecast) == total("Final Estimate of Actual Costs Through End of Phase Amount")
    assert round(consumed) == total("Total Phase Actual Spending Amount")
    # MM/DD/YYYY dates; a phase running has no actual end; a phase not started (PNS) has no dates
    assert query(database, "SELECT milestone_id, baseline_date, actual_date FROM milestones "
                           "WHERE project_id = 'X138 | EXISTING BUILDING-INTERIOR RENOVATIONS | DSF0000911814' "
                           "ORDER BY baseline_date NULLS LAST, milestone_id") == [
        ("Scope", dt.date(2023, 6, 7), dt.date(2023, 12, 14)), ("Design", dt.date(2024, 5, 21), None),
        ("CM,F&E", None, None), ("Construction", None, None)]


# ---------------------------------------------------------------------------------- World Bank IBRD

def test_worldbank_ibrd_committed_disbursed_and_dates(tmp_path):
    rows = list(csv.DictReader(io.StringIO(_text(WB), newline="")))
    database = tmp_path / "wb.duckdb"
    report = snapshots.load([WB], "2023-05", database=database, profile="worldbank-ibrd")
    assert query(database, "SELECT count(*), count(DISTINCT project_id) FROM projects")[0] == (len(rows), 9012)
    status = {"approved": "planned", "signed": "planned", "effective": "active", "disbursing": "active",
              "disbursing&repaying": "active", "fully disbursed": "closed", "repaying": "closed",
              "fully repaid": "closed", "fully transferred": "closed", "fully cancelled": "cancelled",
              "terminated": "cancelled"}
    assert collections.Counter(dict(query(database, "SELECT status, count(*) FROM projects GROUP BY 1"))) == \
        collections.Counter(status[r["Loan Status"].lower()] for r in rows)

    def total(col, keep=lambda v: True):
        return sum(Decimal(r[col]) for r in rows if r[col] and keep(Decimal(r[col])))

    budget, committed, consumed = query(database, "SELECT sum(budget), sum(committed), sum(consumed) "
                                                  "FROM budget_lines")[0]
    assert round(budget) == round(total("Original Principal Amount"))
    assert round(consumed) == round(total("Disbursed Amount"))
    assert Decimal(f"{committed:.2f}") == total("Undisbursed Amount", lambda v: v >= 0)  # to the cent; -0.01 x 13: missing
    assert any("column committed: 13 placeholder value(s) (-0.01)" in str(w) for w in report.warnings)
    # 'MM/DD/YYYY 12:00:00 AM'
    assert query(database, "SELECT start_date, end_date FROM projects WHERE project_id = 'IBRD00010'") == [
        (dt.date(1947, 5, 9), dt.date(1947, 12, 31))]


# ---------------------------------------------------------------------------- writing a new profile

def test_a_new_export_needs_a_ten_line_profile(tmp_path, capsys):
    (tmp_path / "board_export.csv").write_text(
        "Ref;Title;Owner;Health;Go-live;Budget (k€)\n"
        "B-1;New CRM;Ana;On track;31.10.2026;1.250,5\n"
        "B-2;Data lake;Ben;At risk;n/a;800\n", encoding="cp1252")
    (tmp_path / "board.toml").write_text("""\
name = "board"
read = { delimiter = ";", decimal = ",", dates = ["%d.%m.%Y"], placeholders = ["n/a"] }
[tables.projects]
project_id = "Ref"
name = "Title"
portfolio = { value = "Board" }
status = { value = "active" }
rag = { columns = "Health", values = { "On track" = "green", "At risk" = "amber" } }
end_date = "Go-live"
bac = { columns = "Budget (k€)", scale = 1000 }
""")
    assert len((tmp_path / "board.toml").read_text().splitlines()) == 10
    database = tmp_path / "x.duckdb"
    code = cli.main(["load", str(tmp_path / "board_export.csv"), "--profile", str(tmp_path / "board.toml"),
                     "--as-of", "2026-06", "--db", str(database)])
    assert code == 0, capsys.readouterr().err
    assert query(database, "SELECT project_id, name, rag, end_date, bac FROM projects ORDER BY 1") == [
        ("B-1", "New CRM", "green", dt.date(2026, 10, 31), 1_250_500.0),
        ("B-2", "Data lake", "amber", None, 800_000.0)]


def test_uk_gmpp_2023_overview_shows_no_spi_and_says_progress_is_not_reported(uk_db):
    """Issue 13: the GMPP reports no percent complete, so no project has earned value. The overview shows
    no CPI or SPI(t) (n/a, never 0.00) and says in one line that progress is not reported."""
    from pmo_analytics.ui.dashboards import HeadlineView, KpiTilesView
    from pmo_analytics.ui.filterbar import FilterBar

    database, _ = uk_db
    bar = FilterBar(database, month="2023-03")
    head, kpis = HeadlineView(bar), KpiTilesView(bar)
    assert head.message is None and kpis.message is None
    [note] = head.draw(head.frames, bar.filters())  # in place of the CPI / SPI(t) quadrant
    assert isinstance(note, str)
    assert "Progress is not reported for any of the 244 projects with budget lines" in note
    assert head.table[["cpi", "spi_t"]].isna().all().all() and len(head.table) == 10
    tiles = dict(re.findall(r"data-key='(\w+)'>(.*?)</div></div>", kpis.tiles.value))
    for key in ("cpi_median", "spi_median", "cpi_below_0_9_share"):
        assert "<div class='value'>n/a</div>" in tiles[key], tiles[key]
        assert "0.00" not in tiles[key]
    assert "progress not reported (244 active projects)" in tiles["spi_median"]
    assert "no progress or spend reported (244 active projects)" in tiles["cpi_median"]
    # measured over part of the portfolio: 206 of the 244 have a budget
    assert "206 of 244 active projects: no budget reported for 38" in tiles["within_budget_share"]
    assert "no achieved milestones in this snapshot" in tiles["milestone_on_time_rate"]
    # the budget dashboard's earned value view says the same in place of its quadrant
    from pmo_analytics.ui.views.budget import EvmView

    evm_view = EvmView(bar)
    first, curve = evm_view.draw(evm_view.frames, bar.filters())
    # the PV / AC curve needs no progress, but the GMPP gives one month only: a one-line Note, no empty axis
    assert curve.text.startswith("Earned value is reported for one month only (Mar 2023)")
    assert isinstance(first, str) and "Progress is not reported for any of the 244 projects" in first
    assert evm_view.table[["ev", "cpi", "spi_t", "eac"]].isna().all().all()
