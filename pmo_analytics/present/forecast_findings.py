"""The forecast page (notebook 09): which risk-adjusted forecast it shows, the sentence above each figure
and table, the small tables' frames and the key numbers the notebook tests check.

The page shows the forecast saved for the snapshot (store.forecasts, as the dashboards show it), else
one computed on the page (10,000 draws, the engine's seed), and says which. The saved one holds the
portfolio, the projects, the S-curve and the drivers; the joint confidence is not saved, so it is
computed again from the same inputs with the saved run's draws, seed and rho (the same numbers).
A snapshot with no project that can be forecast (UK GMPP: whole-life totals, no cost or progress
reported) says so, section by section.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pmo_analytics.metrics.forecast_calibration import judge
from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.present import format as fmt
from pmo_analytics.present.format import chance
from pmo_analytics.present.findings import Finding

NAMED = 3  # projects or drivers named in a sentence
SAME_COST = 1e-9  # relative: a joint-grid cost is the portfolio's quantile it was computed as

CONTINGENCY_KINDS = {"cost": "money", "above_budget": "money", "above_point_forecast": "money"}
PROJECT_NAMES = {
    "project_id": "project_id", "bac": "bac", "eac": "point_forecast", "cost_p50": "p50_cost",
    "cost_p80": "p80_cost", "cost_p90": "p90_cost", "prob_within_budget": "chance_within_budget",
    "contingency_p80": "p80_contingency", "baseline_finish": "baseline_finish", "finish_p50": "p50_finish",
    "finish_p80": "p80_finish", "finish_p90": "p90_finish", "prob_by_baseline": "chance_by_baseline",
    "prob_both": "chance_of_both"}
PROJECT_KINDS = {"point_forecast": "money", "p50_cost": "money", "p80_cost": "money", "p90_cost": "money",
                 "chance_within_budget": "share", "p80_contingency": "money", "baseline_finish": "date",
                 "p50_finish": "date", "p80_finish": "date", "p90_finish": "date", "chance_by_baseline": "share",
                 "chance_of_both": "share"}
CALIBRATION_KINDS = {"months_before": "int", "cost_covered": "int", "cost_coverage": "share",
                     "finish_covered": "int", "finish_coverage": "share", "months_to_add": "int"}


@dataclass(frozen=True, eq=False)
class PageForecast:
    """The forecast the page shows. source: "saved" (the snapshot's saved forecast), "stale" (one was
    saved, but the snapshot was loaded again since: computed afresh), "computed" (none saved) or
    "none" (nothing to forecast: `why`). The frames are a Simulation's (portfolio, projects, curve =
    s_curve, tornado, joint); empty when there is none."""

    source: str
    why: str = ""
    draws: int = 0
    seed: int = 0
    rho: float = float("nan")
    portfolio: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: pd.DataFrame = field(default_factory=pd.DataFrame)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    tornado: pd.DataFrame = field(default_factory=pd.DataFrame)
    joint: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()

    @property
    def shown(self) -> bool:
        return self.source != "none"


def nothing_to_forecast(inputs) -> str:
    """Why the snapshot has nothing to forecast ("" when it has): no project is planned, active or on
    hold, or none of them can be forecast (forecast_inputs' left_out says why, counted per reason)."""
    if inputs.projects:
        return ""
    left = inputs.left_out
    if left.empty:
        return "no project is planned, active or on hold"
    return f"none of the {fmt.plural(len(left), 'project')} to finish can be forecast: {_reasons(left)}"


def _reasons(left_out: pd.DataFrame) -> str:
    """"reason (count); reason (count)", the commonest first."""
    counts = left_out["reason"].value_counts().sort_index().sort_values(ascending=False, kind="stable")
    return "; ".join(f"{reason} ({n:,})" for reason, n in counts.items())


def page_forecast(inputs, saved: dict | None) -> PageForecast:
    """The forecast of the page from the snapshot's inputs (forecast_inputs) and its saved forecast
    (forecast_store.latest_forecast, or None): the saved one unless it is stale, else computed."""
    why = nothing_to_forecast(inputs)
    if why:
        return PageForecast("none", why=why)
    run = None if saved is None else saved["run"].iloc[0]
    if run is not None and not bool(run["stale"]):
        draws, seed, rho = int(run["draws"]), int(run["seed"]), float(run["rho"])
        again = simulate(inputs, draws=draws, seed=seed, rho=rho)
        drivers = saved.get("drivers")
        return PageForecast("saved", draws=draws, seed=seed, rho=rho, portfolio=saved["portfolio"],
                            projects=saved["projects"], curve=saved["curve"],
                            tornado=again.tornado if drivers is None else drivers, joint=again.joint,
                            notes=again.notes)
    sim = simulate(inputs)
    return PageForecast("stale" if run is not None else "computed", draws=sim.draws, seed=sim.seed, rho=sim.rho,
                        portfolio=sim.portfolio, projects=sim.projects, curve=sim.s_curve, tornado=sim.tornado,
                        joint=sim.joint, notes=sim.notes)


def source(page: PageForecast, as_of) -> Finding:
    """Which forecast the page shows, and how it was made; or why there is none."""
    month = f"{as_of:%B %Y}"
    if not page.shown:
        return Finding(f"Nothing to forecast in {month}: {page.why}.")
    how = f"{page.draws:,} draws, seed {page.seed}, correlation between projects {page.rho:.2f}"
    if page.source == "saved":
        return Finding(f"The forecast saved for {month} ({how}), as the dashboards show it; the joint confidence "
                       "of cost and schedule, which is not saved, is computed again from the same inputs and seed.")
    if page.source == "stale":
        return Finding(f"The forecast saved for {month} is stale (the snapshot was loaded again since): computed "
                       f"here from the snapshot ({how}); pmo forecast saves it again.")
    return Finding(f"No forecast is saved for {month}: computed here from the snapshot ({how}); pmo forecast "
                   "saves one for the dashboards.")


def caveats(page: PageForecast, inputs) -> Finding | None:
    """What the reader should know about the forecast: the reference class, young projects, risks and
    projects left out; None when there is nothing to say (or no forecast)."""
    if not page.shown:
        return None
    parts = [f"Reference class (prior): {inputs.prior_source}", *page.notes]
    if inputs.risks_unassessed:
        n = inputs.risks_unassessed
        parts.append(f"{fmt.plural(n, 'open risk')} without a probability {'adds' if n == 1 else 'add'} nothing")
    if len(inputs.left_out):
        parts.append(f"{fmt.plural(len(inputs.left_out), 'project')} to finish left out: "
                     + _reasons(inputs.left_out))
    return Finding("; ".join(parts) + ".")


def _money(currency):
    return functools.partial(fmt.money, currency=currency)


def absent(what: str) -> Finding:
    """The one line of a section when the snapshot has nothing to forecast."""
    return Finding(f"No {what}: this snapshot has nothing to forecast (see above).")


def cost(page: PageForecast, currency: str | None = None) -> Finding:
    """The portfolio's P50, P80 and P90 against its BAC and point EAC, and the chance within budget."""
    if not page.shown:
        return absent("risk-adjusted cost at completion")
    p, m = page.portfolio.iloc[0], _money(currency)
    return Finding(f"With their open risks, the {fmt.plural(p['projects'], 'project')} to finish cost "
                   f"{m(p['cost_p50'])} at P50, {m(p['cost_p80'])} at P80 and {m(p['cost_p90'])} at P90, against a "
                   f"budget (BAC) of {m(p['bac'])} and a point forecast (EAC) of {m(p['eac'])}: the chance of "
                   f"finishing within the budget is {chance(p['prob_within_budget'])}.")


def contingency(page: PageForecast, currency: str | None = None) -> Finding:
    """The contingency an 80% chance asks for above the point forecast (P80 - EAC), against what the
    budget holds above it (BAC - EAC)."""
    if not page.shown:
        return absent("contingency to recommend")
    p, m = page.portfolio.iloc[0], _money(currency)
    need, holds, short = p["cost_p80"] - p["eac"], p["bac"] - p["eac"], p["cost_p80"] - p["bac"]
    if need > 0:
        text = f"For an 80% chance, hold {m(need)} above the point forecast (P80 - EAC)"
    else:
        text = f"The point forecast is at or above the P80 (by {m(-need)}): an 80% chance needs nothing above it"
    if holds < 0:
        text += f"; the budget is already {m(-holds)} below the point forecast, {m(short)} short of the P80"
    elif short > 0:
        text += f"; the budget holds {m(holds)} above the point forecast, {m(short)} short of the P80"
    else:
        text += f"; the budget holds {m(holds)} above the point forecast, enough for the P80 with {m(-short)} to spare"
    emv = p.get("risk_emv")
    tail = f" (the open risks' expected cost alone is {m(emv)})" if not fmt.is_missing(emv) and emv > 0 else ""
    return Finding(text + tail + ".")


def contingency_table(portfolio: pd.DataFrame) -> pd.DataFrame:
    """The budget, the point forecast and the P50 / P80 / P90, each against the budget and the point
    forecast (pass kinds=CONTINGENCY_KINDS)."""
    p = portfolio.iloc[0]
    levels = [("budget (BAC)", p["bac"]), ("point forecast (EAC)", p["eac"]), ("P50", p["cost_p50"]),
              ("P80", p["cost_p80"]), ("P90", p["cost_p90"])]
    return pd.DataFrame({"measure": [name for name, _ in levels], "cost": [float(v) for _, v in levels],
                         "above_budget": [float(v - p["bac"]) for _, v in levels],
                         "above_point_forecast": [float(v - p["eac"]) for _, v in levels]})


def _driver(row) -> str:
    return f"{row.driver}'s cost performance" if row.kind == "project" else f"risk {row.driver}"


def drivers(page: PageForecast) -> Finding:
    """The largest shares of the total's variance (the tornado), and how much of it the risks carry."""
    if not page.shown:
        return absent("drivers of the spread")
    tornado = page.tornado
    if tornado.empty:
        return Finding("Nothing drives a spread: no project's cost varies in the forecast and no open risk has a cost.")
    named = ", ".join(f"{_driver(r)} {fmt.percent(100 * r.contribution)}" for r in tornado.head(NAMED).itertuples())
    risks = tornado[tornado["kind"] == "risk"]
    tail = (f"{len(risks):,} of the {len(tornado):,} largest drivers are risks, "
            f"{fmt.percent(100 * risks['contribution'].sum())} of the variance together" if len(risks)
            else f"no risk is among the {len(tornado):,} largest drivers")
    return Finding(f"The largest shares of the spread of the portfolio's cost: {named}; {tail}.")


def _has(n: int) -> str:
    return "has" if n == 1 else "have"


def cost_ranges(page: PageForecast, currency: str | None = None) -> Finding:
    """How many projects have a P80 cost above their budget, the furthest above named."""
    if not page.shown:
        return absent("cost ranges by project")
    known = page.projects.dropna(subset=["cost_p80", "bac"])
    if known.empty:
        return Finding("No project has both a P80 cost and a budget to compare.")
    over = known.assign(gap=known["cost_p80"] - known["bac"])
    over = over[over["gap"] > 0].sort_values(["gap", "project_id"], ascending=[False, True])
    if over.empty:
        return Finding(f"Every project ({len(known):,}) has its P80 cost within its budget.")
    m = _money(currency)
    named = ", ".join(f"{r.project_id} ({m(r.gap, signed=True)}, {fmt.percent(100 * r.gap / r.bac, signed=True)})"
                      if r.bac else f"{r.project_id} ({m(r.gap, signed=True)})" for r in over.head(NAMED).itertuples())
    return Finding(f"{len(over):,} of {fmt.plural(len(known), 'project')} {_has(len(over))} a P80 cost above "
                   f"the budget; furthest above: {named}.")


def finish_ranges(page: PageForecast) -> Finding:
    """How many projects finish after their baseline at P80 and how many more likely than not; the
    furthest past it named."""
    if not page.shown:
        return absent("finish ranges by project")
    df = page.projects.assign(p80=pd.to_datetime(page.projects["finish_p80"]),
                              baseline=pd.to_datetime(page.projects["baseline_finish"]))
    known = df.dropna(subset=["p80", "baseline"])
    if known.empty:
        return Finding("No project has both a P80 finish and a baseline finish to compare.")
    late = known.assign(days=(known["p80"] - known["baseline"]).dt.days)
    late = late[late["days"] > 0].sort_values(["days", "project_id"], ascending=[False, True])
    likely = int((known["prob_by_baseline"] < 0.5).sum())
    if late.empty:
        return Finding(f"Every project ({len(known):,}) finishes by its baseline at P80.")
    named = ", ".join(f"{r.project_id} ({fmt.plural(r.days, 'day')} late)" for r in late.head(NAMED).itertuples())
    return Finding(f"{len(late):,} of {fmt.plural(len(known), 'project')} {_has(len(late))} a P80 finish after "
                   f"the baseline and {likely:,} {'is' if likely == 1 else 'are'} more likely than not to finish "
                   f"late; furthest past it: {named}.")


def project_table(projects: pd.DataFrame) -> pd.DataFrame:
    """Each project's cost and finish ranges and chances under readable names, the largest P80 above
    its budget first (pass kinds=PROJECT_KINDS)."""
    gap = (projects["cost_p80"] - projects["bac"]).fillna(-np.inf)
    ordered = projects.assign(_gap=gap).sort_values(["_gap", "project_id"], ascending=[False, True])
    return ordered[list(PROJECT_NAMES)].rename(columns=PROJECT_NAMES).reset_index(drop=True)


def _at(joint: pd.DataFrame, cost: float) -> pd.DataFrame:
    """The joint grid's rows at `cost` (the portfolio quantile or budget it was computed at)."""
    if fmt.is_missing(cost):
        return joint.iloc[0:0]
    return joint[np.isclose(joint["cost"].astype(float), float(cost), rtol=SAME_COST, atol=0.0)]


def _probability(joint: pd.DataFrame, cost: float, share: float) -> float:
    rows = _at(joint, cost)
    rows = rows[np.isclose(rows["share_by_baseline"].astype(float), share)]
    return float(rows["probability"].iloc[0]) if len(rows) else float("nan")


def joint(page: PageForecast, currency: str | None = None) -> Finding:
    """The chance of staying within budget with at least half the projects by their baseline, the
    same at the P80 cost, and the share of projects by baseline."""
    if not page.shown:
        return absent("joint cost and schedule confidence")
    p, m = page.portfolio.iloc[0], _money(currency)
    within = _probability(page.joint, p["bac"], 0.5)
    at_p80 = _probability(page.joint, p["cost_p80"], 0.5)
    return Finding(f"The chance of staying within the budget while at least half of the projects finish by their "
                   f"baseline is {chance(within)}; spending up to the P80 ({m(p['cost_p80'])}), {chance(at_p80)}. "
                   f"On average {chance(p['share_by_baseline_mean'])} of the projects finish by their baseline, "
                   f"and at least {chance(p['share_by_baseline_p80'])} in 80% of the draws.")


def joint_table(page: PageForecast) -> pd.DataFrame:
    """The joint confidence as a small table: one row per cost (the budget, P50, P80, P90, cheapest
    first), the chance of the cost alone and of the cost with at least each share of projects by
    their baseline (every column a share 0..1)."""
    p, grid = page.portfolio.iloc[0], page.joint
    levels = sorted([("budget (BAC)", p["bac"]), ("P50", p["cost_p50"]), ("P80", p["cost_p80"]),
                     ("P90", p["cost_p90"])], key=lambda level: float(level[1]))
    shares = sorted(grid["share_by_baseline"].astype(float).unique())
    rows = []
    for name, value in levels:
        at = _at(grid, value)
        row = {"measure": name, "cost": float(value),
               "chance_of_the_cost_alone": float(at["prob_cost"].iloc[0]) if len(at) else float("nan")}
        row |= {f"and_at_least_{s:.0%}_by_baseline": _probability(grid, value, s) for s in shares}
        rows.append(row)
    return pd.DataFrame(rows)


def joint_kinds(table: pd.DataFrame) -> dict[str, str]:
    """joint_table's column kinds: cost in money, the chances as shares."""
    return {c: "money" if c == "cost" else "share" for c in table.columns if c != "measure"}


def _short(covered: int, count: int) -> str:
    verdict = judge(covered, count)
    return "optimistic" if "optimistic" in verdict else "cautious" if "cautious" in verdict else "in line with 80%"


def factor(x) -> str:
    """An uplift on P50: "1.18", or "1.004" when two decimals would show a small uplift as none."""
    if fmt.is_missing(x):
        return fmt.MISSING
    return f"{x:.2f}" if abs(x - 1) >= 0.05 else f"{x:.3f}"


def calibration(summary: pd.DataFrame) -> Finding:
    """How often the P80 made N months before each closed project's finish covered its outcome, per
    horizon, with the verdict and the uplift the history implies; or why nothing could be checked."""
    known = summary.dropna(subset=["cost_coverage"])
    if summary.empty:
        return Finding("No horizon to check the forecasts against history.")
    if known.empty:
        return Finding(f"No forecast can be checked against history yet: {summary.iloc[0]['reason']}.")
    cost_parts = [f"{r.cost_covered} of {r.projects} ({fmt.percent(100 * r.cost_coverage, decimals=0)}) made "
                  f"{r.months_before} months before, {_short(r.cost_covered, r.projects)}" for r in known.itertuples()]
    finish_parts = [f"{r.finish_covered} of {r.projects} ({_short(r.finish_covered, r.projects)})"
                    for r in known.itertuples()]
    uplift = " and ".join(f"x {factor(r.uplift_cost)} ({r.months_before} months)" for r in known.itertuples())
    text = (f"Against the projects closed since, the cost P80 covered {'; '.join(cost_parts)}; the finish P80 "
            f"covered {' and '.join(finish_parts)}. For an 80% chance the history asks P50 {uplift}")
    missing = summary[summary["cost_coverage"].isna()]
    text += "".join(f"; {r.months_before} months before: {r.reason}" for r in missing.itertuples())
    return Finding(text + ".")


def calibration_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per horizon: closed projects checked, the cost and finish P80s' coverage and verdicts,
    the uplifts on P50 and the months to add (pass kinds=CALIBRATION_KINDS)."""
    def verdict(covered, count, coverage):
        return "too few to judge" if fmt.is_missing(coverage) else _short(int(covered), int(count))

    s = summary
    return pd.DataFrame({
        "months_before": s["months_before"], "projects": s["projects"],
        "cost_covered": s["cost_covered"], "cost_coverage": s["cost_coverage"],
        "cost_forecasts": [verdict(k, n, c) for k, n, c in zip(s["cost_covered"], s["projects"], s["cost_coverage"])],
        "p50_uplift_for_cost": [factor(x) for x in s["uplift_cost"]],
        "finish_covered": s["finish_covered"], "finish_coverage": s["finish_coverage"],
        "finish_forecasts": [verdict(k, n, c) for k, n, c in
                             zip(s["finish_covered"], s["projects"], s["finish_coverage"])],
        "p50_uplift_for_duration": [factor(x) for x in s["uplift_finish_months"]],
        "months_to_add": s["slip_months_p80"]})


def _thousands(x) -> str:
    return fmt.MISSING if fmt.is_missing(x) else f"{round(float(x), -3):,.0f}"


def key_numbers(as_of, page: PageForecast, summary: pd.DataFrame) -> str:
    """The checked cell's lines: P50 / P80 / P90 to the thousand, the chance within budget, the top 3
    drivers and the calibration's coverage (seeded, so the same on every run)."""
    lines = [f"snapshot: {as_of:%Y-%m}"]
    if not page.shown:
        lines.append(f"nothing to forecast: {page.why}")
    else:
        p = page.portfolio.iloc[0]
        lines += [
            f"projects forecast: {int(p['projects'])}, open risks with a cost: {int(p['risks'])}",
            f"cost P50 / P80 / P90: {_thousands(p['cost_p50'])} / {_thousands(p['cost_p80'])} / "
            f"{_thousands(p['cost_p90'])}",
            f"budget (BAC): {_thousands(p['bac'])}, point forecast (EAC): {_thousands(p['eac'])}",
            f"chance within budget: {fmt.percent(100 * p['prob_within_budget'], decimals=2)}",
            "top drivers: " + (", ".join(f"{r.driver} {fmt.percent(100 * r.contribution)}"
                                         for r in page.tornado.head(NAMED).itertuples()) or "none")]
    for what in ("cost", "finish"):
        covered = ", ".join(f"{r.months_before} months before {getattr(r, what + '_covered')} of {r.projects}"
                            if not fmt.is_missing(r.cost_coverage) else f"{r.months_before} months before too few"
                            for r in summary.itertuples())
        lines.append(f"calibration, {what} P80 covered: {covered or 'no horizon'}")
    return "\n".join(lines)
