"""Hostile and many viewers: a burst of widget messages, and 20 viewers redrawing while months are published.

- A burst of changes costs one redraw of the last state (widgets.Redraws coalesces them on the event
  loop), in-process with an asyncio loop and in the real dashboard: `pmo serve`, Playwright on Debian's
  chromium, and 2,000 comm messages sent straight to the kernel's websocket (as an attacker would: the
  page's own widget code holds changes back while one is unanswered, so a page cannot flood its kernel).
- 20 viewer processes each redraw the overview's numbers in short read-only connections, as fast as they
  can, while three months are published with real `python -m pmo_analytics load` processes: no error, every
  snapshot read is whole, every new month is seen once published; redraw rate and peak memory reported.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import pmo_analytics
from pmo_analytics import contract, metrics
from pmo_analytics.metrics.portfolio import headline
from pmo_analytics.present import tiles as present_tiles
from pmo_analytics.present.format import money
from pmo_analytics.ui import dashboards
from pmo_analytics.ui import views as widgets
from conftest import free_port, wait_until_serving

PORTFOLIO = "Infrastructure"
MONTH = "2026-06"
BURST = 2_000
HANDFUL = 5  # redraws a burst may cost at most (one is expected)


@pytest.fixture
def quiet():
    """Outside a kernel, display() prints the reprs of figures and tables: keep them out of the
    output (the figures these tests print stay), and close every figure."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield
    plt.close("all")


def read(db, func, *args, **kwargs):
    with pmo_analytics.connect(db) as con:
        return func(con, *args, **kwargs)


class TooManyRedraws(BaseException):
    """Stops a burst at once when changes redraw one by one (a view catches Exception, not this)."""


def count_loads(monkeypatch, *view_classes, limit=HANDFUL) -> dict:
    """Counts each view class's data reads (one per redraw); more than `limit` stops the test."""
    counts = {cls.__name__: 0 for cls in view_classes}
    for cls in view_classes:
        original = cls.load

        def load(self, con, f, _original=original, _name=cls.__name__):
            counts[_name] += 1
            if counts[_name] > limit:
                raise TooManyRedraws(f"{_name} redrew {counts[_name]} times in one burst")
            return _original(self, con, f)
        monkeypatch.setattr(cls, "load", load)
    return counts


def overview_parts(db, month=None):
    bar, header = dashboards._start(db, month)
    return bar, header, dashboards.HeadlineView(bar), dashboards.KpiTilesView(bar)


async def settle(bar, timeout=10.0) -> float:
    """Lets the event loop run until the bar has nothing pending; returns the seconds it took."""
    start = time.perf_counter()
    while bar.redraws.pending and time.perf_counter() - start < timeout:
        await asyncio.sleep(0.01)
    assert not bar.redraws.pending
    return time.perf_counter() - start


def assert_overview_shows(db, bar, header, head, kpis, as_of, portfolio):
    f = {"as_of": as_of, "portfolio": portfolio, "program": None, "department": None, "project_ids": None}
    assert bar.filters() == f
    h = read(db, headline, **f)
    assert head.message is None and head.tiles.value == present_tiles.STYLE + present_tiles.headline_tiles(h.iloc[0])
    assert money(h["budget"].iloc[0], "GBP") in head.tiles.value
    k = read(db, metrics.kpis, **f)
    shown = ["label", "unit", "value", "target"]  # then rating, direction and coverage in words
    expected_kpis = k[k["as_of"] == k["as_of"].max()][shown].reset_index(drop=True)
    pd.testing.assert_frame_equal(kpis.table[shown], expected_kpis)
    day = pd.Timestamp(f"{as_of}-01") + pd.offsets.MonthEnd(0)
    assert f"Snapshot <b>{day:%d %b %Y}</b>" in header.widget.value
    # the options are narrowed to the last choice: only the portfolio's programs and projects
    projects = read(db, lambda con: con.sql(
        "SELECT project_id, program FROM projects WHERE strftime(as_of, '%Y-%m') = ? AND portfolio = ?",
        params=[as_of, portfolio]).df())
    assert {v for _, v in bar.program.options} - {""} == set(projects["program"])
    assert {v for _, v in bar.project.options} - {""} == set(projects["project_id"])


# ------------------------------------------------------------------------------ coalescing, in-process
def test_a_burst_of_changes_costs_one_redraw_of_the_last_value(demo_db, monkeypatch, record_property, quiet):
    """2,000 changes of month and portfolio with an asyncio loop running (as in a kernel): the views
    redraw at most a handful of times, after the burst, and show the numbers of the last values."""
    counts = count_loads(monkeypatch, dashboards.HeadlineView, dashboards.KpiTilesView)
    figures = {}

    async def burst():
        bar, header, head, kpis = overview_parts(demo_db)
        assert counts == {"HeadlineView": 1, "KpiTilesView": 1}  # the first draw is synchronous
        portfolios = [v for _, v in bar.portfolio.options]  # All, then the three portfolios
        months = [v for _, v in bar.month.options]
        start = time.perf_counter()
        for i in range(BURST - 2):
            if i % 10 == 0:
                bar.month.value = months[i // 10 % len(months)]
            else:
                bar.portfolio.value = portfolios[i % len(portfolios)]
        bar.month.value = MONTH
        bar.portfolio.value = PORTFOLIO
        figures["burst_seconds"] = time.perf_counter() - start
        assert bar.redraws.pending  # nothing redrawn yet: the loop has not run
        assert counts == {"HeadlineView": 1, "KpiTilesView": 1}
        figures["settle_seconds"] = await settle(bar)
        return bar, header, head, kpis

    bar, header, head, kpis = asyncio.run(burst())
    redraws = {name: n - 1 for name, n in counts.items()}
    print(f"\n{BURST} changes in {figures['burst_seconds']:.2f} s; redraws after them: {redraws}; "
          f"drawn {figures['settle_seconds']:.2f} s after the last change", file=sys.__stdout__)
    record_property("burst_redraws", json.dumps(redraws))
    assert 1 <= max(redraws.values()) <= HANDFUL
    assert_overview_shows(demo_db, bar, header, head, kpis, MONTH, PORTFOLIO)
    # drawn from the loop, a view sets its Output's outputs (the quadrant and the table) itself
    assert len(head.out.outputs) == 2 and "Infrastructure" in head.out.outputs[1]["data"]["text/html"]


def test_redraws_wait_for_the_loop_flush_runs_them_and_cells_draw_at_once(demo_db, monkeypatch, quiet):
    counts = count_loads(monkeypatch, dashboards.HeadlineView, widgets.KpiView, widgets.BudgetView, limit=50)

    async def scenario():
        bar, header, head, kpis = overview_parts(demo_db)
        budget, kpi_view = widgets.BudgetView(bar), widgets.KpiView(bar)
        before = head.tiles.value
        bar.portfolio.value = PORTFOLIO
        assert head.tiles.value == before and bar.redraws.pending  # scheduled, not drawn
        bar.flush()  # a report or a test that needs the final state now
        assert not bar.redraws.pending and head.tiles.value != before
        assert_overview_shows(demo_db, bar, header, head, kpis, bar.month.value, PORTFOLIO)

        # a view's own control is coalesced with the rest: one redraw of the last choice
        n = counts["KpiView"]
        for value in ["spi_t", "cpi"] * 50 + ["spi_t"]:
            kpi_view.measure.value = value
        assert counts["KpiView"] == n
        await settle(bar)
        assert counts["KpiView"] == n + 1 and set(kpi_view.frames["distribution"]["measure"]) == {"spi_t"}

        # drilling down from a view goes through the same queue and redraws every view for the project
        worst = budget.table["project_id"].iloc[0]
        budget.drill.value = worst
        await settle(bar)
        assert bar.project.value == worst and budget.table["project_id"].tolist() == [worst]
        assert budget.back.layout.display == ""

        # (inside a running notebook cell a change draws at once: test_notebooks and test_reports run that)

    asyncio.run(scenario())


def test_a_redraw_delay_of_zero_redraws_on_every_change(demo_db, monkeypatch, quiet):
    monkeypatch.setenv("PMO_REDRAW_DELAY", "0")

    async def scenario():
        bar, header, head, kpis = overview_parts(demo_db)
        bar.portfolio.value = PORTFOLIO
        assert not bar.redraws.pending
        assert_overview_shows(demo_db, bar, header, head, kpis, bar.month.value, PORTFOLIO)

    asyncio.run(scenario())


# ------------------------------------------------------------------------------ the real dashboard
# (the server and browser helpers are those of tests/test_dashboards_browser.py)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
RECOVERY_SECONDS = 15  # measured 4-7 s on a quiet 2-core machine; before coalescing, about 20 minutes


@pytest.fixture(scope="module")
def live_db(demo_db, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("hostile") / "pmo.duckdb"
    shutil.copyfile(demo_db, target)
    return target


@pytest.fixture(scope="module")
def server(live_db):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "serve", "--db", str(live_db), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    if not wait_until_serving(url):
        stop(proc)
        pytest.fail("pmo serve did not start: " + (proc.stdout.read() if proc.stdout else ""))
    yield url
    stop(proc)


def stop(proc) -> None:
    """Stops the server and every kernel it started (they share its process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    time.sleep(1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # kernels still shutting down (a flooded one on old code)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())  # offline
    yield page
    page.close()


def open_dashboard(page, server, name):
    """Opens a dashboard and waits until it is drawn (one reload allowed, see test_dashboards_browser)."""
    for attempt in (1, 2):
        page.goto(f"{server}/voila/render/{name}.ipynb", wait_until="commit", timeout=90_000)
        try:
            page.wait_for_selector("[data-key=snapshot]", timeout=60_000)
            page.wait_for_selector(".jp-RenderedImage img", timeout=60_000)
            page.wait_for_selector(".pmo-tile[data-key=budget]", timeout=60_000)
            return
        except Exception:
            if attempt == 2:
                raise


def tile(page, key) -> str:
    return page.inner_text(f".pmo-tile[data-key={key}] .value")


def expected(db, **filters) -> dict:
    with pmo_analytics.connect(db) as con:
        h = headline(con, **filters).iloc[0]
    return {"budget": money(h["budget"], h["currency"]), "forecast": money(h["forecast"], h["currency"]),
            "consumed": money(h["consumed"], h["currency"]), "exposure": money(h["risk_emv"], h["currency"])}


def select(page, label, option_label, timeout=30_000):
    page.locator(".widget-dropdown", has=page.locator(f"label:text-is('{label}')")).locator("select") \
        .select_option(label=option_label, timeout=timeout)


class KernelSocket:
    """A raw websocket to a dashboard's kernel, as a script would open one: it sends comm messages
    without the browser's one-at-a-time throttle. It speaks Jupyter's v1 websocket protocol, as
    JupyterLab does (the server passes frames through instead of re-encoding each as JSON). A thread
    reads everything the kernel sends."""

    PROTOCOL = "v1.kernel.websocket.jupyter.org"

    def __init__(self, server: str, kernel_id: str):
        import websocket

        ws_url = server.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}"
        self.ws = websocket.create_connection(ws_url, timeout=30, origin=server, subprotocols=[self.PROTOCOL])
        self.session = uuid.uuid4().hex
        self.tiles: list[tuple[float, str]] = []  # (time, budget tile text) of every tile update seen
        self.busy: dict[str, float] = {}  # msg_id -> when the kernel started handling it
        self.watch: set[str] = set()
        self.states: dict | None = None
        self._control = uuid.uuid4().hex
        self._got_states = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, msg_type: str, content: dict, metadata: dict | None = None, msg_id: str | None = None) -> str:
        from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

        msg_id = msg_id or uuid.uuid4().hex
        msg = {"header": {"msg_id": msg_id, "username": "hostile", "session": self.session,
                          "msg_type": msg_type, "version": "5.3", "date": ""},
               "parent_header": {}, "metadata": metadata or {}, "content": content}
        self.ws.send_binary(serialize_msg_to_ws_v1(msg, "shell", lambda part: json.dumps(part).encode()))
        return msg_id

    def _read(self) -> None:
        from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

        with contextlib.suppress(Exception):  # the socket closes at the end
            while True:
                _channel, parts = deserialize_msg_from_ws_v1(self.ws.recv())
                header, parent, content = parts[0], parts[1], parts[3]
                # this runs on the machine under test: parse only the messages looked for
                if b'"status"' in header and b'"busy"' in content:
                    msg_id = json.loads(parent).get("msg_id")
                    if msg_id in self.watch:
                        self.busy[msg_id] = time.time()
                elif b'"comm_msg"' in header and (b"update_states" in content or b"data-key='budget'" in content):
                    data = json.loads(content).get("data", {})
                    if data.get("method") == "update_states":
                        self.states = data["states"]
                        self._got_states.set()
                    found = re.search(r"data-key='budget'>.*?class='value'>([^<]*)<",
                                      str(data.get("state", {}).get("value", "")))
                    if found:
                        self.tiles.append((time.time(), found.group(1)))

    def widget_states(self) -> dict:
        """Every widget's state, asked the way the widget manager asks (the control comm)."""
        self.send("comm_open", {"comm_id": self._control, "target_name": "jupyter.widget.control", "data": {}},
                  metadata={"version": "1.0.0"})
        self.send("comm_msg", {"comm_id": self._control, "data": {"method": "request_states"}})
        assert self._got_states.wait(30), "the kernel sent no widget states"
        return self.states

    def update(self, comm_id: str, state: dict, msg_id: str | None = None) -> str:
        return self.send("comm_msg", {"comm_id": comm_id,
                                      "data": {"method": "update", "state": state, "buffer_paths": []}},
                         msg_id=msg_id)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


@pytest.mark.slow
def test_a_websocket_flood_leaves_the_dashboard_responsive(server, page, live_db, record_property):
    """2,000 portfolio changes sent to the overview's kernel as fast as a script can, then a last one to
    Infrastructure: within RECOVERY_SECONDS of the burst's end the page shows Infrastructure's numbers, having
    redrawn at most a handful of times; then a change made in the page redraws as usual."""
    open_dashboard(page, server, "overview")
    want_all = expected(live_db)
    assert tile(page, "budget") == want_all["budget"]
    kernel_id = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    sock = KernelSocket(server, kernel_id)
    try:
        states = sock.widget_states()
        portfolio = next(k for k, s in states.items() if s["state"].get("_model_name") == "DropdownModel"
                         and s["state"].get("description") == "Portfolio")
        labels = states[portfolio]["state"]["_options_labels"]
        assert labels == ["All portfolios", "Customer Operations", "Digital Transformation", PORTFOLIO]
        others = [i for i, label in enumerate(labels) if label != PORTFOLIO]
        want = expected(live_db, portfolio=PORTFOLIO)
        assert want["budget"] != want_all["budget"]

        ids = [uuid.uuid4().hex for _ in range(BURST + 1)]
        sock.watch.update(ids)
        started = time.time()
        for i, msg_id in enumerate(ids[:-1]):
            sock.update(portfolio, {"index": others[i % len(others)]}, msg_id=msg_id)
        sent = time.time()
        sock.update(portfolio, {"index": labels.index(PORTFOLIO)}, msg_id=ids[-1])  # the final change
        figures = {"messages": BURST, "send_seconds": round(sent - started, 2)}
        with contextlib.suppress(Exception):  # a slow recovery is measured, then refused below
            page.wait_for_function("(want) => Object.entries(want).every(([k, v]) => {"
                                   " const e = document.querySelector(`.pmo-tile[data-key=${k}] .value`);"
                                   " return e && e.innerText === v; })", arg=want,
                                   timeout=3 * RECOVERY_SECONDS * 1000)
        shown = time.time()
        figures.update({
            "kernel_read": f"{len(sock.busy)}/{BURST + 1} in "
                           f"{max(sock.busy.values(), default=sent) - sent:.2f} s",
            "redraws": sum(started <= t < shown for t, _ in sock.tiles),  # the final one included
            "recovery_seconds": round(shown - sent, 2),
            "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()})
        print(f"\nflood: {figures}")
        record_property("flood", json.dumps(figures))
        assert {k: tile(page, k) for k in want} == want, f"the page never showed {PORTFOLIO}: {figures}"
        assert shown - sent <= RECOVERY_SECONDS, f"responsive again only after {shown - sent:.1f} s: {figures}"
        assert figures["redraws"] <= HANDFUL, figures
        # the views' Output (figures and tables) followed too: the worst projects are Infrastructure's
        page.wait_for_function("(want) => { const t = [...document.querySelectorAll('.pmo-rt')].find("
                               " t => [...t.querySelectorAll('th')].some(h => h.innerText === 'Portfolio'));"
                               " if (!t) return false;"
                               " const i = [...t.querySelectorAll('th')].findIndex(h => h.innerText === 'Portfolio');"
                               " const cells = [...t.querySelectorAll('tbody tr')].map(r => r.children[i].innerText);"
                               " return cells.length > 0 && cells.every(c => c === want); }", arg=PORTFOLIO,
                               timeout=10_000)
        assert page.locator(".jp-RenderedImage img").count() >= 1  # the CPI/SPI quadrant

        # and the page itself is usable again: a director's choice redraws
        select(page, "Portfolio", "Digital Transformation")
        page.wait_for_function("(want) => document.querySelector('.pmo-tile[data-key=budget] .value')"
                               ".innerText === want",
                               arg=expected(live_db, portfolio="Digital Transformation")["budget"],
                               timeout=30_000)
        assert "Traceback" not in page.inner_text("body")
    finally:
        sock.close()


# ------------------------------------------------------------------------------ 20 viewers, 3 loads
VIEWERS = 20
WINDOW_SECONDS = 20
NEW_MONTHS = ["2026-11", "2026-12", "2027-01"]
TABLES = list(contract.TABLES)


class Torn(AssertionError):
    """What a reader read is not one whole snapshot."""


def overview_redraw(db, portfolio, pick_month):
    """What the overview's redraw reads (HeadlineView, KpiTilesView, SnapshotHeader), in one short
    read-only connection, checked for consistency in that same connection.

    Returns (month read, latest month loaded)."""
    with pmo_analytics.connect(db) as con:
        columns = ", ".join(f"rows_{t}" for t in TABLES)
        loads = {row[0]: row[1:] for row in con.sql(f"SELECT as_of, {columns}, quality_score FROM loads")
                 .fetchall()}
        latest = max(loads)
        month = pick_month(sorted(loads))
        f = {"as_of": f"{month:%Y-%m}", "portfolio": portfolio}
        budget = metrics.budget_variance(con, **f)
        h = headline(con, **f, budget=budget)
        evm = metrics.evm(con, **f)
        kpis = metrics.kpis(con, **f)
        counts = tuple(con.sql(f"SELECT count(*) FROM {t} WHERE as_of = ?", params=[month]).fetchall()[0][0]
                       for t in TABLES)
        lines = con.sql("SELECT sum(b.budget) FROM budget_lines b JOIN projects p "
                        "ON p.project_id = b.project_id AND p.as_of = b.as_of "
                        "WHERE b.as_of = ? AND (CAST(? AS TEXT) IS NULL OR p.portfolio = ?) "
                        "AND p.status IS DISTINCT FROM 'cancelled'",  # the headline leaves them out
                        params=[month, portfolio, portfolio]).fetchall()[0][0]
    if counts != loads[month][:-1]:
        raise Torn(f"{month}: loads says {dict(zip(TABLES, loads[month]))}, the tables hold "
                   f"{dict(zip(TABLES, counts))}")
    if h.empty:
        if lines is not None:
            raise Torn(f"{month} {portfolio}: no headline but budget lines of {lines}")
    else:
        row = h.iloc[0]
        if not math.isclose(row["budget"], float(lines), rel_tol=1e-9):
            raise Torn(f"{month} {portfolio}: headline budget {row['budget']} but budget lines sum to {lines}")
        if row["quality_score"] != loads[month][-1] or row["projects"] != len(budget):
            raise Torn(f"{month} {portfolio}: headline does not match its snapshot")
        latest_kpis = kpis[kpis["as_of"] == kpis["as_of"].max()]
        if len(kpis) and pd.Timestamp(latest_kpis["as_of"].iloc[0]).date() != month:
            raise Torn(f"{month}: the KPIs end at {latest_kpis['as_of'].iloc[0]}")
        tiles = present_tiles.headline_tiles(row) + present_tiles.kpi_tiles(latest_kpis)  # as the page draws
        assert "data-key='budget'" in tiles and "cpi" in evm.columns
    return month, latest


def viewer(number: int, db: str, out: str, ready, stop) -> None:
    """One simulated viewer (its own process, as each Voila viewer is a kernel): redraws the overview
    for a random portfolio (mostly the latest month, sometimes an older one) until told to stop.

    Viewers run at a lower CPU priority (nice 10): 20 of them redrawing back to back ask for about 8 CPUs,
    and at equal priority a `pmo load` on this 2-CPU machine got a twentieth of one (a 1 s load took
    20-60 s). They still use every CPU cycle the loads leave, so the redraw rate is what the machine
    gives; what is tested is that readers overlapping the loads see whole snapshots."""
    import random

    import psutil

    os.nice(10)
    rng = random.Random(number)
    portfolios = [None, "Customer Operations", "Digital Transformation", PORTFOLIO]
    seen, errors = [], []
    try:
        ready.wait(120)
        while not stop.is_set():
            start = time.time()
            try:
                month, latest = overview_redraw(db, rng.choice(portfolios), lambda months: (
                    months[-1] if rng.random() < 0.75 else rng.choice(months)))
                seen.append([start, time.time(), f"{month:%Y-%m}", f"{latest:%Y-%m}"])
            except Exception as exc:  # noqa: BLE001 - every error is the finding
                errors.append(f"{type(exc).__name__}: {exc}"[:400])
    except Exception as exc:  # noqa: BLE001
        errors.append(f"viewer failed: {type(exc).__name__}: {exc}"[:400])
    finally:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
        try:
            pss = psutil.Process().memory_full_info().pss
        except Exception:  # noqa: BLE001
            pss = None
        Path(out).write_text(json.dumps({"seen": seen, "errors": errors, "peak_rss": peak, "pss": pss}))


def mb(n) -> float:
    return round(n / 2**20, 1)


@pytest.mark.slow
def test_twenty_viewers_redraw_while_three_months_are_published(demo_db, tmp_path, record_property):
    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, db)
    exports = tmp_path / "exports"  # the next three months, written before the timed part
    made = subprocess.run([sys.executable, "-m", "pmo_analytics", "sample", str(exports), "--projects", "60",
                           "--months", "15", "--seed", "7", "--end", NEW_MONTHS[-1], "--history"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert all((exports / m).is_dir() for m in NEW_MONTHS)
    before = [f"{d:%Y-%m}" for d in read(db, lambda con: [r[0] for r in con.sql(
        "SELECT as_of FROM loads ORDER BY 1").fetchall()])]
    assert before[-1] == "2026-10"

    # Workers fork from a server process that imported the package once (fast, and no threads of this
    # process inherited); each then lives on its own, as a kernel does.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pmo_analytics.ui.dashboards", __name__])
    ready, stop = ctx.Barrier(VIEWERS + 1), ctx.Event()
    outs = [tmp_path / f"viewer{i}.json" for i in range(VIEWERS)]
    procs = [ctx.Process(target=viewer, args=(i, str(db), str(outs[i]), ready, stop), daemon=True)
             for i in range(VIEWERS)]
    for p in procs:
        p.start()
    published = {}
    try:
        ready.wait(120)
        t0 = time.time()
        time.sleep(1)
        for month in NEW_MONTHS:
            begin = time.time()
            loaded = subprocess.run([sys.executable, "-m", "pmo_analytics", "load", str(exports / month),
                                     "--as-of", month, "--db", str(db)], capture_output=True, text=True,
                                    timeout=120)
            assert loaded.returncode == 0, loaded.stderr
            published[month] = (begin, time.time())
            time.sleep(1)
        time.sleep(max(3.0, t0 + WINDOW_SECONDS - time.time()))  # readers see the last month for a while
    finally:
        stop.set()
        stopped = time.time()
        for p in procs:
            p.join(timeout=60)
        for p in procs:
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0] * VIEWERS
    results = [json.loads(out.read_text()) for out in outs]
    seen = [s for r in results for s in r["seen"]]
    errors = [e for r in results for e in r["errors"]]

    window = stopped - t0
    done_in_window = [s for s in seen if s[1] <= stopped]
    peaks = [r["peak_rss"] for r in results]
    pss = [r["pss"] for r in results if r["pss"]]
    figures = {
        "viewers": VIEWERS, "window_seconds": round(window, 1), "redraws": len(done_in_window),
        "redraws_per_second": round(len(done_in_window) / window, 1),
        "redraw_seconds_median": round(statistics.median(end - start for start, end, _, _ in seen), 3),
        "errors": len(errors),
        "load_seconds": {m: round(done - begin, 1) for m, (begin, done) in published.items()},
        "peak_rss_mb_per_viewer": {"max": mb(max(peaks)), "median": mb(statistics.median(peaks))},
        "peak_rss_mb_total": mb(sum(peaks)),  # each process's own peak: pages shared among them count 20 times
        "pss_mb_total_at_end": mb(sum(pss)) if pss else None,  # shared pages split among their users
        "cpus": os.cpu_count(),
    }
    print(f"\n20 viewers during 3 loads: {json.dumps(figures)}")
    for key, value in figures.items():
        record_property(key, json.dumps(value))

    assert errors == [], f"{len(errors)} errors, first: {errors[:5]}"
    assert all(r["seen"] for r in results)  # every viewer redrew
    assert list(published) == NEW_MONTHS
    for month, (begin, done) in published.items():
        assert any(m == month for _, _, m, _ in seen), f"no reader saw {month} after it was published"
        # before its publish began nobody saw it; a redraw begun after it was swapped in sees it
        assert all(latest < month for _, end, _, latest in seen if end < begin)
        assert all(latest >= month for start, _, _, latest in seen if start > done)
    assert read(db, lambda con: con.sql("SELECT count(*) FROM loads").fetchall()[0][0]) == len(before) + 3
