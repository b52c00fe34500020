"""`pmo scenario`: what-if scenarios on a snapshot (new, list, show, compare, export, import, replay)
and the portfolio optimiser's suggestion (optimise). Saved scenarios live in the workbench database
and as TOML files; applying one never touches a snapshot."""
from __future__ import annotations

import functools
import sys

from pmo_analytics.exceptions import UsageError

# Each --option of `pmo scenario new` and the change it makes: (kind, fields its value gives).
CHANGE_OPTIONS = {
    "exclude": ("exclude", "PROJECT", "stop a project at the snapshot date (repeatable)"),
    "include": ("include", "PROJECT", "bring back an on-hold or cancelled project (repeatable)"),
    "defer": ("defer", "PROJECT:MONTHS", "move a project's future by MONTHS (negative brings it forward)"),
    "cut": ("cut", "PROJECT:PERCENT", "cut a project's future budget and hours by PERCENT (scope cut)"),
    "hire": ("hire", "ROLE[:PEOPLE[:HOURS]]", "add PEOPLE (default 1) in ROLE at HOURS a week (default: "
                                              "the role's usual week)"),
}


def _print(text: str) -> None:
    print(text, flush=True)


def _tagged(kind: str, value: str) -> tuple[str, str]:
    return kind, value


def _split(kind: str, value: str) -> dict:
    """The fields of one --option value ('PRJ-1:3' for defer); a UsageError naming the option."""
    parts = value.rsplit(":", 2) if kind == "hire" else value.rsplit(":", 1)
    try:
        if kind in ("exclude", "include"):
            return {"project_id": value}
        if kind == "defer":
            return {"project_id": parts[0], "months": int(parts[1])}
        if kind == "cut":
            return {"project_id": parts[0], "percent": float(parts[1])}
        hire = {"role": parts[0]}
        if len(parts) > 1:
            hire["people"] = int(parts[1])
        if len(parts) > 2:
            hire["weekly_hours"] = float(parts[2])
        return hire
    except (IndexError, ValueError):
        raise UsageError(f"--{kind} {value!r}: expected {CHANGE_OPTIONS[kind][1]}") from None


def _changes(args) -> list:
    from pmo_analytics.scenarios import Change

    return [Change(kind=kind, who=args.author, why=args.why, **_split(kind, value))
            for kind, value in args.changes or []]


def cmd_new(args) -> int:
    from pmo_analytics.scenarios import Scenario, library
    from pmo_analytics.store import connection, loads

    with connection.connect(args.db) as con:
        as_of = args.month or loads.latest(con)
    scenario = Scenario(name=args.name, as_of=as_of, changes=tuple(_changes(args)), author=args.author,
                        description=args.description or "", budget_limit=args.budget_limit)
    _check_applies(args.db, scenario)
    saved = library.save(scenario, args.db)
    _print(f"saved scenario '{saved.name}' version {saved.version} on snapshot {saved.as_of:%Y-%m} "
           f"({len(saved.changes)} change(s))")
    if args.out:
        _print(f"wrote {library.write_file(saved, args.out)}")
    return 0


def _check_applies(database, scenario) -> None:
    """Applies the scenario once before it is saved, so a change that cannot apply is refused now."""
    from pmo_analytics.scenarios import view
    from pmo_analytics.store import connection

    with connection.connect(database) as con, view(con, scenario):
        pass


def cmd_list(args) -> int:
    from pmo_analytics.scenarios import library

    rows = library.listing(args.db)
    if not rows:
        _print("no scenario saved yet (pmo scenario new NAME, or pmo scenario import FILE.toml)")
        return 0
    _print(f"{'name':24} {'version':>7}  snapshot  changes  saved              author")
    for r in rows:
        stale = f"  stale: {r['stale']:%Y-%m} is loaded (pmo scenario replay {r['name']})" if r["stale"] else ""
        _print(f"{r['name']:24} {r['version']:>7}  {r['as_of']:%Y-%m}   {r['changes']:>7}  "
               f"{r['saved_at']:%Y-%m-%d %H:%M}   {r['author'] or ''}{stale}")
    return 0


def _compare(args, names: list[str]) -> int:
    from pmo_analytics.metrics import options
    from pmo_analytics.metrics.scenario_compare import compare
    from pmo_analytics.present.scenarios import comparison_text
    from pmo_analytics.scenarios import library, stale
    from pmo_analytics.store import connection

    chosen = [library.get(n, getattr(args, "version", None), args.db) for n in names]
    with connection.connect(args.db) as con:
        for s in chosen:
            newer = stale(con, s)
            if newer:
                _print(f"note: scenario '{s.name}' is built on {s.as_of:%Y-%m}; {newer:%Y-%m} is loaded "
                       f"(pmo scenario replay {s.name} re-applies it there)")
        frames = compare(con, chosen, by=args.by, budget_limit=args.budget_limit, with_forecast=True)
        currency = options.snapshot_currency(con, chosen[0].as_of)
    _print(f"Snapshot {chosen[0].as_of:%Y-%m}, months after it; load by {args.by}.\n")
    _print(comparison_text(frames, currency))
    return 0


def cmd_show(args) -> int:
    return _compare(args, [args.name])


def cmd_compare(args) -> int:
    return _compare(args, args.names)


def cmd_export(args) -> int:
    from pmo_analytics.scenarios import library, to_toml

    scenario = library.get(args.name, args.version, args.db)
    if args.out:
        _print(f"wrote {library.write_file(scenario, args.out)}")
    else:
        sys.stdout.write(to_toml(scenario))
    return 0


def cmd_import(args) -> int:
    from pmo_analytics.scenarios import library

    scenario = library.read_file(args.file)
    _check_applies(args.db, scenario)
    saved = library.save(scenario, args.db)
    _print(f"saved scenario '{saved.name}' version {saved.version} on snapshot {saved.as_of:%Y-%m} "
           f"({len(saved.changes)} change(s)) from {args.file}")
    return 0


def cmd_replay(args) -> int:
    from pmo_analytics.scenarios import library, replay
    from pmo_analytics.store import connection

    scenario = library.get(args.name, None, args.db)
    with connection.connect(args.db) as con:
        moved, dropped = replay(con, scenario, args.month)
    for line in dropped:
        _print(f"left out: {line}")
    saved = library.save(moved, args.db)
    _print(f"saved scenario '{saved.name}' version {saved.version} on snapshot {saved.as_of:%Y-%m} "
           f"({len(saved.changes)} of {len(scenario.changes)} change(s) still apply)")
    return 0


def cmd_optimise(args) -> int:
    from pmo_analytics.metrics import arbitration
    from pmo_analytics.metrics.optimiser import greedy, optimise
    from pmo_analytics.scenarios import Change, Scenario, describe, library
    from pmo_analytics.store import connection

    with connection.connect(args.db) as con:
        given = arbitration.read_candidates(args.candidates, con, args.month) if args.candidates else None
        problem = arbitration.problem(con, as_of=args.month, budget_limit=args.budget_limit, candidates=given,
                                      shift_window=args.shift, capacity_by=("role", "team"))
    result = optimise(problem, time_limit=args.time_limit)
    naive = greedy(problem)
    _print(f"snapshot {problem.as_of:%Y-%m}: {len(problem.candidates)} candidate projects, {problem.months} months")
    _print(f"optimiser: {result.status}, gap {_gap(result.gap)}, {result.seconds:.1f} s; {result.message}".rstrip("; "))
    if not result.feasible:
        return 1
    _print(f"value kept {result.total_value:,.1f} of {problem.candidates['value'].sum():,.1f} "
           f"(ranking by value/cost keeps {naive.total_value:,.1f})")
    changes = [Change(**c) for c in arbitration.suggestion(result, problem)]
    _print(f"{len(changes)} change(s) to the current plan:" if changes else "the current plan already fits")
    for c in changes:
        _print(f"  {describe(c)}: {c.why}")
    if args.save:
        suggestion = Scenario(name=args.save, as_of=problem.as_of, changes=tuple(changes), author=args.author
                              or "optimiser", description="the optimiser's suggestion", budget_limit=args.budget_limit)
        _check_applies(args.db, suggestion)
        saved = library.save(suggestion, args.db)
        _print(f"saved scenario '{saved.name}' version {saved.version} (pmo scenario show {saved.name})")
    return 0


def _gap(gap) -> str:
    return "unknown" if gap is None else f"{100 * gap:.2f}%"


def add_commands(sub, with_db, month) -> None:
    """`pmo scenario ...` under the main parser's subcommands."""
    top = sub.add_parser("scenario", help="what-if scenarios on a snapshot and the optimiser's suggestion")
    cmds = top.add_subparsers(dest="scenario_command", required=True, metavar="ACTION")
    p = with_db(cmds.add_parser("new", help="save a scenario made of the changes given as options"))
    p.add_argument("name", help="letters, digits, - and _ (it names the TOML file)")
    p.add_argument("--month", type=month, help="the snapshot it is built on, YYYY-MM (default: the latest)")
    for option, (kind, metavar, text) in CHANGE_OPTIONS.items():  # kept in the order given
        p.add_argument(f"--{option}", action="append", dest="changes", metavar=metavar, help=text,
                       type=functools.partial(_tagged, kind))
    p.add_argument("--author", help="who proposes it (recorded with every change)")
    p.add_argument("--why", help="why (recorded with every change)")
    p.add_argument("--description", help="one line on what the scenario is for")
    p.add_argument("--budget-limit", type=float, help="money per month the plan must fit in (default: the "
                                                      "snapshot's approved budget of each month)")
    p.add_argument("--out", help="also write the scenario as a TOML file")
    p.set_defaults(func=cmd_new)
    with_db(cmds.add_parser("list", help="every saved scenario and version, and which are stale")).set_defaults(
        func=cmd_list)
    _compare_commands(cmds, with_db)
    p = with_db(cmds.add_parser("export", help="print (or write) a saved scenario as TOML"))
    p.add_argument("name")
    p.add_argument("--version", type=int)
    p.add_argument("--out", help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)
    p = with_db(cmds.add_parser("import", help="check a scenario TOML file against its snapshot and save it"))
    p.add_argument("file")
    p.set_defaults(func=cmd_import)
    p = with_db(cmds.add_parser("replay", help="re-apply a stale scenario onto a newer snapshot (a new version)"))
    p.add_argument("name")
    p.add_argument("--month", type=month, help="the snapshot to replay onto (default: the latest)")
    p.set_defaults(func=cmd_replay)
    _optimise_command(cmds, with_db, month)


def _optimise_command(cmds, with_db, month) -> None:
    p = with_db(cmds.add_parser("optimise", help="the set (and start shifts) of most value that fits the budget "
                                                 "limit and every role's and team's hours a month, with each "
                                                 "change's reason"))
    p.add_argument("--month", type=month, help="the snapshot (default: the latest)")
    p.add_argument("--budget-limit", type=float, help="money per month (default: the approved budget of each month)")
    p.add_argument("--shift", type=int, default=0, metavar="K", help="let projects start up to K months earlier "
                                                                     "or later (default: %(default)s)")
    p.add_argument("--candidates", metavar="CSV", help="values, must, must_not, shift windows, exclusive groups and "
                                                      "dependencies (default: projects.value_score)")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default: %(default)s)")
    p.add_argument("--save", metavar="NAME", help="save the suggestion as a scenario")
    p.add_argument("--author", help="who asked (recorded with the saved scenario)")
    p.set_defaults(func=cmd_optimise)


def _compare_commands(cmds, with_db) -> None:
    for name, help_text, func in (("show", "a scenario against its baseline", cmd_show),
                                  ("compare", "the baseline and several scenarios side by side", cmd_compare)):
        p = with_db(cmds.add_parser(name, help=help_text))
        if name == "show":
            p.add_argument("name")
            p.add_argument("--version", type=int)
        else:
            p.add_argument("names", nargs="+", metavar="NAME")
        p.add_argument("--by", choices=("team", "role"), default="team", help="load by (default: %(default)s)")
        p.add_argument("--budget-limit", type=float, help="money per month (default: each scenario's own, else "
                                                          "the approved budget of the month)")
        p.set_defaults(func=func)

