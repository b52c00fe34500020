"""Scenarios as values and as TOML: what is checked when one is built, the file layout, the exact
round trip, and the messages a bad file gets (file, line or change, field)."""
from __future__ import annotations

import datetime as dt

import pytest

from pmo_analytics.exceptions import ScenarioError
from pmo_analytics.scenarios import Change, Scenario, describe, from_toml, to_toml

EXAMPLE = '''[scenario]
name = "defer-two"
as_of = "2026-10"
version = 1
author = "PMO"
description = "..."
budget_limit = 2500000.0

[[change]]
kind = "defer"
project_id = "PRJ-0043"
months = 3
who = "J. Smith"
why = "frees Application Development for the Q1 go-live"

[[change]]
kind = "add"
project_id = "NEW-001"
name = "Data platform"
portfolio = "Digital"
[change.budget]
"2027-01" = 100000.0
[change.demand.Developer]
"2027-01" = 300.0
'''


def test_the_documented_example_reads():
    s = from_toml(EXAMPLE, "defer-two.toml")
    assert (s.name, s.as_of, s.version, s.author, s.description, s.budget_limit) == (
        "defer-two", dt.date(2026, 10, 31), 1, "PMO", "...", 2500000.0)
    assert s.changes == (
        Change("defer", project_id="PRJ-0043", months=3, who="J. Smith",
               why="frees Application Development for the Q1 go-live"),
        Change("add", project_id="NEW-001", name="Data platform", portfolio="Digital",
               budget={"2027-01": 100000.0}, demand={"Developer": {"2027-01": 300.0}}))
    # Written back, it is the same text (the layout is fixed).
    assert to_toml(s) == EXAMPLE


EVERY_KIND = Scenario(
    "all-kinds_2", dt.date(2026, 10, 15), version=7, author="Zoë \"Z\" O'Neil", created="2026-11-03T09:30:00",
    description='two lines\nwith a tab\t, a backslash \\ and DEL \x7f', budget_limit=1250.5,
    changes=(
        Change("exclude", project_id="P1", who="Board", why="no longer strategic"),
        Change("include", project_id="P3"),
        Change("defer", project_id="P2", months=-2),
        Change("cut", project_id="P2", percent=12.5),
        Change("move", role="Business Analyst", project_id="P2", to_project="P4", period=["2027-01", "2027-02"],
               percent=50),
        Change("move", resource_id="R 1", project_id="P2", to_project="P4", period=["2027-03"]),
        Change("hire", role="Data Engineer", people=2, weekly_hours=30, team="Data & AI"),
        Change("add", project_id="NEW-1", name="Ünïcode ✓", portfolio="Beta", program="X", department="Y",
               value_score=42, budget={"2027-01": 10, "2027-02": 0.1},
               demand={"Data Engineer": {"2027-01": 12.25}, "Analyst": {}}),
        Change("add", project_id="NEW-2", name="Budget only", portfolio="Beta", budget={"2027-05": 1e9}),
    ))


def test_round_trip_is_exact():
    text = to_toml(EVERY_KIND)
    back = from_toml(text, "all.toml")
    assert back == EVERY_KIND
    assert to_toml(back) == text
    # Numbers given as ints are kept as floats, so 50 and 50.0 read back alike.
    assert back.changes[4].percent == 50.0 and isinstance(back.changes[4].percent, float)
    assert back.as_of == dt.date(2026, 10, 31)  # any day of the month is its month end


def test_layout_of_a_small_scenario():
    s = Scenario("s", "2026-10", (Change("move", role="Business Analyst", project_id="P1", to_project="P2",
                                         period=["2026-11"]),
                                  Change("add", project_id="N", name="n", portfolio="p",
                                         demand={"Business Analyst": {"2026-12": 7.5}})))
    assert to_toml(s) == '''[scenario]
name = "s"
as_of = "2026-10"
version = 1

[[change]]
kind = "move"
project_id = "P1"
role = "Business Analyst"
to_project = "P2"
period = ["2026-11"]

[[change]]
kind = "add"
project_id = "N"
name = "n"
portfolio = "p"
[change.demand."Business Analyst"]
"2026-12" = 7.5
'''


def _toml(*changes: str, head: str = 'name = "s"\nas_of = "2026-10"') -> str:
    return f"[scenario]\n{head}\n" + "".join(f"\n[[change]]\n{c}\n" for c in changes)


@pytest.mark.parametrize("text, message", [
    ('[scenario]\nname = "s"\nas_of = "2026-10\n', "s.toml: line 3: Illegal character '\\n'"),
    ('[scenario]\nname = "s"\nas_of = \n', "s.toml: line 3: Invalid value"),
    (_toml('kind = "exclude"\nproject_id = "P1"', 'kind = "include"\nproject_id = "P1"',
           'kind = "defer"\nproject_id = "P1"\nmonths = "x"'),
     "s.toml: change 3 (defer): months must be a non-zero whole number, got 'x'"),
    (_toml('kind = "defer"\nproject_id = "P1"\nmonth = 3'),
     "s.toml: change 1 (defer): unknown key 'month' (known: kind, project_id, months, percent, resource_id, role, "
     "to_project, period, people, weekly_hours, team, name, portfolio, program, department, budget, demand, "
     "value_score, who, why)"),
    (_toml('kind = "defer"\nproject_id = "P1"\nmonths = 1\npercent = 5'),
     "s.toml: change 1 (defer): percent does not apply to defer (it takes project_id, months, who, why)"),
    (_toml('kind = "cut"\nproject_id = "P1"\npercent = 100'),
     "s.toml: change 1 (cut): percent must be a number with 0 < percent < 100, got 100"),
    (_toml('kind = "cut"\nproject_id = "P1"\npercent = 0'),
     "s.toml: change 1 (cut): percent must be a number with 0 < percent < 100, got 0"),
    (_toml('kind = "move"\nproject_id = "P1"\nto_project = "P2"\nperiod = ["2026-11"]\npercent = 120\nrole = "A"'),
     "s.toml: change 1 (move): percent must be a number with 0 < percent <= 100, got 120"),
    (_toml('kind = "move"\nproject_id = "P1"\nto_project = "P2"\nperiod = ["2026-11"]\nrole = "A"\nresource_id = "R"'),
     "s.toml: change 1 (move): give resource_id or role (one of them): whose hours move"),
    (_toml('kind = "move"\nproject_id = "P1"\nto_project = "P2"\nperiod = ["Nov"]\nrole = "A"'),
     "s.toml: change 1 (move): period: 'Nov' is not a month (expected 'YYYY-MM')"),
    (_toml('kind = "defer"\nproject_id = "P1"\nmonths = 1.0'),
     "s.toml: change 1 (defer): months must be a non-zero whole number, got 1.0"),
    (_toml('kind = "defer"\nmonths = 1'), "s.toml: change 1 (defer): project_id is required"),
    (_toml('kind = "postpone"\nproject_id = "P1"'),
     "s.toml: change 1 (postpone): kind must be one of exclude, include, defer, cut, move, hire, add, got 'postpone'"),
    (_toml('project_id = "P1"'),
     "s.toml: change 1: kind is required (one of exclude, include, defer, cut, move, hire, add)"),
    (_toml('kind = "add"\nproject_id = "N"\nname = "n"\nportfolio = "p"\n[change.budget]\n"2027-13" = 5.0'),
     "s.toml: change 1 (add): budget: '2027-13' is not a month (expected 'YYYY-MM')"),
    (_toml('kind = "add"\nproject_id = "N"\nname = "n"\nportfolio = "p"\n[change.demand.Dev]\n"2027-01" = -5.0'),
     "s.toml: change 1 (add): demand.Dev.2027-01 must be a number of hours >= 0, got -5"),
    (_toml('kind = "add"\nproject_id = "N"\nname = "n"\nportfolio = "p"'),
     "s.toml: change 1 (add): give budget (per month) or demand (per role and month), or both"),
    (_toml(head='nmae = "s"\nas_of = "2026-10"'),
     "s.toml: [scenario]: unknown key 'nmae' (known: name, as_of, version, author, description, created, "
     "budget_limit)"),
    (_toml(head='name = "my scenario"\nas_of = "2026-10"'),
     "s.toml: [scenario]: name must be 1-64 letters, digits, '-' or '_' (it becomes a file name), "
     "got 'my scenario'"),
    (_toml(head='name = "s"\nas_of = "October"'), "s.toml: [scenario]: as_of: 'October' is not a month (expected "
     "'YYYY-MM')"),
    (_toml(head='name = "s"'), "s.toml: [scenario]: as_of is required"),
    ('[scenarios]\nname = "s"\n', "s.toml: unknown table or key 'scenarios' (a scenario file has [scenario] and "
     "[[change]] tables only)"),
    ('[change]\nkind = "exclude"\n', "s.toml: write each change as a [[change]] table (double brackets), not [change]"),
    ('name = "s"\n', "s.toml: unknown table or key 'name' (a scenario file has [scenario] and [[change]] tables only)"),
    ('[[change]]\nkind = "exclude"\n', "s.toml: no [scenario] table (it gives the name and the as_of month)"),
])
def test_bad_files_are_named_with_line_or_change_and_field(text, message):
    with pytest.raises(ScenarioError) as err:
        from_toml(text, "s.toml")
    assert str(err.value) == message


def test_values_are_checked_when_built():
    with pytest.raises(ScenarioError, match=r"^scenario 'x y': name must be"):
        Scenario("x y", "2026-10")
    with pytest.raises(ScenarioError, match=r"^scenario 's', change 2 \(cut\): percent must be a number with "
                                            r"0 < percent < 100, got 150$"):
        Scenario("s", "2026-10", (Change("include", project_id="P"), Change("cut", project_id="P", percent=150)))
    with pytest.raises(ScenarioError, match=r"^change 4 \(hire\): people must be a whole number from 1 to 1000, "
                                            r"got 0$"):
        Change("hire", role="Dev", people=0).validate(4)
    with pytest.raises(ScenarioError, match=r"^scenario 's': budget_limit must be money per month > 0, got -1$"):
        Scenario("s", "2026-10", budget_limit=-1)
    with pytest.raises(ScenarioError, match="name must be 1-64"):
        Scenario("x" * 65, "2026-10")
    assert Scenario("x" * 64, dt.date(2026, 10, 1)).as_of == dt.date(2026, 10, 31)


def test_describe():
    assert [describe(c) for c in EVERY_KIND.changes] == [
        "exclude P1", "include P3", "bring P2 forward 2 months", "cut P2's remaining scope by 12.5%",
        "move 50% of every Business Analyst's hours on P2 to P4 in 2027-01, 2027-02",
        "move R 1's hours on P2 to P4 in 2027-03", "hire 2 Data Engineer at 30 h/week in Data & AI",
        "add NEW-1 Ünïcode ✓ (Beta): budget 10, demand 12 h", "add NEW-2 Budget only (Beta): budget 1,000,000,000, "
        "demand 0 h"]
    assert describe(Change("defer", project_id="P", months=1)) == "defer P by 1 month"
