"""`pmo forecast`: a snapshot's risk-adjusted forecast (issue 16). The portfolio's P50/P80/P90 cost
against its budget and point forecast, the chance of meeting the budget, the contingency to hold, the
share of projects finishing by their baseline, the drivers of the spread and what the reader should
know. Computed and saved (reports.cycle.publish_forecast), or, with --show, the saved one printed
without simulating again."""
from __future__ import annotations

import functools
import sys

from pmo_analytics.exceptions import UsageError

TOP_DRIVERS = 5
DRAWS_HELP = "10,000"  # reports.cycle.FORECAST_DRAWS, not imported: `pmo --help` starts without NumPy


def _print(text: str = "") -> None:
    print(text, flush=True)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def header(month, projects: int, risks: int, draws: int, seed: int, rho: float, method: str) -> str:
    return (f"risk-adjusted forecast of {month:%Y-%m}: {projects} projects, {risks} open risks with a cost; "
            f"{draws:,} draws (seed {seed}, rho {rho:.2f}, {method})")


def portfolio_lines(portfolio, projects, currency: str | None) -> list[str]:
    """The portfolio's numbers, as `pmo forecast` and `pmo forecast --show` both print them:
    `portfolio` one row (Simulation.portfolio or the saved one), `projects` the per-project frame."""
    from pmo_analytics.present import format as fmt
    from pmo_analytics.present.format import chance

    p = portfolio.iloc[0]
    money = functools.partial(fmt.money, currency=currency)
    likely = int((projects["prob_by_baseline"] > 0.5).sum())
    return [
        f"cost at completion: P50 {money(p['cost_p50'])}, P80 {money(p['cost_p80'])}, P90 {money(p['cost_p90'])}",
        f"  against the budget (BAC) {money(p['bac'])} and the point forecast (EAC) {money(p['eac'])}",
        f"chance of finishing within the budget: {chance(p['prob_within_budget'])}",
        f"contingency recommended (P80 - EAC): {money(p['contingency_p80'])}",
        f"projects finishing by their baseline: {chance(p['share_by_baseline_mean'])} expected, "
        f"{chance(p['share_by_baseline_p80'])} or more in 80% of draws; {likely} of {len(projects)} "
        "more likely than not",
    ]


def driver_lines(tornado, currency: str | None, top: int = TOP_DRIVERS) -> list[str]:
    """The largest drivers of the total's spread (the tornado), one line each."""
    from pmo_analytics.present import format as fmt

    if tornado.empty:
        return ["drivers: none (no project's cost varies and no risk has a cost)"]
    lines = ["top drivers of the spread (share of the total's variance; of P80 - P50):"]
    for row in tornado.head(top).itertuples():
        lines.append(f"  {row.driver:<18} {row.kind:<8} {fmt.percent(100 * row.contribution):>6}  "
                     f"{fmt.money(row.amount, currency)}")
    return lines


def left_out_line(inputs) -> str | None:
    """One line on the projects to finish that cannot be forecast and why (None when there are none)."""
    left = inputs.left_out
    if left.empty:
        return None
    counts = left["reason"].value_counts(sort=True)
    reasons = "; ".join(f"{reason} ({count})" for reason, count in counts.items())
    return f"cannot forecast {len(left)} of {len(left) + inputs.projects} projects to finish: {reasons}"


def cmd_forecast(args) -> int:
    if args.show:
        return _show(args)
    from pmo_analytics.reports.cycle import publish_forecast
    from pmo_analytics.settings import db_path

    given = {name: getattr(args, name) for name in ("draws", "seed", "rho") if getattr(args, name) is not None}
    run = publish_forecast(args.month, args.db, progress=_progress, **given)
    left = left_out_line(run.inputs)
    if run.simulation is None:
        _print(f"nothing to forecast in {run.as_of:%Y-%m}: " + (left.strip() if left else
               "no project is planned, active or on hold"))
        return 0
    sim, inputs = run.simulation, run.inputs
    _print(header(run.as_of, inputs.projects, inputs.risks, sim.draws, sim.seed, sim.rho, sim.method))
    for line in portfolio_lines(sim.portfolio, sim.projects, run.currency) + driver_lines(sim.tornado, run.currency):
        _print(line)
    notes = [f"prior: {inputs.prior_source}", *sim.notes]
    unstarted = int(((inputs.ac == 0) & (inputs.ev == 0)).sum())
    if unstarted:
        notes.append(f"{unstarted} of {inputs.projects} projects have reported neither cost nor progress: their "
                     "forecast is their budget spread by the prior")
    if inputs.risks_unassessed:
        notes.append(f"{inputs.risks_unassessed} open risks have no probability (not assessed): they add nothing")
    notes += [left] if left else []
    _print("notes:")
    for note in notes:
        _print(f"  {note}")
    _print(f"saved in {db_path(args.db)} in {run.seconds:.1f} s (pmo forecast --show prints it again)")
    return 0


def _show(args) -> int:
    from pmo_analytics.metrics.forecast_store import latest_forecast
    from pmo_analytics.metrics.options import snapshot_currency
    from pmo_analytics.store import connection, loads

    if args.draws is not None or args.seed is not None or args.rho is not None:
        raise UsageError("pmo forecast --show prints the saved forecast; --draws, --seed and --rho apply only "
                         "when computing one (pmo forecast without --show)")
    with connection.connect(args.db) as con:
        month = args.month or loads.latest(con)
        if month is None:
            _print("no snapshot is loaded: nothing has been forecast (pmo load, then pmo forecast)")
            return 0
        saved = latest_forecast(con, month)
        currency = snapshot_currency(con, month)
    if saved is None:
        _print(f"no forecast is saved for {month:%Y-%m} (pmo forecast --month {month:%Y-%m} computes one)")
        return 0
    _print_saved(saved, month, currency)
    return 0


def _print_saved(saved: dict, month, currency: str | None) -> None:
    run, projects, portfolio = saved["run"].iloc[0], saved["projects"], saved["portfolio"]
    _print(header(month, int(run["projects"]), int(portfolio["risks"].iloc[0]), int(run["draws"]),
                  int(run["seed"]), float(run["rho"]), run["method"]))
    _print(f"computed {run['computed_at']:%Y-%m-%d %H:%M}")
    if run["stale"]:
        _print(f"stale: {month:%Y-%m} was loaded again at {run['loaded_at']:%Y-%m-%d %H:%M}, after this forecast "
               f"(pmo forecast --month {month:%Y-%m} computes it again)")
    for line in portfolio_lines(portfolio, projects, currency) + driver_lines(saved["drivers"], currency):
        _print(line)
    _print("notes:")
    _print(f"  prior: {run['prior_source']}")
    for column, label in (("prior_cost", "cost (CPI)"), ("prior_schedule", "schedule (SPI(t))")):
        young = int(projects[column].fillna(False).astype(bool).sum())
        if young:
            _print(f"  {young} of {len(projects)} projects have fewer than 3 periods of {label} history: "
                   "their spread is the portfolio prior's")


def add_commands(sub, with_db, month) -> None:
    """`pmo forecast` under the main parser's subcommands."""
    p = with_db(sub.add_parser("forecast", help="the snapshot's risk-adjusted forecast: P50/P80/P90 cost and "
                                                "finish, the chance of meeting budget and baseline, the "
                                                "contingency; computed and saved, or --show the saved one"))
    p.add_argument("--month", type=month, metavar="YYYY-MM", help="the snapshot, YYYY-MM (default: the latest)")
    p.add_argument("--draws", type=int, metavar="N", help=f"Monte Carlo draws (default: {DRAWS_HELP})")
    p.add_argument("--seed", type=int, metavar="S", help="random seed: the same seed gives the same numbers (default: a "
                                            "fixed one)")
    p.add_argument("--rho", type=float, metavar="R", help="correlation between projects' cost (and schedule) performance, "
                                             "0 to 1 (default: 0.3)")
    p.add_argument("--show", action="store_true", help="print the saved forecast without computing it")
    p.set_defaults(func=cmd_forecast)
