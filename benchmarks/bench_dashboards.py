"""Dashboard benchmark: what a director waits for, as seen in a real browser, against its floor.

    .venv/bin/python benchmarks/bench_dashboards.py [--runs 6] [--viewers 20] [--db FILE]

Builds the demo database (unless --db) and serves, with `pmo serve`'s own Voila command line, settings,
template and environment (serve/command.py), a folder holding the overview notebook and the floor: a
notebook with one dropdown and one matplotlib figure, the least a Voila dashboard can be. Playwright
drives Debian's chromium. In one run, interleaved (the order swapped every run, a fresh page and so a
fresh kernel each time):

1. first render: from requesting the page to the overview's headline tiles and quadrant being drawn,
   against the floor's figure; then filter redraws on that page: choosing another portfolio until the
   budget tile shows the new number (the floor: another option until its figure is replaced);
2. `--viewers` viewers at once on a fresh server, each choosing another portfolio, waiting for the
   redraw and reading it for a second, `--rounds` times: p50 / p95 of their redraws and each kernel's
   resident memory (RSS) when all are open.

How busy the machine was is printed per phase: the load average and the CPU share this benchmark's
own processes (server, kernels, browser) did not use.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

OVERVIEW_READY = (".pmo-tile[data-key=budget]", ".jp-RenderedImage img")
BUDGET = ".pmo-tile[data-key=budget] .value"
PORTFOLIOS = ("Infrastructure", "Digital Transformation", "Customer Operations", "All portfolios")
LOG = subprocess.DEVNULL
FLOOR_SOURCE = '''import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

out = W.Output()
choice = W.Dropdown(description="Portfolio", options=["A", "B", "C"])


def draw(*_):
    with out:
        out.clear_output(wait=True)
        fig, ax = plt.subplots(figsize=(9, 6.8))
        k = choice.index + 1
        ax.scatter(range(24), [(i * 7 * k) % 24 for i in range(24)], s=60)
        ax.set_title(f"Floor {choice.value}")
        plt.show()


choice.observe(draw, names="value")
draw()
display(W.VBox([choice, out]))
'''


def notebook(source: str) -> str:
    cell = {"cell_type": "code", "execution_count": None, "id": "floor", "metadata": {}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    return json.dumps({"cells": [cell], "metadata": {"kernelspec": {"display_name": "Python 3", "language":
                       "python", "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5})


def served_folder(tmp: Path) -> Path:
    """The overview notebook as shipped and the floor notebook, side by side."""
    from pmo_analytics import packaged

    folder = tmp / "served"
    folder.mkdir()
    shutil.copy(Path(packaged.DASHBOARDS) / "overview.ipynb", folder / "overview.ipynb")
    (folder / "floor.ipynb").write_text(notebook(FLOOR_SOURCE))
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path, db: Path, max_kernels: int):
    """Voila as `pmo serve --db DB` runs it (serve.command.serve), serving `folder` instead."""
    from pmo_analytics import packaged
    from pmo_analytics.serve.command import command

    port = free_port()
    args = command(port, "127.0.0.1", None, False, max_kernels, cull_timeout=10)
    args[args.index(str(packaged.DASHBOARDS))] = str(folder)
    env = {**os.environ, "PMO_DB": str(db), "JUPYTER_PATH": str(packaged.JUPYTER_PATH), "JUPYTER_WIDGETS_ECHO": "0"}
    proc = subprocess.Popen(args, cwd=packaged.SERVE, env=env, stdout=subprocess.DEVNULL, stderr=LOG,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


def stop(proc) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels share a process group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


class Busy:
    """How busy the machine was while a phase ran: load average, and the CPU time not used by the
    process trees of `ours` (sampled every half second, so kernels that exit are still counted)."""

    def __init__(self, *ours: int):
        self.ours, self.seen = ours, {}
        self.cpu0, self.t0 = psutil.cpu_times(), time.time()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.done.wait(0.5):
            for pid in self.ours:
                with contextlib.suppress(psutil.Error):
                    root = psutil.Process(pid)
                    for p in [root, *root.children(recursive=True)]:
                        with contextlib.suppress(psutil.Error):
                            t, born = p.cpu_times(), p.create_time()
                            used = t.user + t.system
                            self.seen.setdefault((p.pid, born), [0.0 if born >= self.t0 else used, used])[1] = used

    def report(self) -> str:
        self.done.set()
        self.thread.join()
        cpu1, wall = psutil.cpu_times(), time.time() - self.t0
        busy = sum(getattr(cpu1, k) - getattr(self.cpu0, k) for k in ("user", "nice", "system", "irq", "softirq"))
        own = sum(last - first for first, last in self.seen.values())  # the CPU each used while we watched
        others = max(0.0, busy - own)
        cpus = psutil.cpu_count()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        return (f"machine: {cpus} CPUs, load average {load}; over {wall:.0f} s the CPUs were "
                f"{100 * busy / wall / cpus:.0f}% busy: this benchmark {100 * own / wall / cpus:.0f}%, "
                f"other work {100 * others / wall / cpus:.0f}%")


async def open_page(browser, url: str, name: str, tries: int = 2):
    """A fresh page of the notebook, and the seconds until it was drawn. A page not drawn within 3
    minutes (seen twice on a machine at load average 10 and more) is reported and opened again."""
    from playwright.async_api import TimeoutError as PageTimeout

    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    start = time.perf_counter()
    try:
        await page.goto(f"{url}/voila/render/{name}.ipynb", wait_until="commit", timeout=180_000)
        for selector in (OVERVIEW_READY if name == "overview" else (".jp-RenderedImage img",)):
            await page.wait_for_selector(selector, timeout=180_000)
    except PageTimeout:
        shown = " ".join((await page.inner_text("body")).split())[:200]
        await page.close()
        print(f"  ({name} not drawn after {time.perf_counter() - start:.0f} s; the page showed {shown!r}"
              f"{'; opening it again' if tries > 1 else ''})", flush=True)
        if tries <= 1:
            raise
        return await open_page(browser, url, name, tries - 1)
    return page, time.perf_counter() - start


async def redraw_overview(page, portfolio: str) -> float:
    before = await page.inner_text(BUDGET)
    select = page.locator(".widget-dropdown", has=page.locator("label:text-is('Portfolio')")).locator("select")
    start = time.perf_counter()
    await select.select_option(label=portfolio)
    await page.wait_for_function(f"(b) => document.querySelector('{BUDGET}').innerText !== b", arg=before,
                                 timeout=120_000)
    return time.perf_counter() - start


async def redraw_floor(page, option: str) -> float:
    before = await page.get_attribute(".jp-RenderedImage img", "src")
    start = time.perf_counter()
    await page.locator(".widget-dropdown select").select_option(label=option)
    await page.wait_for_function("(b) => { const i = document.querySelector('.jp-RenderedImage img'); "
                                 "return i && i.getAttribute('src') !== b; }", arg=before, timeout=120_000)
    return time.perf_counter() - start


def cpu_seconds(process) -> float:
    t = process.cpu_times()
    return t.user + t.system


async def first_renders(browser, url: str, server_pid: int, runs: int, redraws: int) -> dict:
    """Floor and overview, interleaved; each page then redraws `redraws` times, the CPU time its
    kernel spent on each redraw taken too (what a busy machine does not change much)."""
    times = {k: [] for k in ("floor", "overview", "floor_redraw", "overview_redraw", "floor_cpu", "overview_cpu")}
    for run in range(runs):
        for name in (("floor", "overview") if run % 2 == 0 else ("overview", "floor")):
            page, opened = await open_page(browser, url, name)
            times[name].append(opened)
            kernel = max(kernels(server_pid), key=lambda k: k.create_time())  # this page's
            for i in range(redraws):
                used = cpu_seconds(kernel)
                if name == "overview":
                    times["overview_redraw"].append(await redraw_overview(page, PORTFOLIOS[(run + i) % 3]))
                else:
                    times["floor_redraw"].append(await redraw_floor(page, "BCA"[i % 3]))
                await asyncio.sleep(0.3)  # the kernel finishes sending; then its CPU time is read
                times[f"{name}_cpu"].append(cpu_seconds(kernel) - used)
            await page.close()
    return times


def kernels(server_pid: int) -> list[psutil.Process]:
    found = []
    for p in psutil.Process(server_pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ipykernel" in " ".join(p.cmdline()):
                found.append(p)
    return found


async def viewers(browser, url: str, server_pid: int, count: int, rounds: int) -> dict:
    """`count` viewers of the overview at once, each redrawing `rounds` times with a second between."""
    pages = []
    for batch in range(0, count, 4):  # opened four at a time, as viewers arrive over a minute
        pages += await asyncio.gather(*(open_page(browser, url, "overview") for _ in range(min(4, count - batch))))
    rss = [p.memory_info().rss for p in kernels(server_pid)]

    async def viewer(number: int, page) -> list[float]:
        await asyncio.sleep(number * 0.05)
        times = []
        for i in range(rounds):
            times.append(await redraw_overview(page, PORTFOLIOS[(number % 3 + i) % len(PORTFOLIOS)]))
            await asyncio.sleep(1.0)
        return times

    start = time.perf_counter()
    results = await asyncio.gather(*(viewer(n, page) for n, (page, _) in enumerate(pages)))
    wall = time.perf_counter() - start
    rss_after = [p.memory_info().rss for p in kernels(server_pid)]
    for page, _ in pages:
        await page.close()
    return {"redraws": [t for r in results for t in r], "opened": [t for _, t in pages], "rss": rss,
            "rss_after": rss_after, "wall": wall}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def ms(values) -> str:
    return ", ".join(f"{1000 * t:.0f}" for t in values)


async def bench(args, db: Path, folder: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        me = os.getpid()
        proc, url = start(folder, db, max_kernels=2 * args.runs + 4)
        busy = Busy(proc.pid, me)
        try:
            await first_renders(browser, url, proc.pid, 1, 1)  # warm the disk cache and Voila's template
            t = await first_renders(browser, url, proc.pid, args.runs, args.redraws)
        finally:
            stop(proc)
        ratio = [o / f for o, f in zip(t["overview"], t["floor"])]
        print(f"first render (fresh page and kernel, {args.runs} runs interleaved):")
        print(f"  floor (one dropdown, one figure): median {statistics.median(t['floor']):.2f} s (runs {', '.join(f'{x:.2f}' for x in t['floor'])})")
        print(f"  overview:                         median {statistics.median(t['overview']):.2f} s (runs {', '.join(f'{x:.2f}' for x in t['overview'])})")
        print(f"  overview / floor, run by run: median {statistics.median(ratio):.2f}x (target <= 1.5x; runs {', '.join(f'{r:.2f}' for r in ratio)})")
        print("filter redraw (choice to new tiles on the page):")
        print(f"  overview: median {1000 * statistics.median(t['overview_redraw']):.0f} ms, p95 {1000 * pct(t['overview_redraw'], 95):.0f} ms "
              f"(target < 300 ms; {ms(t['overview_redraw'])})")
        print(f"  floor:    median {1000 * statistics.median(t['floor_redraw']):.0f} ms ({ms(t['floor_redraw'])})")
        print(f"  kernel CPU per redraw: overview median {1000 * statistics.median(t['overview_cpu']):.0f} ms "
              f"({ms(t['overview_cpu'])}), floor median {1000 * statistics.median(t['floor_cpu']):.0f} ms")
        print("  " + busy.report())
        if args.viewers:
            proc, url = start(folder, db, max_kernels=args.viewers + 4)
            busy = Busy(proc.pid, me)
            try:
                v = await viewers(browser, url, proc.pid, args.viewers, args.rounds)
            finally:
                stop(proc)
            mb = [r / 2**20 for r in v["rss"]]
            mb_after = [r / 2**20 for r in v["rss_after"]]
            print(f"{args.viewers} viewers at once ({args.rounds} redraws each, 1 s apart; {len(v['redraws'])} redraws in {v['wall']:.0f} s):")
            print(f"  redraw: median {1000 * statistics.median(v['redraws']):.0f} ms, p95 {1000 * pct(v['redraws'], 95):.0f} ms, "
                  f"max {1000 * max(v['redraws']):.0f} ms")
            print(f"  first render while they arrived (4 at a time): median {statistics.median(v['opened']):.1f} s, max {max(v['opened']):.1f} s")
            print(f"  kernel RSS once open: median {statistics.median(mb):.0f} MB, max {max(mb):.0f} MB, total {sum(mb):.0f} MB "
                  f"({len(mb)} kernels); after the redraws: median {statistics.median(mb_after):.0f} MB, max {max(mb_after):.0f} MB")
            print("  " + busy.report())
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="first renders of each notebook (default 6)")
    parser.add_argument("--redraws", type=int, default=3, help="filter redraws per opened page (default 3)")
    parser.add_argument("--viewers", type=int, default=20, help="viewers at once (default 20; 0 skips)")
    parser.add_argument("--rounds", type=int, default=5, help="redraws per viewer (default 5)")
    parser.add_argument("--db", help="database to serve (default: build the demo in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmo-dash-") as tmp:
        db = Path(args.db).resolve() if args.db else Path(tmp) / "pmo.duckdb"
        if not args.db:
            subprocess.run([sys.executable, "-m", "pmo_analytics", "demo", "--db", str(db), "--outdir",
                            str(Path(tmp) / "sample")], check=True, capture_output=True)
        asyncio.run(bench(args, db, served_folder(Path(tmp))))


if __name__ == "__main__":
    main()
