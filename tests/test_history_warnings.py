"""validation/history.py: a month checked against the snapshot loaded before it (history that breaks,
restated actuals), and profiles' [id_map] (old project IDs loaded as the new ones).

The UK Government Major Projects Portfolio changed every project ID from names to codes in 2020
(../shared/realdata/uk-gmpp/SOURCE.txt): 2018-2019 have no project_number column, so the profile
takes the name as the ID; from 2020 the ID is project_number. The counts asserted here are computed
from the raw files with Python's csv module (IDs: project_number, else project_name, as the
profile's project_id says), not with the engine.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

import pmo_analytics
from pmo_analytics.exceptions import UsageError
from pmo_analytics.ingest import profiles
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.validation.history import CENT, HISTORY_BREAK_SHARE

UK = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "uk-gmpp"
HISTORY = ("restated", "did the IDs change")


def history_warnings(report) -> list[str]:
    return [str(w) for w in report.warnings if any(h in str(w) for h in HISTORY)]


# ------------------------------------------------------------------------ the real UK files

def uk_projects(year: int) -> dict[str, str]:
    """{project id: name} of a report year, read with csv: ',' until 2020, ';' from 2021; Windows-1252."""
    text = (UK / f"uk_{year}.csv").read_bytes().decode("cp1252", errors="replace")  # 2020: one undefined byte
    rows = csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if year >= 2021 else ",")
    out = {}
    for r in rows:
        name = (r.get("project_name") or "").strip()
        pid = (r.get("project_number") or "").strip() or name
        if pid:
            out[pid] = name
    return out


def expected_break(before: dict[str, str], after: dict[str, str]) -> tuple[int, int, int]:
    """(projects before, of them still there by ID, of the rest: with a name a new ID of `after` has)."""
    kept = sum(pid in after for pid in before)
    new_names = {name for pid, name in after.items() if pid not in before}
    by_name = sum(pid not in after and name in new_names for pid, name in before.items())
    return len(before), kept, by_name


@pytest.fixture(scope="module")
def uk_years(tmp_path_factory):
    database = tmp_path_factory.mktemp("uk-history") / "uk.duckdb"
    reports = {year: snapshots.load([UK / f"uk_{year}.csv"], f"{year}-03", database=database, profile="uk-gmpp")
               for year in (2019, 2020, 2021)}
    return database, reports


def test_uk_2020_renumbering_breaks_the_history_loudly(uk_years):
    database, reports = uk_years
    total, kept, by_name = expected_break(uk_projects(2019), uk_projects(2020))
    assert (total, kept, by_name) == (133, 0, 101)  # every ID changed; 101 projects kept their name
    warnings = history_warnings(reports[2020])
    assert len(warnings) == 1
    assert (f"column project_id: none of {total} projects of 2019-03 are in this export; {by_name} of them have "
            "the name of a project here under another ID (e.g. '5G Testbeds & Trials' -> 'DCMS_0011_1718-Q3'"
            ) in warnings[0]
    assert warnings[0].endswith("did the IDs change? map old IDs to new with [id_map] in a profile (and re-load "
                                "the earlier months with it)")
    assert uk_projects(2020)["DCMS_0011_1718-Q3"] == "5G Testbeds & Trials" in uk_projects(2019)
    # the warning does not stop the load: the month is there, under its new IDs
    with pmo_analytics.connect(database) as con:
        assert con.sql("SELECT count(*) FROM projects WHERE as_of = DATE '2020-03-31'").fetchall()[0][0] == 125


def test_uk_years_without_renumbering_do_not_warn(uk_years):
    _, reports = uk_years
    # 2019 is the first snapshot of this database; 2021 keeps 81 of 2020's 125 IDs (44 gone: 35%)
    assert history_warnings(reports[2019]) == []
    total, kept, _ = expected_break(uk_projects(2020), uk_projects(2021))
    assert (total, kept) == (125, 81) and (total - kept) / total <= HISTORY_BREAK_SHARE
    assert history_warnings(reports[2021]) == []


def test_check_with_the_database_warns_as_load_does(uk_years):
    database, reports = uk_years
    checked = snapshots.check([UK / "uk_2020.csv"], profile="uk-gmpp", as_of="2020-03", database=database)
    assert history_warnings(checked) == history_warnings(reports[2020])
    assert history_warnings(snapshots.check([UK / "uk_2020.csv"], profile="uk-gmpp", as_of="2020-03")) == []


def uk_profile_with(tmp_path: Path, id_map: str) -> Path:
    """The shipped uk-gmpp profile with an [id_map] section added, saved beside its map."""
    text = (profiles.SHIPPED / "uk-gmpp.toml").read_text(encoding="utf-8")
    path = tmp_path / "uk-gmpp-renumbered.toml"
    path.write_text(text.replace('name = "uk-gmpp"', 'name = "uk-gmpp-renumbered"') + "\n" + id_map, encoding="utf-8")
    return path


def test_id_map_from_a_real_map_file_joins_the_uk_history(tmp_path):
    """The map a PMO would write: every 2019 name that a 2020 project has, to that project's code."""
    before, after = uk_projects(2019), uk_projects(2020)
    by_name = {name: pid for pid, name in after.items()}
    pairs = sorted((old, by_name[old]) for old in before if old in by_name)
    assert len(pairs) == 101
    with open(tmp_path / "id_map.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("old_id", "new_id"), *pairs])
    profile = uk_profile_with(tmp_path, '[id_map]\nfile = "id_map.csv"\n')
    database = tmp_path / "uk.duckdb"
    r2019 = snapshots.load([UK / "uk_2019.csv"], "2019-03", database=database, profile=str(profile))
    notes = [str(w) for w in r2019.warnings if "[id_map]" in str(w)]
    assert len(notes) == 2 and all("column project_id: 101 value(s) are old IDs, loaded as the new ones" in n
                                   for n in notes)  # projects and budget_lines
    r2020 = snapshots.load([UK / "uk_2020.csv"], "2020-03", database=database, profile="uk-gmpp")
    assert history_warnings(r2020) == []  # 32 of 133 missing (24%): projects that left the portfolio
    with pmo_analytics.connect(database) as con:
        both = con.sql("SELECT count(*) FROM projects a JOIN projects b USING (project_id) "
                       "WHERE a.as_of = DATE '2019-03-31' AND b.as_of = DATE '2020-03-31'").fetchall()[0][0]
        lines = con.sql("SELECT count(*) FROM budget_lines WHERE as_of = DATE '2019-03-31' AND project_id = ?",
                        params=["DCMS_0011_1718-Q3"]).fetchall()[0][0]
    assert (both, lines) == (101, 1)


def test_id_map_entries_and_a_small_map_file_together(tmp_path):
    """Three real pairs (2019 name -> 2020 code): two in the profile, one in a small CSV (';', header
    written 'Old ID;New ID')."""
    (tmp_path / "ids.csv").write_text("Old ID;New ID\nHeat Networks Investment Project;BEIS_0001_1617-Q2\n",
                                      encoding="utf-8")
    profile = uk_profile_with(tmp_path, '[id_map]\nfile = "ids.csv"\n'
                                        '"Geological Disposal Facility Programme (GDF)" = "DECC_0005_1112-Q1"\n'
                                        '"5G Testbeds & Trials" = "DCMS_0011_1718-Q3"\n')
    database = tmp_path / "uk.duckdb"
    snapshots.load([UK / "uk_2019.csv"], "2019-03", database=database, profile=str(profile))
    r2020 = snapshots.load([UK / "uk_2020.csv"], "2020-03", database=database, profile="uk-gmpp")
    # 3 of the 133 now match by ID; of the other 130, 101 - 3 = 98 have a 2020 project's name
    assert history_warnings(r2020)[0].split("column project_id: ")[1].startswith(
        "130 of 133 projects of 2019-03 are not in this export (only 3 match); 98 of them have the name")
    with pmo_analytics.connect(database) as con:
        ids = {r[0] for r in con.sql("SELECT project_id FROM projects WHERE as_of = DATE '2019-03-31'").fetchall()}
    assert {"BEIS_0001_1617-Q2", "DECC_0005_1112-Q1", "DCMS_0011_1718-Q3"} <= ids
    assert "Heat Networks Investment Project" not in ids


@pytest.mark.parametrize("toml, content, message", [
    ('[id_map]\nfile = "ids.csv"\n', "P1,Q1\n", "expected the header old_id,new_id on its first line; got 'P1', 'Q1'"),
    ('[id_map]\nfile = "ids.csv"\n', "old_id,new_id\nP1\n", "row 1: expected two ids, the old one and the new one"),
    ('[id_map]\nfile = "ids.csv"\n', "old_id,new_id\nP1,Q1\nP1,Q2\n", "old id 'P1' is mapped to 'Q1'"),
    ('[id_map]\nfile = "ids.csv"\nP1 = "Q9"\n', "old_id,new_id\nP1,Q1\n", "and to 'Q1'"),
], ids=["no header", "one column", "two new ids", "entry and file disagree"])
def test_a_bad_id_map_is_a_usage_error_naming_the_file(tmp_path, toml, content, message):
    (tmp_path / "ids.csv").write_text(content)
    (tmp_path / "projects.csv").write_text("project_id,name,portfolio,status\nP1,A,X,active\n")
    (tmp_path / "p.toml").write_text(toml)
    with pytest.raises(UsageError, match="ids.csv|p.toml") as exc:
        snapshots.load([tmp_path / "projects.csv"], "2026-01", database=tmp_path / "db.duckdb",
                       profile=str(tmp_path / "p.toml"))
    assert message in str(exc.value)
    assert not (tmp_path / "db.duckdb").exists()


@pytest.mark.parametrize("toml, message", [
    ('[id_map]\nfile = "missing.csv"\n', "[id_map] file: no such file"),
    ('[id_map]\n"P.1" = 5\n', '[id_map] "P.1": expected a non-empty string, the new id'),
    ('[id_map]\nP.1 = "Q"\n', '[id_map] "P": expected a non-empty string, the new id (quote an old id'),
    ('kind = "canonical"\n[id_map]\nP1 = "Q1"\n', 'no [id_map] with kind = "canonical"'),
    ('[idmap]\nP1 = "Q1"\n', "unknown section (did you mean [id_map]?)"),
], ids=["missing file", "number", "dotted key", "not mapped", "misspelt"])
def test_id_map_keys_are_checked_by_the_schema(tmp_path, toml, message):
    with pytest.raises(UsageError) as exc:
        profiles.parse(toml, path=tmp_path / "p.toml")
    assert message in str(exc.value)


def test_canonical_exports_take_an_id_map_profile_with_no_tables(tmp_path):
    """A profile of only [id_map] reads files named after the tables in the workbench's own format."""
    (tmp_path / "projects.csv").write_text("project_id,name,portfolio,status\nOLD-1,A,X,active\nKEEP,B,X,active\n")
    (tmp_path / "risks.csv").write_text("risk_id,project_id,title,status\nR1,OLD-1,Supplier,open\n")
    (tmp_path / "p.toml").write_text('name = "renumbered"\n[id_map]\n"OLD-1" = "NEW-1"\n')
    snapshots.load([tmp_path / "projects.csv", tmp_path / "risks.csv"], "2026-01", database=tmp_path / "db.duckdb",
                   profile=str(tmp_path / "p.toml"))
    with pmo_analytics.connect(tmp_path / "db.duckdb") as con:
        assert sorted(r[0] for r in con.sql("SELECT project_id FROM projects").fetchall()) == ["KEEP", "NEW-1"]
        assert con.sql("SELECT project_id FROM risks").fetchall() == [("NEW-1",)]


# ------------------------------------------------------------------------- hand-worked months

PROJECTS = "project_id,name,portfolio,status\n" + "".join(f"PRJ-000{i},Project {i},Core,active\n" for i in range(1, 9))
LINES = "project_id,period,category,budget,consumed\n"
MAY_LINES = {  # (project, period, category): consumed in the 2026-05 snapshot
    ("PRJ-0007", "2026-03-01", "labour"): "12000.00",
    ("PRJ-0007", "2026-04-01", "labour"): "800.00",
    ("PRJ-0007", "2026-04-01", "external"): "500.00",
    ("PRJ-0007", "2026-05-01", "labour"): "1000.00",
    ("PRJ-0001", "2026-03-01", "labour"): "100.00",
}
MILESTONES = "project_id,milestone_id,name,baseline_date,forecast_date,actual_date\n"
MAY_MILESTONES = ["PRJ-0007,M1,Design,2026-03-01,2026-03-02,2026-03-02",
                  "PRJ-0007,M2,Build,2026-04-01,2026-04-10,2026-04-10",
                  "PRJ-0001,M1,Start,2026-06-01,2026-06-01,"]


def month(folder: Path, lines: dict, milestones: list[str], projects: str = PROJECTS) -> Path:
    folder.mkdir()
    (folder / "projects.csv").write_text(projects)
    (folder / "budget_lines.csv").write_text(LINES + "".join(f"{p},{d},{c},20000,{v}\n"
                                                             for (p, d, c), v in lines.items()))
    (folder / "milestones.csv").write_text(MILESTONES + "\n".join(milestones) + "\n")
    return folder


@pytest.fixture
def may(tmp_path):
    database = tmp_path / "pmo.duckdb"
    report = snapshots.load([month(tmp_path / "2026-05", MAY_LINES, MAY_MILESTONES)], "2026-05", database=database)
    assert history_warnings(report) == []
    return tmp_path, database


def test_restated_consumed_and_milestone_actuals_are_counted(may):
    tmp_path, database = may
    june = dict(MAY_LINES)
    june[("PRJ-0007", "2026-03-01", "labour")] = "15000.00"    # restated: +3,000.00
    june[("PRJ-0007", "2026-04-01", "labour")] = "799.98"      # restated: 0.02 is more than a cent
    june[("PRJ-0007", "2026-04-01", "external")] = "500.01"    # a cent: rounding, not a restatement
    june[("PRJ-0007", "2026-05-01", "labour")] = "2000.00"     # May itself was not closed in May's snapshot
    june[("PRJ-0007", "2026-06-01", "labour")] = "300.00"      # a new period
    milestones = ["PRJ-0007,M1,Design,2026-03-01,2026-04-15,2026-04-15",  # achieved 44 days later than reported
                  "PRJ-0007,M2,Build,2026-04-01,2026-05-01,",             # no longer achieved
                  "PRJ-0001,M1,Start,2026-06-01,2026-06-03,2026-06-03"]   # newly achieved: normal
    assert CENT == 0.01
    exports = month(tmp_path / "2026-06", june, milestones)
    report = snapshots.load([exports], "2026-06", database=database)
    warnings = history_warnings(report)
    assert warnings == [
        (f"warning: {exports / 'budget_lines.csv'}: column consumed: budget_lines: 2 consumed value(s) of periods "
         "up to 2026-04 differ from the 2026-05 snapshot (largest: PRJ-0007 2026-03 labour 12,000.00 -> 15,000.00): "
         "past actuals were restated; check the export before trusting the trend"),
        (f"warning: {exports / 'milestones.csv'}: column actual_date: milestones: 2 actual date(s) of milestones "
         "achieved by the 2026-05 snapshot differ from it (largest: PRJ-0007 M1 2026-03-02 -> 2026-04-15, +44 days): "
         "past actuals were restated, and slips measured against last month will show them"),
    ]
    # warnings, not errors: the month is loaded, and counted in its loads record
    with pmo_analytics.connect(database) as con:
        assert con.sql("SELECT warnings FROM loads WHERE as_of = DATE '2026-06-30'").fetchall() == [(2,)]
    # `pmo check` against the database says the same before anything is loaded
    assert history_warnings(snapshots.check([exports], as_of="2026-06", database=database)) == warnings


def test_a_month_that_repeats_the_past_exactly_does_not_warn(may):
    tmp_path, database = may
    june = {**MAY_LINES, ("PRJ-0007", "2026-06-01", "labour"): "300.00"}
    report = snapshots.load([month(tmp_path / "2026-06", june, MAY_MILESTONES)], "2026-06", database=database)
    assert history_warnings(report) == []


def test_most_projects_missing_is_a_history_break_half_is_not(may):
    tmp_path, database = may
    def keep(n):
        return "project_id,name,portfolio,status\n" + "".join(f"PRJ-000{i},Project {i},Core,active\n"
                                                               for i in range(1, n + 1))
    # 4 of 8 missing is exactly HISTORY_BREAK_SHARE: no warning
    half = snapshots.check([month(tmp_path / "half", {}, [], keep(4))], as_of="2026-06", database=database)
    assert [w for w in history_warnings(half) if "IDs" in w] == []
    # 5 of 8 missing: warned, naming some of them (no project kept its name under another ID)
    most = snapshots.check([month(tmp_path / "most", {}, [], keep(3))], as_of="2026-06", database=database)
    assert [w.split("column project_id: ")[1] for w in history_warnings(most) if "IDs" in w] == [
        ("5 of 8 projects of 2026-05 are not in this export (only 3 match) (e.g. 'PRJ-0004', 'PRJ-0005', "
         "'PRJ-0006'): did the IDs change? map old IDs to new with [id_map] in a profile (and re-load the earlier "
         "months with it)")]


def test_re_loading_the_same_month_compares_with_the_month_before(may):
    tmp_path, database = may
    changed = {**MAY_LINES, ("PRJ-0007", "2026-03-01", "labour"): "15000.00"}
    report = snapshots.load([month(tmp_path / "again", changed, MAY_MILESTONES)], "2026-05", database=database)
    assert history_warnings(report) == []  # a corrected May replaces May: nothing before it to restate


def test_the_demo_history_loads_without_history_warnings(demo_build):
    """The demo's past repeats exactly from month to month (demo/sample.py), and its IDs never change.
    The loads are the session's demo build (conftest.demo_build: write_sample(projects=60, months=12,
    seed=7, history=True), each month loaded in turn into one database)."""
    _, reports = demo_build
    warned = {as_of: history_warnings(report) for as_of, report in reports.items()}
    assert len(warned) == 12 and all(w == [] for w in warned.values())
    assert dt.date(2026, 10, 31) in warned


def test_pmo_check_db_gives_the_history_warnings_before_loading(uk_years, run):
    """`pmo check --db` says what `pmo load` would: 2020 renumbered every one of 2019's 133 projects."""
    database, _ = uk_years
    before = database.read_bytes()
    code, out, err = run("check", UK / "uk_2020.csv", "--profile", "uk-gmpp", "--as-of", "2020-03", "--db", database)
    assert code == 0
    assert "none of 133 projects of 2019-03 are in this export; 101 of them have" in out + err
    assert database.read_bytes() == before  # checked, not loaded
    code, out, err = run("check", UK / "uk_2020.csv", "--profile", "uk-gmpp", "--as-of", "2020-03")
    assert code == 0 and "none of 133 projects" not in out + err
