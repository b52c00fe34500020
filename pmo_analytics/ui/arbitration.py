"""The arbitration dashboard: a director stops or defers projects and sees at once whether the plan
fits the budget limit and the teams' capacity, and asks the optimiser for a plan with its reasons.

The director's changes live in this session only (a Scenario held by the board, applied to an
in-memory copy of the snapshot on each redraw): nothing is written, and the next viewer starts from
the snapshot. Every choice comes from a fixed list (projects of the snapshot, months from a
dropdown); the changes are checked again when applied. A failure shows one line, never a traceback.
"""
from __future__ import annotations

import html
import logging

import ipywidgets as W
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML

from pmo_analytics.exceptions import PMOError
from pmo_analytics.metrics import arbitration
from pmo_analytics.metrics import options as metric_options
from pmo_analytics.metrics.optimiser import optimise
from pmo_analytics.metrics.scenario_compare import compare
from pmo_analytics.periods import month_end
from pmo_analytics.present import figures, tables, tiles
from pmo_analytics.present import format as fmt
from pmo_analytics.present.scenarios import changes_html, fit_tiles
from pmo_analytics.scenarios import Change, Scenario, describe, view
from pmo_analytics.store.connection import connect
from pmo_analytics.ui.pictures import picture
from pmo_analytics.ui.views.base import FRIENDLY_ERROR, display_data

log = logging.getLogger(__name__)

PLAN = "your-plan"  # the session's scenario, as the figures name it
SHIFTS = [("+1 month", 1), ("+2 months", 2), ("+3 months", 3), ("+6 months", 6), ("+12 months", 12),
          ("-1 month", -1), ("-3 months", -3)]
SOLVE_SECONDS = 20.0
QUESTION = ("Does the plan fit? Stop or defer projects and see the spend against the budget limit and "
            "each team's load change at once; ask for the optimiser's plan and why. Your changes stay "
            "in this page only.")


class ArbitrationBoard:
    """Snapshot choice, a project and what to do with it, the session's changes, the fit tiles, the
    spend and capacity figures, and the optimiser's suggestion."""

    def __init__(self, db=None, month=None):
        self.db = db
        self.changes: list[Change] = []
        self.suggested: list[Change] = []
        self.frames: dict = {}
        self.cache: dict = {}  # the baseline's numbers, computed once per snapshot
        self.message: str | None = None
        self.month = W.Dropdown(description="Snapshot", layout=W.Layout(width="230px"))
        self.project = W.Dropdown(description="Project", layout=W.Layout(width="auto", min_width="460px"))
        self.shift = W.Dropdown(options=SHIFTS, value=3, description="by", layout=W.Layout(width="180px"))
        self.stop = W.Button(description="Stop it", icon="ban", tooltip="stop the project at the snapshot date")
        self.defer = W.Button(description="Defer", icon="forward")
        self.undo = W.Button(description="Undo last", icon="undo")
        self.reset = W.Button(description="Back to the snapshot", icon="refresh")
        self.suggest = W.Button(description="Suggest a plan", icon="magic", button_style="info")
        self.use = W.Button(description="Use the suggestion", icon="check", layout=W.Layout(display="none"))
        self.header, self.tiles, self.listing, self.advice = W.HTML(), W.HTML(), W.HTML(), W.HTML()
        self.candidates = pd.DataFrame(columns=["project_id", "name", "status", "value_score", "to_spend"])
        self.limit = pd.DataFrame(columns=["month_index", "limit"])
        self.out = W.Output()
        self._wire()
        self.widget = W.VBox([
            W.HTML(tiles.page_title("Arbitration")), self.header, W.HTML(tiles.view_header("What if", QUESTION)),
            W.HBox([self.month]), W.HBox([self.project, self.stop, self.shift, self.defer]),
            W.HBox([self.undo, self.reset, self.suggest, self.use]), self.listing, self.tiles, self.out,
            self.advice], layout=W.Layout(padding="0 12px"))
        self._read_months(month)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _wire(self) -> None:
        self.month.observe(lambda _c: self._snapshot_changed(), names="value")
        self.stop.on_click(lambda _b: self.add(Change(kind="exclude", project_id=self.project.value, who=PLAN)))
        self.defer.on_click(lambda _b: self.add(Change(kind="defer", project_id=self.project.value,
                                                       months=int(self.shift.value), who=PLAN)))
        self.undo.on_click(lambda _b: self._set(self.changes[:-1]))
        self.reset.on_click(lambda _b: self._set([]))
        self.suggest.on_click(lambda _b: self.run_optimiser())
        self.use.on_click(lambda _b: self._set(self.changes + self.suggested))

    # -- state
    @property
    def as_of(self):
        return self.month.value

    def scenario(self) -> Scenario:
        return Scenario(name=PLAN, as_of=self.as_of, changes=tuple(self.changes), author="this session")

    def add(self, change: Change) -> None:
        """Adds a change for the chosen project (replacing an earlier one for it) and redraws."""
        if change.project_id:
            self._set([c for c in self.changes if c.project_id != change.project_id] + [change])

    def _set(self, changes: list[Change]) -> None:
        for control in (self.project, self.stop, self.shift, self.defer, self.undo, self.reset, self.suggest):
            control.disabled = False
        self.changes = list(changes)
        self.suggested = []
        self.use.layout.display = "none"
        self.advice.value = ""
        self.redraw()

    def _read_months(self, month) -> None:
        try:
            with connect(self.db) as con:
                months = metric_options.snapshot_months(con)
        except PMOError as exc:
            self._say(str(exc))
            return
        if not months:
            self._say("No snapshot is loaded yet: load one with `pmo load` or `pmo demo`.")
            return
        self.month.options = [(f"{m:%b %Y}", m) for m in reversed(months)]
        self.month.value = month_end(month) if month and month_end(month) in months else months[-1]

    def _snapshot_changed(self) -> None:
        self.changes, self.suggested = [], []
        try:
            with connect(self.db) as con:
                found = arbitration.inputs(con, as_of=self.as_of)
                self.currency = metric_options.snapshot_currency(con, self.as_of)
                record = metric_options.snapshot_header(con, self.as_of)
            self.header.value = tiles.STYLE + tiles.snapshot_line(record) if record else ""
            self.candidates = _candidates(found["candidates"], found["cost"])
            # the snapshot's approved budget of each month, the optimiser's limit whatever the plan does
            self.limit = found["budget"][["month_index", "limit"]]
            self.project.options = _project_options(self.candidates, self.currency)
            self.project.value = self.project.options[0][1] if self.project.options else None  # shown chosen
        except PMOError as exc:
            self.project.options = []
            self._say(str(exc))
            return
        if self.candidates.empty:
            self._say(f"Nothing to arbitrate in the {self.as_of:%b %Y} snapshot: no project is planned, active or "
                      "on hold with budget lines or planned hours after it (these exports hold whole-life "
                      "totals, not a monthly plan).")
            self._show([])
            return
        self._set([])

    # -- drawing
    def redraw(self) -> None:
        """Applies the session's changes to the snapshot and redraws tiles, list and figures."""
        figs = []
        try:
            with connect(self.db) as con:
                self.frames = compare(con, [self.scenario()], by="team", with_kpis=False, cache=self.cache)
            figs = [figures.scenario_budget(self.frames["budget"], currency=self.currency),
                    figures.capacity_fit(_plan(self.frames["load"]), by="team"), *_beyond(self.frames["load"])]
            self.message = None
            self.tiles.value = fit_tiles(self.frames, PLAN, self.currency)
            self.listing.value = tiles.STYLE + changes_html(self.frames["projects"])
            figs.append(tables.ReportTable(_in_plan(self.candidates, self.changes), noun="candidate project",
                                           order="most to spend first", currency=self.currency, top=100))
        except PMOError as exc:
            self._say(str(exc))
        except Exception:
            log.exception("arbitration redraw failed for %r", self.changes)
            self._say(FRIENDLY_ERROR)
        self._show(figs)

    def _say(self, text: str) -> None:
        self.message = text
        self.tiles.value = tiles.STYLE + tiles.message(text)
        self.listing.value = ""
        for control in (self.project, self.stop, self.shift, self.defer, self.undo, self.reset, self.suggest):
            control.disabled = True

    def _show(self, figs: list) -> None:
        """Sets the Output's outputs itself: a button's redraw runs in a widget message, whose outputs
        the page would not file under the Output (see ui/views/base.py View.show)."""
        items = [picture(f) if isinstance(f, plt.Figure) else HTML(tables.STYLE + f._repr_html_())
                 if isinstance(f, tables.ReportTable) else f for f in figs]
        try:
            self.out.outputs = tuple(display_data(item) for item in items)
        finally:
            for fig in figs:
                if isinstance(fig, plt.Figure):
                    plt.close(fig)

    # -- the optimiser
    def run_optimiser(self) -> None:
        """The plan of most value that fits every month's budget limit and every team's capacity, from
        the current plan; its changes and reasons are shown, and used when the director says so."""
        try:
            with connect(self.db) as con, view(con, self.scenario()) as plan:
                # against the snapshot's approved budget (read with the candidates): a stopped project's
                # money is freed for the others, where the plan's own budget lines would shrink with it
                problem = arbitration.problem(plan, as_of=self.as_of, budget_limit=self.limit,
                                              capacity_by=("role", "team"))
                result = optimise(problem, time_limit=SOLVE_SECONDS)
                self.suggested = [Change(**c) for c in arbitration.suggestion(result, problem)]
            self.advice.value = tiles.STYLE + _advice_html(result, self.suggested)
            self.use.layout.display = "" if self.suggested else "none"
        except PMOError as exc:
            self.advice.value = tiles.STYLE + tiles.message(str(exc))
        except Exception:
            log.exception("optimiser failed for %r", self.changes)
            self.advice.value = tiles.STYLE + tiles.message(FRIENDLY_ERROR)


def _plan(load: pd.DataFrame) -> pd.DataFrame:
    """The session plan's rows of a comparison's load frame, as capacity_fit takes them."""
    return load[load["scenario"] == PLAN].rename(columns={"group": "team"})


def _beyond(load: pd.DataFrame) -> list[HTML]:
    """A line under the capacity figure when the plan moved hours past the snapshot's resource plan:
    those months hold only the moved hours, not what the rest of the portfolio will need then."""
    base = load.loc[load["scenario"] != PLAN, "month"]
    mine = load.loc[load["scenario"] == PLAN, "month"]
    if base.empty or mine.empty or mine.max() <= base.max():
        return []
    last = pd.Timestamp(base.max())
    return [HTML(tiles.STYLE + tiles.status_note(
        f"After {last:%b %Y} the snapshot has no resource plan: those months show only the hours this plan "
        "moved there, not what the other projects will need then."))]


def _candidates(candidates: pd.DataFrame, cost: pd.DataFrame) -> pd.DataFrame:
    """The projects arbitration can change (planned, active, on hold, with something still to spend or
    do), most to spend first: project_id, name, status, value_score, to_spend."""
    spend = cost.groupby("project_id")["cost"].sum()
    rows = candidates.assign(to_spend=candidates["project_id"].map(spend), value_score=candidates["value"])
    rows = rows.sort_values(["to_spend", "project_id"], ascending=[False, True], na_position="last")
    return rows[["project_id", "name", "status", "value_score", "to_spend"]].reset_index(drop=True)


def _project_options(candidates: pd.DataFrame, currency) -> list[tuple[str, str]]:
    """'PRJ-0043 · Customer Onboarding (value 72, £1.2m to spend)', in the candidates' order."""
    out = []
    for _, r in candidates.iterrows():
        value = "no value score" if pd.isna(r["value_score"]) else f"value {r['value_score']:g}"
        spend = "nothing to spend" if pd.isna(r["to_spend"]) else f"{fmt.money(r['to_spend'], currency)} to spend"
        out.append((f"{r['project_id']} · {r['name']} ({value}, {spend})", str(r["project_id"])))
    return out


def _in_plan(candidates: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
    """The candidates with what the session's plan does to each: kept, stopped or deferred."""
    done = {c.project_id: describe(c) for c in changes}
    return candidates.assign(plan=[done.get(p, "kept as planned") for p in candidates["project_id"]])


def _advice_html(result, suggested: list[Change]) -> str:
    """What the optimiser found: its status, gap and time, then each change with its reason."""
    head = (f"<h4>Optimiser: {html.escape(result.status)}, gap {fmt.percent(100 * result.gap) if result.gap is not None else '–'}"
            f", {result.seconds:.1f} s</h4>")
    if not result.feasible:
        return head + f"<p>{html.escape(result.message)}</p>"
    if not suggested:
        return head + "<p>The current plan is already the best one found: nothing to change.</p>"
    items = "".join(f"<li><b>{html.escape(c.kind)} {html.escape(c.project_id)}</b>"
                    + (f" by {c.months:+d} months" if c.kind == "defer" else "")
                    + f": {html.escape(c.why or '')}</li>" for c in suggested)
    return head + f"<ol class='pmo-advice'>{items}</ol>"


def arbitration_dashboard(db=None, month=None) -> W.Widget:
    """The arbitration dashboard notebook's one call."""
    return ArbitrationBoard(db, month).widget


__all__ = ["ArbitrationBoard", "arbitration_dashboard"]
