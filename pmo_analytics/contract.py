"""The data contract: every canonical table declared once.

The DDL, the validation rules and the README's table reference are all generated from TABLES,
so a column added here is created, checked and documented everywhere at once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Types used by the contract; each maps to one DuckDB type.
TEXT, DATE, NUMBER, INTEGER = "TEXT", "DATE", "DOUBLE", "INTEGER"

PROJECT_STATUSES = ("planned", "active", "on_hold", "closed", "cancelled")
RISK_STATUSES = ("open", "mitigating", "closed", "occurred")
RAG_RATINGS = ("green", "amber_green", "amber", "amber_red", "red")
# Every date must fall in these years: 'infinity', year 300000 or a BC date is an export fault that
# would pass as a date and then break every duration and chart computed from it.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


@dataclass(frozen=True)
class Column:
    """One canonical column: its type, whether a file must carry it, and what values are valid."""

    name: str
    type: str = TEXT
    required: bool = False
    doc: str = ""
    allowed: tuple[str, ...] | None = None  # TEXT columns: the only values accepted (normalised to lower_snake)
    minimum: float | None = None  # NUMBER / INTEGER columns: smallest valid value
    maximum: float | None = None
    money: bool = False  # money columns: negative values are errors
    references: str | None = None  # "table.column" this value must exist in (same snapshot)
    align: str | None = None  # DATE columns: "month" (first of month) or "week" (Monday)
    expected: bool = True  # a good export fills it; False where blank is normal (actual_date of a future milestone)


@dataclass(frozen=True)
class Table:
    """One canonical table: its key (within a snapshot) and its columns, in export order."""

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    doc: str = ""
    snapshot_columns: tuple[Column, ...] = field(default=(), repr=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self) -> str:
        """CREATE TABLE statement, with as_of and source first.

        The key is enforced by validation, not by an index: DuckDB's indexes slow bulk loads and
        reject a delete and re-insert of the same key in one transaction, which re-loading a month is.
        """
        cols = ["as_of DATE NOT NULL", "source TEXT"]
        cols += [f"{c.name} {c.type}{' NOT NULL' if c.required else ''}" for c in self.columns]
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    " + ",\n    ".join(cols) + "\n)"


def _money(name: str, doc: str, required: bool = False) -> Column:
    return Column(name, NUMBER, required=required, doc=doc, money=True, minimum=0)


PROJECTS = Table(
    "projects",
    key=("project_id",),
    doc="One row per project in the portfolio tool's export.",
    columns=(
        Column("project_id", required=True, doc="Unique project code"),
        Column("name", required=True, doc="Project name"),
        Column("portfolio", required=True, doc="Portfolio the project belongs to"),
        Column("program", doc="Program (group of related projects)"),
        Column("department", doc="Owning department"),
        Column("manager", doc="Project manager"),
        Column("status", required=True, allowed=PROJECT_STATUSES, doc="Lifecycle status"),
        Column("phase", doc="Current phase (e.g. initiation, delivery)"),
        Column("priority", doc="Priority as the tool states it"),
        Column("rag", allowed=RAG_RATINGS, expected=False, doc="Delivery confidence RAG (optional)"),
        Column("start_date", DATE, doc="Start date"),
        Column("end_date", DATE, doc="Current forecast finish"),
        Column("baseline_end_date", DATE, doc="Approved baseline finish"),
        _money("bac", "Budget at completion (approved budget)"),
        Column("currency", doc="ISO currency code of the project's money"),
        Column("value_score", NUMBER, minimum=0, expected=False,
               doc="Value the PMO scores the project with (any scale, higher is better); the portfolio "
                   "optimiser maximises its sum"),
    ),
)

BUDGET_LINES = Table(
    "budget_lines",
    key=("project_id", "period", "category"),
    doc="Finance lines per project, month and cost category.",
    columns=(
        Column("project_id", required=True, references="projects.project_id", doc="Project code"),
        Column("period", DATE, required=True, align="month", doc="Month (first day of month)"),
        Column("category", required=True, doc="Cost category (labour, external, capex, opex...)"),
        _money("budget", "Approved budget for the period"),
        _money("forecast", "Expected spend for the period"),
        _money("committed", "Orders placed, not yet paid"),
        _money("consumed", "Actual spend"),
    ),
)

PROGRESS = Table(
    "progress",
    key=("project_id", "period"),
    doc="Physical progress per project at each month end; EV = percent_complete/100 x BAC.",
    columns=(
        Column("project_id", required=True, references="projects.project_id", doc="Project code"),
        Column("period", DATE, required=True, align="month", doc="Month (first day of month)"),
        Column("percent_complete", NUMBER, required=True, minimum=0, maximum=100,
               doc="Physical progress at period end, 0-100"),
    ),
)

RESOURCES = Table(
    "resources",
    key=("resource_id",),
    doc="People (or named roles) that work on projects.",
    columns=(
        Column("resource_id", required=True, doc="Unique resource code"),
        Column("name", required=True, doc="Person or role name"),
        Column("team", doc="Team"),
        Column("role", doc="Role"),
        Column("department", doc="Department"),
        Column("weekly_capacity_hours", NUMBER, minimum=0, maximum=168, doc="Hours available per week"),
        _money("cost_rate", "Cost per hour"),
    ),
)

ALLOCATIONS = Table(
    "allocations",
    key=("resource_id", "project_id", "week"),
    doc="Planned and actual hours per resource, project and week.",
    columns=(
        Column("resource_id", required=True, references="resources.resource_id", doc="Resource code"),
        Column("project_id", required=True, references="projects.project_id", doc="Project code"),
        Column("week", DATE, required=True, align="week", doc="Week (its Monday)"),
        Column("planned_hours", NUMBER, minimum=0, maximum=168, doc="Planned hours"),
        Column("actual_hours", NUMBER, minimum=0, maximum=168, expected=False,
               doc="Booked hours (blank for future weeks)"),
    ),
)

RISKS = Table(
    "risks",
    key=("risk_id",),
    doc="Risk register entries.",
    columns=(
        Column("risk_id", required=True, doc="Unique risk code"),
        Column("project_id", required=True, references="projects.project_id", doc="Project code"),
        Column("title", required=True, doc="Short description"),
        Column("category", doc="Risk category"),
        Column("probability", NUMBER, minimum=0, maximum=1,
               doc="Probability 0-1 (a 1-5 scale is normalised to 0.1/0.3/0.5/0.7/0.9)"),
        Column("impact", INTEGER, minimum=1, maximum=5, doc="Impact on a 1-5 scale"),
        _money("impact_cost", "Cost if the risk occurs"),
        Column("status", required=True, allowed=RISK_STATUSES, doc="Risk status"),
        Column("owner", doc="Risk owner"),
        Column("raised_date", DATE, doc="Date raised"),
        Column("due_date", DATE, doc="Date the response is due"),
        Column("closed_date", DATE, expected=False, doc="Date closed"),
        Column("mitigation", doc="Mitigation plan"),
    ),
)

MILESTONES = Table(
    "milestones",
    key=("project_id", "milestone_id"),
    doc="Project milestones with baseline, forecast and actual dates.",
    columns=(
        Column("project_id", required=True, references="projects.project_id", doc="Project code"),
        Column("milestone_id", required=True, doc="Milestone code, unique within the project"),
        Column("name", required=True, doc="Milestone name"),
        Column("baseline_date", DATE, doc="Baseline date"),
        Column("forecast_date", DATE, doc="Current forecast date"),
        Column("actual_date", DATE, expected=False, doc="Date achieved (blank until then)"),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (PROJECTS, BUDGET_LINES, PROGRESS, RESOURCES, ALLOCATIONS, RISKS, MILESTONES)
}

# The loads table is the workbench's own record of each snapshot, not an export.
LOADS_DDL = """CREATE TABLE IF NOT EXISTS loads (
    as_of DATE NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    files TEXT NOT NULL,  -- JSON: table -> {file, sha256, rows, warnings, quality}
    rows_projects BIGINT, rows_budget_lines BIGINT, rows_progress BIGINT, rows_resources BIGINT,
    rows_allocations BIGINT, rows_risks BIGINT, rows_milestones BIGINT,
    warnings INTEGER NOT NULL,
    quality_score DOUBLE,
    checksum TEXT NOT NULL
)"""


def all_ddl() -> list[str]:
    """Every CREATE TABLE statement of the workbench database, in dependency order."""
    return [t.ddl() for t in TABLES.values()] + [LOADS_DDL]


def markdown() -> str:
    """The contract as Markdown tables, for the README (`pmo contract` prints it)."""
    out = []
    for t in TABLES.values():
        out.append(f"#### `{t.name}` (key: {', '.join(t.key)})\n\n{t.doc}\n")
        out.append("| column | type | required | rule | meaning |\n|---|---|---|---|---|")
        for c in t.columns:
            rule = []
            if c.allowed:
                rule.append(" / ".join(c.allowed))
            if c.maximum is not None:
                rule.append(f"{c.minimum:g}..{c.maximum:g}")
            elif c.minimum is not None:
                rule.append(f">= {c.minimum:g}")
            if c.references:
                rule.append(f"in {c.references}")
            if c.align:
                rule.append("first of month" if c.align == "month" else "a Monday")
            out.append(f"| {c.name} | {c.type} | {'yes' if c.required else ''} | {'; '.join(rule)} | {c.doc} |")
        out.append("")
    return "\n".join(out)
