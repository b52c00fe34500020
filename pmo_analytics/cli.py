"""The `pmo` command: sample, demo, check, load, snapshots, month, report, export, import, refresh,
serve, scenario (cli_scenarios.py), forecast (cli_forecast.py), profiles, contract.

Exit codes: 0 ok, 1 invalid input (nothing written), 2 usage error. Errors are one-line messages on
stderr, never tracebacks.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from pmo_analytics import settings
from pmo_analytics.cli_forecast import add_commands as add_forecast_commands
from pmo_analytics.cli_scenarios import add_commands as add_scenario_commands
from pmo_analytics.exceptions import InputError, PMOError, ValidationFailed
from pmo_analytics.periods import month_end
from pmo_analytics.settings import db_path

# Commands import what they need when they run: `pmo --help` and `pmo snapshots` start without pandas,
# matplotlib or the notebook stack (see the README's start-up figures).

PROFILE_HELP = ("how to read exports not in the workbench's own format: a shipped profile name "
                "(see `pmo profiles`) or a .toml file; picked from the columns when omitted")


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_sample(args) -> int:
    from pmo_analytics.demo.sample import write_sample

    start = time.perf_counter()
    written = write_sample(args.outdir, projects=args.projects, months=args.months, seed=args.seed,
                           end=args.end, history=args.history, progress=_err)
    folders = ", ".join(sorted({str(p) for _, p in written}))
    print(f"wrote {len(written)} snapshot(s) of {args.projects} projects to {folders} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_check(args) -> int:
    from pmo_analytics import snapshots

    report = snapshots.check(args.paths, progress=_err, profile=args.profile, as_of=args.as_of, database=args.db)
    print(report.summary())
    if report.schedules:
        from pmo_analytics.present.schedule_health import dcma_lines

        for file, health in report.schedules.items():
            print(f"\nDCMA-14 checks of {file} (project {health.project_id}):")
            print("\n".join(dcma_lines(health.result)))
    return 1 if report.errors else 0


def cmd_load(args) -> int:
    from pmo_analytics import snapshots

    unchanged = f"nothing was loaded; {db_path(args.db)} is unchanged"
    try:
        report = snapshots.load(args.paths, args.as_of, database=args.db, progress=_err, profile=args.profile)
    except ValidationFailed as exc:
        for p in exc.problems:
            _err(str(p))
        _err(f"{len(exc.problems) - sum(p.severity == 'warning' for p in exc.problems)} error(s): {unchanged}")
        return 1
    except InputError as exc:
        _err(f"error: {exc}")
        _err(unchanged)
        return 1
    for p in report.warnings:
        _err(str(p))
    counts = ", ".join(f"{c.rows:,} {t}" for t, c in report.checks.items())
    print(f"loaded {report.as_of:%Y-%m} into {report.db}: {counts}; "
          f"{len(report.warnings)} warning(s); quality {report.quality_score}/100")
    for file, health in report.schedules.items():
        print(health.line(file))
    return 0


def cmd_snapshots(args) -> int:
    from pmo_analytics.store import loads

    rows = loads.snapshot_rows(args.db)
    if not rows:
        print(f"no snapshots in {db_path(args.db)}")
        return 0
    shown = [c for c in loads.COLUMNS if c != "as_of"]
    cells = [[_cell(v) for c, v in zip(loads.COLUMNS, row) if c != "as_of"] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(shown)]
    for line in [shown, *cells]:  # text columns left, numbers right, as pandas printed them
        print("  ".join(v.ljust(w) if i in (0, len(shown) - 1) else v.rjust(w)
                        for i, (v, w) in enumerate(zip(line, widths))).rstrip())
    return 0


def _cell(value) -> str:
    return "" if value is None else str(value)


def _report_done(result) -> None:
    print(f"report for {result.month:%Y-%m}: {result.folder / 'index.html'} ({len(result.notebooks)} notebooks"
          f"{', ' + str(len(result.skipped)) + ' skipped' if result.skipped else ''}) in {result.seconds:.0f} s")
    if result.pdf:
        print(f"board pack: {result.pdf} ({result.pdf_pages} pages)")


def cmd_month(args) -> int:
    from pmo_analytics.reports.cycle import run_month
    from pmo_analytics.reports.signals import Interrupted, stop_on_signals

    # Ctrl+C, SIGTERM, SIGHUP: the notebooks are stopped, the work folder removed, exit 128 + signal.
    with stop_on_signals():
        try:
            result = run_month(args.month, args.exports, database=args.db, out_dir=args.out, progress=_err,
                               profile=args.profile, pdf="never" if args.no_pdf else "if-possible")
        except ValidationFailed as exc:
            for p in exc.problems:
                _err(str(p))
            _err(f"the exports have errors: nothing was loaded and no report was written; "
                 f"{db_path(args.db)} and {args.out}/ are unchanged")
            return 1
        except Interrupted as exc:
            _err(str(exc))
            return 128 + exc.signum
    for p in result.load.warnings:
        _err(str(p))
    _report_done(result)
    return 0


def cmd_report(args) -> int:
    from pmo_analytics.reports.cycle import build_report
    from pmo_analytics.reports.signals import Interrupted, stop_on_signals

    with stop_on_signals():
        try:
            result = build_report(args.month, database=args.db, out_dir=args.out, progress=_err,
                                  pdf="always" if args.pdf else "never")
        except Interrupted as exc:
            _err(str(exc))
            return 128 + exc.signum
    _report_done(result)
    return 0


def cmd_export(args) -> int:
    from pmo_analytics.store.parquet import export_parquet

    rows = export_parquet(args.db, args.parquet, months=args.months, progress=_err)
    print(f"wrote {sum(rows.values()):,} rows of {len(rows)} tables to {args.parquet} (hive layout: "
          "TABLE/as_of=YYYY-MM-DD/*.parquet)")
    return 0


def cmd_import(args) -> int:
    from pmo_analytics.snapshots.lake_import import import_parquet

    months = import_parquet(args.parquet, args.db, progress=_err)
    print(f"imported {len(months)} snapshot(s) from {args.parquet} into {db_path(args.db)}")
    return 0


def cmd_refresh(args) -> int:
    from pmo_analytics import snapshots

    count = snapshots.refresh_summaries(args.db)
    print(f"recomputed the summaries of {count} snapshot(s) in {db_path(args.db)}")
    return 0


def cmd_serve(args) -> int:
    from pmo_analytics.serve.command import serve

    return serve(port=args.port, host=args.host, token=args.token, preheat=args.preheat, database=args.db,
                 max_kernels=args.max_kernels)


def cmd_profiles(args) -> int:
    from pmo_analytics.ingest import profiles

    for profile in profiles.shipped().values():
        print(f"{profile.name:<12} {profile.description}")
    return 0


def cmd_contract(args) -> int:
    from pmo_analytics import contract

    print(contract.markdown())
    return 0


def cmd_demo(args) -> int:
    from pmo_analytics import snapshots
    from pmo_analytics.demo.sample import write_sample
    from pmo_analytics.reports.cycle import forecast_line

    outdir = Path(args.outdir)
    _err(f"writing the sample portfolio ({args.projects} projects, {args.months} months) to {outdir}")
    written = write_sample(outdir, projects=args.projects, months=args.months, seed=args.seed,
                           history=True, progress=_err)
    for i, (as_of, folder) in enumerate(written, 1):
        _err(f"loading snapshot {i}/{len(written)}: {as_of:%Y-%m}")
        snapshots.load([folder], as_of, database=args.db)
    _err(f"computing the risk-adjusted forecast of {written[-1][0]:%Y-%m}")
    forecast = forecast_line(written[-1][0], args.db)
    forecast += "" if forecast.startswith("warning") else " (pmo forecast --show)"
    cmd_snapshots(args)
    print(f"\n{len(written)} snapshots loaded into {db_path(args.db)}.\n{forecast}\n"
          "Explore them in JupyterLab: .venv/bin/jupyter lab notebooks/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmo", description="PMO Workbench: load exports into monthly "
                                     "DuckDB snapshots and report on them.", epilog=settings.described(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _data_commands(sub)
    _cycle_commands(sub)
    _serve_command(sub)
    add_scenario_commands(sub, _with_db, _month)
    add_forecast_commands(sub, _with_db, _month)
    sub.add_parser("profiles", help="list the import profiles shipped with the workbench").set_defaults(
        func=cmd_profiles)
    sub.add_parser("contract", help="print the canonical tables (the data contract) as Markdown").set_defaults(
        func=cmd_contract)
    return parser


def _with_db(p):
    p.add_argument("--db", help=f"DuckDB file (default: ${settings.DB_PATH.env}, else {settings.DB_PATH.default})")
    return p


def _default(setting: settings.Setting) -> dict:
    """An option's default from a setting, shown in --help with the variable that changes it."""
    return {"default": setting.value(), "help": f"{setting.help} (default: %(default)s; ${setting.env})"}


def _data_commands(sub) -> None:
    p = sub.add_parser("sample", help="write a synthetic portfolio's exports (deterministic per seed)")
    p.add_argument("outdir")
    p.add_argument("--projects", type=int, **_default(settings.DEMO_PROJECTS))
    p.add_argument("--months", type=int, **_default(settings.DEMO_MONTHS))
    p.add_argument("--seed", type=int, **_default(settings.DEMO_SEED))
    p.add_argument("--end", default="2026-10", help="last snapshot month, YYYY-MM (default: %(default)s)")
    p.add_argument("--history", action="store_true",
                   help="write one folder per month (OUTDIR/YYYY-MM/) instead of the last month only")
    p.set_defaults(func=cmd_sample)

    p = _with_db(sub.add_parser("demo", help="write the sample, load every month, list the snapshots"))
    p.add_argument("--outdir", **_default(settings.SAMPLE_DIR))
    p.add_argument("--projects", type=int, **_default(settings.DEMO_PROJECTS))
    p.add_argument("--months", type=int, **_default(settings.DEMO_MONTHS))
    p.add_argument("--seed", type=int, **_default(settings.DEMO_SEED))
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", help="validate exports without loading; print a data-quality report")
    p.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders")
    p.add_argument("--profile", help=PROFILE_HELP)
    p.add_argument("--as-of", type=_month, help="snapshot month the files are for (default: none)")
    p.add_argument("--db", help="also compare with the snapshot before --as-of (else the latest) in this DuckDB "
                                "file, as `pmo load` does: history that breaks, restated actuals (default: none)")
    p.set_defaults(func=cmd_check)

    p = _with_db(sub.add_parser("load", help="validate and load one monthly snapshot atomically"))
    p.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders")
    p.add_argument("--as-of", required=True, type=_month, help="snapshot month, YYYY-MM")
    p.add_argument("--profile", help=PROFILE_HELP)
    p.set_defaults(func=cmd_load)

    _with_db(sub.add_parser("snapshots", help="list loaded snapshots with row counts and quality")).set_defaults(
        func=cmd_snapshots)
    p = _with_db(sub.add_parser("export", help="write every snapshot as Parquet (hive layout by table and as_of)"))
    p.add_argument("--parquet", required=True, metavar="DIR", help="folder to write")
    p.add_argument("--months", nargs="*", metavar="YYYY-MM", help="only these months (default: all)")
    p.set_defaults(func=cmd_export)
    p = _with_db(sub.add_parser("import", help="read snapshots back from a Parquet history folder"))
    p.add_argument("--parquet", required=True, metavar="DIR", help="folder written by pmo export")
    p.set_defaults(func=cmd_import)
    _with_db(sub.add_parser("refresh", help="recompute the per-snapshot summaries the metrics read (once, for a "
                                            "database written by an older version)")).set_defaults(func=cmd_refresh)


def _cycle_commands(sub) -> None:
    p = _with_db(sub.add_parser("month", help="the monthly cycle: check, load and report a month's exports"))
    p.add_argument("month", type=_month, help="snapshot month, YYYY-MM")
    p.add_argument("exports", metavar="EXPORTS_DIR", help="folder (or file) of the month's exports")
    p.add_argument("--out", **_default(settings.REPORTS_DIR))
    p.add_argument("--profile", help=PROFILE_HELP)
    p.add_argument("--no-pdf", action="store_true", help="do not print the PDF board pack (default: print it "
                                                          "when a Chromium is found)")
    p.set_defaults(func=cmd_month)

    p = _with_db(sub.add_parser("report", help="re-run the report notebooks of a loaded month as HTML"))
    p.add_argument("--month", required=True, type=_month, help="snapshot month, YYYY-MM")
    p.add_argument("--out", **_default(settings.REPORTS_DIR))
    p.add_argument("--pdf", action="store_true", help="also print the pack as one PDF, board-pack-YYYY-MM.pdf "
                                                      f"(headless Chromium: ${settings.CHROMIUM.env})")
    p.set_defaults(func=cmd_report)


def _serve_check(name: str):
    """serve.command's argument check `name`, imported when `pmo serve` is parsed (the socket and
    packaging imports it needs cost every other command's start-up ~15 ms)."""
    def check(value):
        from pmo_analytics.serve import command

        return getattr(command, name)(value)
    check.__name__ = name.replace("_", " ")  # argparse names the type in its error: 'invalid port number value'
    return check


def _serve_command(sub) -> None:
    port_number, kernel_count = _serve_check("port_number"), _serve_check("kernel_count")
    p = _with_db(sub.add_parser("serve", help="serve the directors' dashboards (Voila) on 127.0.0.1"))
    p.add_argument("--port", type=port_number, default=None,
                   help=f"port, 1-65535 (default: {settings.SERVE_PORT.default}; ${settings.SERVE_PORT.env})")
    p.add_argument("--host", default=None, help=f"address to listen on (default: {settings.SERVE_HOST.default}; "
                                                f"${settings.SERVE_HOST.env})")
    p.add_argument("--token", default=None, help="require this token in the URL (default: none, local only)")
    p.add_argument("--preheat", action="store_true", help="keep kernels warm so dashboards open faster")
    p.add_argument("--max-kernels", type=kernel_count, default=None, metavar="N",
                   help=f"{settings.SERVE_MAX_KERNELS.help} (default: {settings.SERVE_MAX_KERNELS.default}; "
                        f"${settings.SERVE_MAX_KERNELS.env})")
    p.set_defaults(func=cmd_serve)


def _month(value: str):
    try:
        return month_end(value)
    except PMOError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, `kill`), handled as Ctrl+C is: clean up, then exit 143."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except PMOError as exc:  # a setting's environment variable that does not convert
        _err(f"error: {exc}")
        return exc.exit_code
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() else None
    try:
        code = args.func(args)
        sys.stdout.flush()  # here, so a reader that went away is handled below, not at exit
        return code
    except PMOError as exc:
        _err(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt as exc:
        _err("interrupted; nothing was published")
        return 143 if isinstance(exc, Terminated) else 130
    except BrokenPipeError:
        # `pmo contract | head`: the reader has gone; say nothing more (stdout is closed) and exit quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug must still be one line, with the way to see more
        if os.environ.get("PMO_DEBUG"):
            raise
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        _err(f"error: unexpected {type(exc).__name__}: {first} (set PMO_DEBUG=1 to see where; please report it)")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
