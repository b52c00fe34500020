"""Dashboard benchmark: what a director waits for, as seen in a real browser.

    .venv/bin/python benchmarks/bench_dashboards.py [--runs 5] [--db FILE]

Builds the demo database (unless --db), starts `pmo serve` on a free port, and with Playwright driving
Debian's chromium measures, per run: the time from requesting the overview to its headline tiles and
figures being drawn (a fresh page, so a fresh kernel each time), and the time from choosing another
portfolio to the tiles showing the new numbers. Then the same with `--preheat` (kernels started ahead).
Prints medians against the targets (overview < 3 s, filter redraw < 300 ms).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db: Path, preheat: bool):
    port = free_port()
    args = [sys.executable, "-m", "pmo_analytics", "serve", "--db", str(db), "--port", str(port)]
    proc = subprocess.Popen(args + (["--preheat"] if preheat else []), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    if preheat:
        time.sleep(15)  # let the pool of kernels run the notebook ahead of the first viewer
    return proc, url


def measure(browser, url: str, runs: int) -> tuple[list[float], list[float]]:
    opened, redraws = [], []
    for i in range(runs):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        page.goto(f"{url}/voila/render/overview.ipynb", wait_until="commit", timeout=120_000)
        page.wait_for_selector(".pmo-tile[data-key=budget]", timeout=120_000)
        page.wait_for_selector(".jp-RenderedImage img", timeout=120_000)
        opened.append(time.perf_counter() - start)
        before = page.inner_text(".pmo-tile[data-key=budget] .value")
        select = page.locator(".widget-dropdown", has=page.locator("label:text-is('Portfolio')")).locator("select")
        target = "Infrastructure" if i % 2 == 0 else "Digital Transformation"
        start = time.perf_counter()
        select.select_option(label=target)
        page.wait_for_function("(b) => document.querySelector('.pmo-tile[data-key=budget] .value').innerText !== b",
                               arg=before, timeout=60_000)
        redraws.append(time.perf_counter() - start)
        page.close()
    return opened, redraws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="database to serve (default: build the demo in a temp folder)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pmo-dash-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "pmo.duckdb"
        if not args.db:
            subprocess.run([sys.executable, "-m", "pmo_analytics", "demo", "--db", str(db), "--outdir",
                            str(Path(tmp) / "sample")], check=True, capture_output=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            for preheat in (False, True):
                proc, url = start(db, preheat)
                try:
                    opened, redraws = measure(browser, url, args.runs)
                finally:  # the server and its (preheated) kernels share a process group
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=30)
                    time.sleep(1)
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                label = "preheated kernels" if preheat else "default settings"
                print(f"{label:<18} overview drawn: median {statistics.median(opened):.2f} s "
                      f"(runs {', '.join(f'{t:.2f}' for t in opened)}; target < 3 s)")
                print(f"{'':<18} filter redraw:  median {1000 * statistics.median(redraws):.0f} ms "
                      f"(runs {', '.join(f'{1000 * t:.0f}' for t in redraws)}; target < 300 ms)")
            browser.close()


if __name__ == "__main__":
    main()
