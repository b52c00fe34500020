"""Scope: the filters every metric takes, checked once. A filter a metric cannot honour is a UsageError
naming the metric and the filter (never silently ignored), and every filter value is a bound parameter,
so a hostile string matches nothing. On the hand-written canonical snapshot (tests/data/canonical)."""
from __future__ import annotations

import datetime as dt
import inspect

import pandas as pd
import pytest
from conftest import CANONICAL

import pmo_analytics
from pmo_analytics.exceptions import UsageError
from pmo_analytics.metrics import budget, changes, earned_value, improvement, milestones, portfolio, resources, risks
from pmo_analytics.metrics.scope import FILTERS, PROJECT_GROUPS, Group, Scope
from pmo_analytics.snapshots import loading as snapshots

MODULES = (budget, changes, earned_value, improvement, milestones, portfolio, resources, risks)
# Every metric: a public function of a metrics module that takes the project filters.
METRICS = {name: fn for module in MODULES for name, fn in inspect.getmembers(module, inspect.isfunction)
           if fn.__module__ == module.__name__ and not name.startswith("_")
           and "portfolio" in inspect.signature(fn).parameters}
# What each metric refuses, and why (the rest of FILTERS it honours).
REFUSES = {
    "evm": ("period_from", "period_to"),  # earned value is cumulative to the status month
    "kpi_distribution": ("period_from", "period_to"),  # one snapshot's spread
    "drift": ("period_from", "period_to"),  # whole-snapshot measures
    "headline": ("period_from", "period_to"),  # the whole snapshot's numbers
    "exposure_trend": ("as_of",),  # spans every snapshot
    "milestone_trend": ("as_of",),  # spans every snapshot
}
VALUES = {"as_of": "2025-02", "portfolio": "Digital", "program": "Back office", "department": "Finance",
          "project_ids": ["PRJ-001", "PRJ-002"], "period_from": "2025-01", "period_to": "2025-03"}
HOSTILE = "x' OR 1=1 --"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    database = tmp_path_factory.mktemp("scope") / "pmo.duckdb"
    snapshots.load([CANONICAL], "2025-02", database=database)
    with pmo_analytics.connect(database) as connection:
        yield connection


def test_every_metric_is_covered():
    assert set(REFUSES) <= set(METRICS)
    assert {"budget_variance", "evm_series", "resource_load", "risk_register", "milestone_summary", "kpis",
            "new_risks", "headline"} <= set(METRICS)
    for name, fn in METRICS.items():
        assert set(FILTERS) <= set(inspect.signature(fn).parameters), name  # one signature for all


@pytest.mark.parametrize(("metric", "name"), [(m, f) for m, refused in REFUSES.items() for f in refused])
def test_a_filter_the_metric_cannot_honour_is_an_error(con, metric, name):
    with pytest.raises(UsageError, match=rf"^{metric} does not take {name}: \S") as err:
        METRICS[metric](con, **{name: VALUES[name]})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_each_filter_is_honoured_or_refused(con, metric):
    """Every filter in the signature either gives a frame or the metric's one-line refusal, as REFUSES says."""
    refused = set()
    for name in FILTERS:
        try:
            frame = METRICS[metric](con, **{name: VALUES[name]})
        except UsageError as exc:
            assert str(exc).startswith(f"{metric} does not take {name}: ")
            refused.add(name)
        else:
            assert isinstance(frame, pd.DataFrame)
    assert refused == set(REFUSES.get(metric, ()))


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_a_hostile_portfolio_matches_nothing(con, metric):
    frame = METRICS[metric](con, portfolio=HOSTILE)
    assert frame.empty
    assert METRICS[metric](con, portfolio=[HOSTILE, "Digital' --"]).empty


def test_projects_are_bound_parameters(con):
    scope = Scope.of(con, "m", portfolio=HOSTILE, program=["Back office", "Estates"], project_ids=7)
    sql, params = scope.projects("x")
    assert sql == ("x.portfolio IN (SELECT unnest(?::VARCHAR[])) AND x.program IN (SELECT unnest(?::VARCHAR[]))"
                   " AND x.project_id IN (SELECT unnest(?::VARCHAR[]))")
    assert params == [[HOSTILE], ["Back office", "Estates"], ["7"]]  # every value a string, none in the SQL
    assert HOSTILE not in sql and scope.filters_projects
    count = "SELECT count(*) FROM projects x WHERE {}"
    assert con.sql(count.format(sql), params=params).fetchall() == [(0,)]
    digital, digital_params = Scope.of(con, "m", portfolio="Digital").projects("x")
    assert con.sql(count.format(digital), params=digital_params).fetchall() == [(2,)]


def test_no_filter_is_true_and_no_parameter(con):
    scope = Scope.of(con, "m")
    assert scope.projects("p") == ("TRUE", []) and scope.periods("b.period") == ("TRUE", [])
    assert not scope.filters_projects
    assert scope.as_of == dt.date(2025, 2, 28)  # the latest snapshot


def test_periods_are_bound_month_bounds(con):
    scope = Scope.of(con, "m", period_from="2025-01", period_to="2025-03-15")
    assert scope.periods("b.period") == ("b.period >= ? AND b.period <= ?",
                                         [dt.date(2025, 1, 1), dt.date(2025, 3, 31)])
    with pytest.raises(UsageError, match="not a month"):
        Scope.of(con, "m", period_from="2025-01' OR 1=1").periods("b.period")


def test_as_of_is_resolved_only_when_honoured(con):
    assert Scope.of(con, "m", as_of="2025-02-03").as_of == dt.date(2025, 2, 28)
    assert Scope.of(con, "trend", honours=FILTERS[1:], why="spans every snapshot").as_of is None
    with pytest.raises(UsageError, match="^trend does not take as_of: spans every snapshot$"):
        Scope.of(con, "trend", honours=FILTERS[1:], why="spans every snapshot", as_of="2025-02")
    with pytest.raises(UsageError, match="not a month"):
        Scope.of(con, "m", as_of="'; DROP TABLE projects; --")


def test_a_metric_that_refuses_a_filter_says_why():
    with pytest.raises(ValueError, match="no reason"):
        Scope.of(None, "m", honours=("as_of",))
    with pytest.raises(ValueError, match="unknown"):
        Scope.of(None, "m", honours=(*FILTERS, "colour"), why="x")


def test_group_is_checked_against_its_table(con):
    scope = Scope.of(con, "m", by="project", groups=PROJECT_GROUPS)
    assert scope.group == Group("p.project_id, p.name AS project_name, p.portfolio",
                                "p.project_id, p.name, p.portfolio", "project_id, project_name, portfolio")
    assert scope.group.key == "project_id"
    assert Scope.of(con, "m", by="department", groups=PROJECT_GROUPS).group == Group(
        "p.department", "p.department", "department")
    for hostile in ("team", "portfolio; DROP TABLE projects", None, ["portfolio"]):
        with pytest.raises(UsageError, match="^by must be one of project, program, portfolio, department"):
            Scope.of(con, "m", by=hostile, groups=PROJECT_GROUPS)
    with pytest.raises(ValueError, match="no by= grouping"):
        _ = Scope.of(con, "m").group
