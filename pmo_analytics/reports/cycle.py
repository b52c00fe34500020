"""The monthly cycle: load a month's exports, re-run the report notebooks, publish the HTML pack.

`run_month` (`pmo month YYYY-MM EXPORTS_DIR`) checks the folder, publishes it as that month's
snapshot (snapshots.load: atomic, other months untouched), then builds the pack; `build_report`
(`pmo report --month YYYY-MM`) builds it for a month already loaded. Either says what it does one
numbered step at a time ("[3/9] running 04_risks ..."). The pack is rendered beside
`reports/YYYY-MM` and swapped in only when every notebook ran, so a failure leaves the month's
previous pack as it was. With `pdf`, the pack is also printed as one PDF (reports.pdf), sealed in
the manifest with the pages: "always" fails before any notebook runs when no browser can print it,
"if-possible" (`pmo month`) says why there is none and publishes the HTML pack.
`run_month` also saves the month's risk-adjusted forecast before the notebooks run (publish_forecast,
which `pmo forecast` and `pmo demo` use too); a forecast that fails is one warning line, not a lost pack.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pmo_analytics import packaged
from pmo_analytics.exceptions import InputError, PMOError, UsageError, ValidationFailed
from pmo_analytics.metrics.forecast_engine import simulate
from pmo_analytics.metrics.forecast_inputs import SnapshotInputs, forecast_inputs
from pmo_analytics.metrics.forecast_model import Simulation
from pmo_analytics.metrics.options import snapshot_currency
from pmo_analytics.periods import month_end
from pmo_analytics.present import format as fmt
from pmo_analytics.reports import index, pack, pdf as printing, render, runner
from pmo_analytics.reports.signals import Interrupted, deferred, stop_on_signals
from pmo_analytics.settings import REPORT_NOTEBOOKS, REPORTS_DIR, db_path
from pmo_analytics.snapshots import loading as snapshots
from pmo_analytics.store import connection, forecasts, loads

# The CLI runs `pmo month` and `pmo report` under stop_on_signals and reports Interrupted.
__all__ = ["Forecast", "Interrupted", "MonthNotLoaded", "MonthReport", "PackWriteFailed", "build_report",
           "forecast_line", "publish_forecast", "report_notebooks", "run_month", "stop_on_signals"]

# Notebooks that compare with the previous snapshot: skipped (and said so) for the first month loaded.
NEEDS_PREVIOUS = frozenset({"07_month_over_month"})

Progress = Callable[[str], object] | None
PDF_CHOICES = ("never", "if-possible", "always")
FORECAST_DRAWS = 10_000


class MonthNotLoaded(PMOError):
    """`pmo report` for a month that has no snapshot in the database."""


class PackWriteFailed(PMOError):
    """Writing the pack failed (a full disk, a file size limit, permissions); nothing was published."""


@dataclass
class MonthReport:
    """What build_report / run_month produced."""

    month: dt.date
    folder: Path
    database: Path
    notebooks: list[str] = field(default_factory=list)       # rendered, in pack order
    skipped: dict[str, str] = field(default_factory=dict)    # notebook -> why it was not run
    headline: dict = field(default_factory=dict)             # the numbers on index.html
    figures: dict[str, int] = field(default_factory=dict)    # notebook -> <img> count in its HTML
    seconds: float = 0.0
    load: snapshots.Report | None = None                     # run_month: the load's report
    pdf: Path | None = None                                  # the board pack, when printed
    pdf_pages: int = 0


# ---------------------------------------------------------------------------------------------
# the two entry points

def run_month(month, exports_dir, database=None, out_dir=None, progress: Progress = None,
              profile: str | None = None, notebooks: Iterable | None = None, jobs: int | None = None,
              pdf: str = "never") -> MonthReport:
    """Checks `exports_dir`, publishes it as the snapshot of `month`, then builds that month's report.

    Raises ValidationFailed (database and reports untouched) when the exports have errors, and
    ReportFailed (the snapshot is loaded; the month's previous report stays in place) when a notebook
    fails. `notebooks` (paths or names in notebooks/) and `jobs` (notebooks run at once) as in
    build_report.
    """
    out_dir = str(REPORTS_DIR.value()) if out_dir is None else out_dir
    start = time.perf_counter()
    as_of = month_end(month)
    _check_pdf(pdf)
    exports = Path(exports_dir)
    if not exports.exists():
        raise InputError(f"{exports}: no such file or folder")
    books = _resolve_notebooks(notebooks)
    pack.preflight(out_dir, f"{as_of:%Y-%m}", exports)
    steps = _Steps(progress, 3 + len(books) + (pdf != "never"))
    _check(exports, as_of, profile, steps)
    steps(f"loading {exports} as the snapshot of {as_of:%Y-%m}")
    loaded = snapshots.load([exports], as_of, database=database, profile=profile)
    steps.note(f"published {as_of:%Y-%m} to {db_path(database)} (quality {loaded.quality_score}/100)")
    steps.note(forecast_line(as_of, database))
    try:
        result = _build(as_of, database, out_dir, books, steps, jobs, pdf)
    except Interrupted as exc:
        if exc.detail == "nothing was published":
            exc.detail = (f"the {as_of:%Y-%m} snapshot was loaded but no report was published "
                          f"({Path(out_dir) / f'{as_of:%Y-%m}'} is as it was)")
        raise
    result.load = loaded
    result.seconds = time.perf_counter() - start
    _warn_later_reports(as_of, Path(out_dir), steps)
    return result


def build_report(month, database=None, out_dir=None, progress: Progress = None,
                 notebooks: Iterable | None = None, jobs: int | None = None, pdf: str = "never") -> MonthReport:
    """Re-runs the report notebooks for a loaded month and publishes `out_dir/YYYY-MM/` atomically.

    `notebooks`: the notebooks to run (paths, or names of notebooks in notebooks/; default
    REPORT_NOTEBOOKS). `jobs`: how many run at once (default: one per CPU, at most one per notebook).
    `pdf`: one of PDF_CHOICES (see the module's docstring).
    Raises MonthNotLoaded when the month has no snapshot, ReportFailed when a notebook fails.
    """
    out_dir = str(REPORTS_DIR.value()) if out_dir is None else out_dir
    start = time.perf_counter()
    as_of = month_end(month)
    _check_pdf(pdf)
    books = _resolve_notebooks(notebooks)
    pack.preflight(out_dir, f"{as_of:%Y-%m}")
    steps = _Steps(progress, 1 + len(books) + (pdf != "never"))
    result = _build(as_of, database, out_dir, books, steps, jobs, pdf)
    result.seconds = time.perf_counter() - start
    return result


class _Steps:
    """Numbered progress lines: "[3/9] running 04_risks ..."; thread-safe."""

    def __init__(self, progress: Progress, total: int):
        self.progress, self.total, self.done, self.lock = progress, total, 0, threading.Lock()

    def __call__(self, message: str) -> None:
        with self.lock:
            self.done += 1
            if self.progress:
                self.progress(f"[{self.done}/{self.total}] {message}")

    def note(self, message: str) -> None:
        if self.progress:
            with self.lock:
                self.progress(f"      {message}")


def _check_pdf(pdf: str) -> None:
    """A UsageError for an unknown choice; PDFUnavailable, before anything runs, when the PDF must be
    printed and this machine cannot."""
    if pdf not in PDF_CHOICES:
        raise UsageError(f"pdf={pdf!r}: expected one of {', '.join(PDF_CHOICES)}")
    if pdf == "always" and (why := printing.unavailable()):
        raise printing.PDFUnavailable(f"cannot print the PDF board pack: {why}; nothing was run")


def _check(exports: Path, as_of: dt.date, profile: str | None, steps: _Steps) -> None:
    """Checks the exports as the snapshot of `as_of`; ValidationFailed when they have errors."""
    steps(f"checking {exports}")
    checked = snapshots.check([exports], profile=profile, as_of=as_of)
    if checked.errors:
        raise ValidationFailed(checked.problems)
    rows = sum(c.rows for c in checked.checks.values())
    steps.note(f"{len(checked.checks)} file(s), {rows:,} rows, {len(checked.warnings)} warning(s), "
               f"quality {checked.quality_score}/100")
    for problem in checked.warnings[:10]:
        steps.note(str(problem))
    if len(checked.warnings) > 10:
        steps.note(f"... and {len(checked.warnings) - 10} more warning(s) (pmo check {exports})")


def report_notebooks() -> list[str]:
    """The notebooks of the pack, in order ($PMO_REPORT_NOTEBOOKS, else 02 to 07 and 09: 01 loads exports and
    the dashboards are served, not reported)."""
    return [item.strip() for item in str(REPORT_NOTEBOOKS.value()).split(",") if item.strip()]


def _resolve_notebooks(notebooks) -> list[Path]:
    """The notebook files to run (names in notebooks/ or paths); UsageError for a missing or repeated one."""
    books = []
    for item in (report_notebooks() if notebooks is None else notebooks):
        path = Path(item)
        if path.suffix != ".ipynb" and not path.is_absolute() and len(path.parts) == 1:
            path = packaged.NOTEBOOKS / f"{path.name}.ipynb"
        if not path.is_file():
            raise UsageError(f"{path}: no such notebook")
        books.append(path.resolve())
    if not books:
        raise UsageError("no report notebooks to run")
    if len({b.stem for b in books}) != len(books):
        raise UsageError("two report notebooks have the same name")
    return books


# ---------------------------------------------------------------------------------------------
# the month's risk-adjusted forecast

@dataclass
class Forecast:
    """What publish_forecast did: the snapshot's inputs, their simulation (None when no project can be
    forecast: nothing was saved), the currency of the money and the seconds it took."""

    as_of: dt.date
    inputs: SnapshotInputs
    simulation: Simulation | None
    currency: str | None
    seconds: float

    def line(self) -> str:
        """The forecast in one line of a progress display."""
        if self.simulation is None:
            left = len(self.inputs.left_out)
            return (f"nothing to forecast in {self.as_of:%Y-%m}: " + (f"{left} projects to finish left out "
                    "(pmo forecast says why)" if left else "no project is planned, active or on hold"))
        p = self.simulation.portfolio.iloc[0]
        money = functools.partial(fmt.money, currency=self.currency)
        return (f"risk-adjusted forecast of {self.as_of:%Y-%m}: P50 {money(p['cost_p50'])}, P80 "
                f"{money(p['cost_p80'])} against BAC {money(p['bac'])} ({self.inputs.projects} projects, "
                f"{self.simulation.draws:,} draws, {self.seconds:.1f} s)")


def publish_forecast(as_of=None, database=None, draws: int = FORECAST_DRAWS, seed: int | None = None,
                     rho: float | None = None, progress: Progress = None) -> Forecast:
    """Computes the risk-adjusted forecast of snapshot `as_of` (default the latest) and saves it in the
    database (store.forecasts: it replaces that snapshot's). seed and rho: the engine's when None."""
    start = time.perf_counter()
    say = progress or (lambda _: None)
    with connection.connect(database) as con:
        loaded = loads.months(con)
        snapshot = month_end(as_of) if as_of is not None else (loaded[-1] if loaded else None)
        if snapshot not in loaded:
            have = ", ".join(f"{d:%Y-%m}" for d in loaded) or "none"
            raise MonthNotLoaded(f"{'no snapshot' if snapshot is None else f'{snapshot:%Y-%m} is not'} loaded in "
                                 f"{db_path(database)} (loaded: {have}); nothing to forecast")
        say(f"reading the forecast inputs of {snapshot:%Y-%m}")
        inputs = forecast_inputs(con, as_of=snapshot)
        currency = snapshot_currency(con, snapshot)
    if inputs.projects == 0:
        return Forecast(snapshot, inputs, None, currency, time.perf_counter() - start)
    say(f"simulating {draws:,} draws of {inputs.projects} projects and {inputs.risks} open risks")
    chosen = {name: value for name, value in (("seed", seed), ("rho", rho)) if value is not None}
    simulation = simulate(inputs, draws=draws, **chosen)
    say(f"saving the forecast in {db_path(database)}")
    # computed_at to the microsecond: a load a moment before must not read as newer (stale)
    forecasts.save(database, snapshot, simulation,
                   meta={"prior_source": inputs.prior_source, "computed_at": dt.datetime.now()})
    return Forecast(snapshot, inputs, simulation, currency, time.perf_counter() - start)


def forecast_line(as_of, database) -> str:
    """publish_forecast's one line, or one warning line when it fails: the pack (or the demo) goes on
    without a forecast rather than not at all."""
    try:
        return publish_forecast(as_of, database).line()
    except Exception as exc:  # noqa: BLE001 - any failure of the forecast; a stop signal still stops
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        month = f"{month_end(as_of):%Y-%m}" if as_of is not None else "the latest snapshot"
        return f"warning: no risk-adjusted forecast of {month}: {first}"


# ---------------------------------------------------------------------------------------------
# building a pack

def _snapshot_info(database: Path, as_of: dt.date) -> tuple[list[dt.date], dict]:
    """The loaded months and this month's `loads` record; MonthNotLoaded when it has none."""
    with connection.connect(database) as con:
        loaded = loads.months(con)
        record = loads.record(con, as_of)
    if record is None:
        have = ", ".join(f"{d:%Y-%m}" for d in loaded) or "none"
        raise MonthNotLoaded(f"{as_of:%Y-%m} is not loaded in {database} (loaded: {have}); load it first "
                             f"with `pmo month {as_of:%Y-%m} EXPORTS_DIR` or `pmo load EXPORTS_DIR "
                             f"--as-of {as_of:%Y-%m}`")
    return loaded, record


def _build(as_of: dt.date, database, out_dir, books: list[Path], steps: _Steps, jobs: int | None,
           pdf: str = "never") -> MonthReport:
    """Renders the pack in a work folder beside the month's and swaps it in under the lock."""
    database = db_path(database).resolve()
    name = f"{as_of:%Y-%m}"
    shown = Path(out_dir) / name
    out = Path(out_dir).resolve()
    final = out / name
    loaded, load_row = _snapshot_info(database, as_of)
    result = MonthReport(as_of, final, database)
    staging = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        with pack.locked(out):
            pack.remove_stale(out)
        staging = pack.new_staging(out, name)
        _render(result, books, loaded, load_row, staging, steps, jobs, pdf)
        steps(f"writing index.html and publishing {final}")
        with pack.locked(out), deferred(shown):
            pack.publish(staging, final, shown, name)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename and not str(exc.filename).startswith(str(out)) else ""
        raise PackWriteFailed(f"cannot write {shown} ({exc.strerror or exc}{where}); nothing was published") from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)  # the work folder this run made (gone once swapped in)
    return result


def _render(result: MonthReport, books: list[Path], loaded: list[dt.date], load_row: dict, staging: Path,
            steps: _Steps, jobs: int | None, pdf: str = "never") -> None:
    """Runs the notebooks and writes every page of the pack into `staging`, then the PDF, and
    index.html (sealed with the manifest) last."""
    as_of, database, final = result.month, result.database, result.folder
    has_previous = any(d < as_of for d in loaded)
    run = []
    for book in books:
        if book.stem in NEEDS_PREVIOUS and not has_previous:
            result.skipped[book.stem] = "no earlier snapshot is loaded to compare with"
        else:
            run.append(book)
    for stem, why in result.skipped.items():
        steps(f"skipping {stem}: {why}")
    executed = runner.run_all(run, as_of, database, staging, final, steps, jobs)
    pages, printed = [], []
    for book in run:
        title = render.title(executed[book.stem], book.stem)
        page = render.to_html(executed[book.stem], title, book.stem)
        for name, text in render.csv_files(executed[book.stem], book.stem).items():
            (staging / name).write_text(text, encoding="utf-8")
        result.figures[book.stem] = render.count_figures(page)
        (staging / f"{book.stem}.html").write_text(page, encoding="utf-8")
        printed.append(printing.Section(title, page))
        result.notebooks.append(book.stem)
        pages.append({"stem": book.stem, "title": title, "figures": result.figures[book.stem],
                      "tables": render.count_tables(page)})
    result.headline = index.headline(database, as_of, load_row)
    front = functools.partial(index.page, as_of, result.headline, pages, result.skipped, load_row, loaded)
    front = _front_and_pdf(result, front, load_row.get("quality_score"), printed, staging, steps, pdf)
    (staging / pack.INDEX).write_bytes(pack.seal(staging, front, final.name))
    for stem in result.notebooks:
        if not result.figures[stem]:
            steps.note(f"warning: {stem}.html shows no figure")


def _front_and_pdf(result: MonthReport, front: Callable[..., str], quality, printed: list, staging: Path,
                   steps: _Steps, pdf: str) -> str:
    """index.html's text, after printing the PDF (the front page first, then each page) into
    `staging` when asked; the front page then links the PDF. "if-possible": a PDF that cannot be
    printed is a note, and the HTML pack is published without it."""
    if pdf == "never":
        return front()
    as_of = result.month
    name = f"board-pack-{as_of:%Y-%m}.pdf"
    steps(f"printing the board pack {name} ({1 + len(printed)} sections)")
    footer = f"{as_of:%B %Y} (snapshot {as_of:%Y-%m-%d})" + (
        f" · data quality {quality:.1f}/100" if quality is not None else "")
    sections = [printing.Section("Summary", front())] + printed
    try:
        pages = printing.board_pack(staging / name, sections, footer, f"PMO board pack: {as_of:%B %Y}")
    except Exception as exc:  # no browser, or it failed: Playwright raises its own Error classes
        if pdf == "always":
            raise PackWriteFailed(f"cannot print the PDF board pack: {exc}; nothing was published") from None
        (staging / name).unlink(missing_ok=True)
        steps.note(f"no PDF board pack: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__} "
                   "(--no-pdf to skip it)")
        return front()
    result.pdf, result.pdf_pages = result.folder / name, pages
    steps.note(f"{name}: {pages} pages")
    return front(pdf={"name": name, "pages": pages})


def _warn_later_reports(as_of: dt.date, out: Path, steps: _Steps) -> None:
    """After re-running an earlier month, the next month's "what changed" report compares with data
    that has changed: say so (its report is not rebuilt: other months are not touched)."""
    if not out.is_dir():
        return
    later = sorted(p.name for p in out.iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name) and p.name > f"{as_of:%Y-%m}")
    if later:
        steps.note(f"note: the report of {later[0]} compares with {as_of:%Y-%m}; rebuild it with "
                   f"`pmo report --month {later[0]}` if {as_of:%Y-%m} changed")
