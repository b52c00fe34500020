"""Every report page and every dashboard, on the demo and on the real UK GMPP 2023 snapshot, read in a
real browser (Playwright driving Debian's chromium) the way a director reads them: no number in
exponent form, no True/False/NaN cell, no "n/a" tile without its reason, no "-0.0", no "1 projects",
and no empty axis (every figure's PNG says how many data marks it draws: ui/pictures.py).

The report packs are built by `pmo report` (reports.build_report) and opened from disk; the dashboards
are served by `pmo serve` on 127.0.0.1.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, wait_until_serving
from test_dashboards_browser import CHROMIUM, DASHBOARDS, shots, stop, wait_drawn

from pmo_analytics import reports
from pmo_analytics.ui.pictures import MARKS_KEY

pytestmark = pytest.mark.slow

PORTFOLIOS = {"demo": "2026-10", "uk": "2023-03"}
EXPONENT = re.compile(r"\d(?:\.\d+)?e[+-]\d")
BAD_CELLS = {"True", "False", "NaN", "nan", "NaT", "None", "<NA>", "-0.0", "-0.00"}
SINGULAR = re.compile(r"(?<![\d,.])1 (?:rows|projects|risks|milestones|people|teams|KPIs|loads|days)\b")


@pytest.fixture(scope="module")
def databases(demo_db, uk_2023_db, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sweep")
    demo = folder / "demo.duckdb"
    shutil.copyfile(demo_db, demo)
    uk = folder / "uk.duckdb"
    shutil.copyfile(uk_2023_db, uk)  # uk_2023.csv loaded as 2023-03, profile uk-gmpp (conftest.uk_2023_db)
    return {"demo": demo, "uk": uk}


@pytest.fixture(scope="module")
def packs(databases, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("packs")
    # Each pack is printed as the PDF board pack too (`pmo report --pdf`), read back below.
    return {name: reports.build_report(month, database=databases[name], out_dir=out / name, pdf="always").folder
            for name, month in PORTFOLIOS.items()}


@pytest.fixture(scope="module")
def servers(databases):
    procs, urls = [], {}
    try:
        for name, database in databases.items():
            port = free_port()
            proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", "serve", "--db", str(database), "--port",
                                     str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            procs.append(proc)
            urls[name] = f"http://127.0.0.1:{port}"
            assert wait_until_serving(urls[name]), f"pmo serve did not start for {name}"
        yield urls
    finally:
        for proc in procs:
            stop(proc)


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())  # offline
    yield page
    page.close()


def png_marks(data_url: str) -> int | None:
    """The mark count a figure's PNG carries in its text chunk (None when it has none)."""
    png = base64.b64decode(data_url.split(",", 1)[1])
    position = 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        if kind == b"tEXt":
            key, _, value = png[position + 8:position + 8 + length].partition(b"\0")
            if key.decode("latin-1") == MARKS_KEY:
                return int(value)
        position += 12 + length
    return None


def problems(page) -> list[str]:
    """What a director should never see on this page."""
    found = []
    text = page.inner_text("body")
    found += [f"exponent: {m.group(0)}" for m in EXPONENT.finditer(text)]
    found += [f"singular: {m.group(0)}" for m in SINGULAR.finditer(text)]
    cells = page.eval_on_selector_all("td", "cells => cells.map(c => c.innerText.trim())")
    found += [f"cell: {c}" for c in cells if c in BAD_CELLS]
    for value, note in page.eval_on_selector_all(
            ".pmo-tile", "ts => ts.map(t => [t.querySelector('.value')?.innerText.trim(),"
                         " t.querySelector('.note')?.innerText.trim() || ''])"):
        if value == "n/a" and (not note or note.startswith("target")):
            found.append(f"n/a tile without its reason: {note!r}")
    for value, note in page.eval_on_selector_all(  # the pack's index: a missing number says why
            ".tiles .tile", "ts => ts.map(t => [t.querySelector('.value')?.innerText.trim(),"
                            " t.querySelector('.tile-note')?.innerText.trim() || ''])"):
        if value in ("–", "n/a") and not note:
            found.append(f"index tile {value} without its reason")
    images = page.eval_on_selector_all("img[src^='data:image/png']", "imgs => imgs.map(i => i.src)")
    for i, src in enumerate(images):
        marks = png_marks(src)
        if not marks:
            found.append(f"figure {i + 1}: {'empty axis' if marks == 0 else 'no mark count'}")
    return found


def open_dashboard(page, url: str, name: str) -> None:
    """Opens a dashboard and waits until Voila has run every cell and the widgets are drawn.

    One reload is allowed, as in test_dashboards_browser.open_dashboard: the Jupyter client under
    Voila (nbclient) now and then leaves a cell's reply unread until its timeout (the UK resources
    dashboard hung so once in a quiet full run, and opened in seconds on its own); a second request
    gets a new kernel, as soon as the page's progress has stood still for STALL_SECONDS (wait_drawn).
    A dashboard that fails twice fails."""
    for attempt in (1, 2):
        # Generous: on a loaded 2-core machine a kernel's start and first draw took over 90 s once.
        page.goto(f"{url}/voila/render/{name}.ipynb", wait_until="commit", timeout=180_000)
        try:
            wait_drawn(page, ["[data-key=snapshot]"], timeout=150_000)
            break
        except Exception:
            if attempt == 2:
                raise
    page.wait_for_function("() => !document.querySelector('#loading') || "
                           "getComputedStyle(document.querySelector('#loading')).display === 'none'", timeout=90_000)
    page.wait_for_timeout(1500)


def report_pages(folder: Path) -> list[Path]:
    return [folder / "index.html", *sorted(folder.glob("0*.html"))]


@pytest.mark.parametrize("portfolio", sorted(PORTFOLIOS))
def test_every_report_page_reads_as_a_director_expects(packs, page, portfolio):
    pages = report_pages(packs[portfolio])
    assert len(pages) == (8 if portfolio == "demo" else 7)  # the UK has one snapshot: no "what changed"
    seen, figures = {}, 0
    for path in pages:
        page.goto(path.as_uri())
        seen[path.name] = problems(page)
        figures += page.locator("img").count()
    assert {name: found for name, found in seen.items() if found} == {}
    assert figures >= (14 if portfolio == "demo" else 2)  # a page whose inputs are absent says so instead


@pytest.mark.parametrize("portfolio", sorted(PORTFOLIOS))
@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_dashboard_reads_as_a_director_expects(servers, page, portfolio, name, tmp_path):
    open_dashboard(page, servers[portfolio], name)
    assert problems(page) == []
    assert "Traceback" not in page.inner_text("body")
    if portfolio == "uk":  # docs/dashboard_uk_*.png with `make screenshots`
        page.screenshot(path=str(shots(tmp_path) / f"dashboard_uk_{name}.png"), full_page=True)


def test_the_uk_index_says_which_inputs_its_exports_lack(packs, page):
    """UK GMPP 2023 has budgets and forecasts but no actuals, risks, resources or milestones: those
    tiles say so instead of £0 or 0 (a green 0 over-allocated people would be a false all-clear)."""
    page.goto((packs["uk"] / "index.html").as_uri())
    tiles = dict(page.eval_on_selector_all(".tiles .tile", "ts => ts.map(t => [t.dataset.key, t.innerText])"))
    assert tiles["budget"].splitlines()[1] == "£47,507,370,000"  # 244 projects, 27 budgets exempt (missing)
    assert tiles["consumed"].splitlines()[1:] == ["–", "not reported in these exports"]
    assert tiles["risk_emv"].splitlines()[1:] == ["–", "no risk register in these exports"]
    assert tiles["active_risks"].splitlines()[1:] == ["–", "no risk register in these exports"]
    assert tiles["over_allocated_people"].splitlines()[1:] == ["–", "no resource plan in these exports"]
    assert tiles["milestones_slipping"].splitlines()[1:] == ["–", "no milestones in these exports"]
    assert page.locator(".tile.green[data-key=over_allocated_people]").count() == 0


@pytest.mark.parametrize("portfolio", sorted(PORTFOLIOS))
def test_the_pdf_board_pack_holds_every_page_with_its_footer(packs, page, portfolio):
    from pypdf import PdfReader

    folder = packs[portfolio]
    month = PORTFOLIOS[portfolio]
    target = folder / f"board-pack-{month}.pdf"
    reader = PdfReader(target)
    text = [" ".join(p.extract_text().split()) for p in reader.pages]
    total = len(text)
    # The summary first, then each page of the pack, each a bookmark at the page it starts on.
    page.goto((folder / "index.html").as_uri())
    titles = page.eval_on_selector_all("table a[href$='.html']", "links => links.map(a => a.innerText.trim())")
    outline = [(o.title, reader.get_destination_page_number(o)) for o in reader.outline]
    assert [title for title, _ in outline] == ["Summary", *titles]
    starts = [start for _, start in outline]
    assert starts[0] == 0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    assert total >= len(outline) + 1
    # Every page's footer: the month, the snapshot's quality, page X of Y over the whole pack.
    quality = page.eval_on_selector("[data-key=quality_score]", "t => t.dataset.value")
    footer = f"(snapshot {month}-31) · data quality {float(quality):.1f}/100"  # both months end on the 31st
    assert [i + 1 for i, t in enumerate(text) if f"page {i + 1} of {total}" not in t or footer not in t] == []
    # The headline numbers as the index shows them, on the first page.
    tiles = dict(page.eval_on_selector_all(".tiles .tile", "ts => ts.map(t => [t.dataset.key, "
                                                            "t.querySelector('.value').innerText])"))
    for key in ("budget", "forecast", "variance", "over_budget"):
        assert tiles[key] in text[0], key
    if portfolio == "uk":  # 244 projects, 27 budgets exempt (missing): counted by hand from uk_2023.csv
        assert "£47,507,370,000" in text[0] and "244 projects" in text[0]
    # The index links the PDF, and the pack's manifest seals it with the pages.
    assert page.locator(f"a[href='board-pack-{month}.pdf']").count() == 1
    assert f"({total} pages)" in page.inner_text("body")
    sealed = re.search(r'<script type="application/json" id="pmo-report">(.*?)</script>',
                       (folder / "index.html").read_text(encoding="utf-8"), re.DOTALL)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert json.loads(sealed.group(1))["files"][f"board-pack-{month}.pdf"] == digest
