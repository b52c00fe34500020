"""The printable board pack: the front page and every report page in one PDF, printed by headless
Chromium (through Playwright) and assembled with pypdf.

Each page of the pack is printed on its own (A4, its figures kept whole), then a footer sheet of the
same size is printed for every PDF page and laid over it, so the footer numbers the whole pack
("page 3 of 14"), which Chromium's own footer, counting one document at a time, cannot. Each section
is a bookmark. The browser is $PMO_CHROMIUM, else Debian's `chromium` on the PATH, else Playwright's
own download; with none of them, `unavailable()` says how to get one.
"""
from __future__ import annotations

import html
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from pmo_analytics.exceptions import UsageError
from pmo_analytics.settings import CHROMIUM

# Flags for a headless browser on a closed network, as root (see ../shared/DESIGN.md).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
PAPER = {"format": "A4", "landscape": True, "height_mm": 210}  # landscape: wide tables and figures fit
MARGIN = {"top": "14mm", "bottom": "18mm", "left": "12mm", "right": "12mm"}
TIMEOUT_MS = 120_000

# What the screen pages need to print well: figures and table rows kept whole, headings with what
# follows them, links as plain text, the screen-only parts (the link to this PDF) left out.
PRINT_CSS = """
@media print {
  body { margin: 0 !important; max-width: none !important; }
  img { max-width: 100% !important; max-height: 92mm !important; width: auto !important; height: auto !important;
        break-inside: avoid; }
  .jp-OutputArea-output, .jp-RenderedHTMLCommon, .jp-Cell, .jp-Notebook { overflow: visible !important; }
  .jp-Notebook { padding: 0 !important; }
  .jp-Cell, .jp-Cell-outputWrapper, .jp-Cell-inputWrapper, .jp-OutputArea, .jp-OutputArea-child {
    break-inside: auto !important; }
  table.pmo-rt { font-size: 8pt !important; width: 100%; }
  table.pmo-rt td, table.pmo-rt th { padding: 2px 5px !important; }
  tr, .tile, figure, .finding { break-inside: avoid; }
  h1, h2, h3 { break-after: avoid; }
  .jp-RenderedHTMLCommon { font-size: 10pt !important; }
  .jp-RenderedHTMLCommon h1 { font-size: 18pt !important; margin-top: 0 !important; }
  .jp-RenderedHTMLCommon h2 { font-size: 13pt !important; }
  a { color: inherit; text-decoration: none; }
  .screen-only { display: none !important; }
}
"""


class PDFUnavailable(UsageError):
    """No browser (or no Playwright) to print the PDF with: says how to get one."""


@dataclass(frozen=True)
class Section:
    """One part of the pack: its bookmark title and its self-contained HTML (images inline)."""

    title: str
    html: str


def browser() -> str | None:
    """The Chromium to print with: $PMO_CHROMIUM, else `chromium` (or `chromium-browser`) on the PATH;
    None means Playwright's own browser, if it was downloaded."""
    chosen = str(CHROMIUM.value()).strip()
    if chosen:
        return chosen
    return shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable() -> str | None:
    """Why the PDF cannot be printed on this machine (one line with the fix), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
        import pypdf  # noqa: F401
    except ImportError as exc:
        return f"the PDF needs {exc.name}: pip install 'pmo-analytics[notebooks]'"
    path = browser()
    if path and not Path(path).is_file():
        if str(CHROMIUM.value()).strip():
            return f"${CHROMIUM.env}={path}: no such browser"
        return f"{path}: no such browser"
    if path is None and not _playwright_browser():
        return (f"no Chromium to print the PDF with: install Debian's (apt-get install chromium) or set "
                f"${CHROMIUM.env} to a Chromium or Chrome executable")
    return None


def _playwright_browser() -> bool:
    """Whether Playwright's own Chromium was downloaded (`playwright install chromium`)."""
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            return Path(p.chromium.executable_path).is_file()
    except Exception:  # a broken Playwright install counts as no browser  # noqa: BLE001
        return False


def board_pack(target: Path, sections: list[Section], footer: str, title: str) -> int:
    """Prints `sections` into one PDF at `target` with `footer` and the page number on every page;
    returns the page count. Raises PDFUnavailable when there is no browser to print with."""
    why = unavailable()
    if why:
        raise PDFUnavailable(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=browser(), args=FLAGS, timeout=TIMEOUT_MS)
        try:
            page = launched.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            parts = [_print(page, section.html, MARGIN) for section in sections]
            counts = [_page_count(part) for part in parts]
            overlay = _print(page, _footer_sheets(sections, counts, footer), {k: "0" for k in MARGIN})
        finally:
            launched.close()
    return _assemble(target, sections, parts, counts, overlay, title)


def _print(page, content: str, margin: dict) -> bytes:
    """One HTML document printed to PDF bytes (A4, backgrounds, print media with PRINT_CSS)."""
    page.set_content(content, wait_until="load")
    page.add_style_tag(content=PRINT_CSS)
    page.emulate_media(media="print")
    return page.pdf(format=PAPER["format"], landscape=PAPER["landscape"], print_background=True, margin=margin)


def _page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _footer_sheets(sections: list[Section], counts: list[int], footer: str) -> str:
    """An A4 sheet per pack page, blank but for its footer: the section, `footer`, page X of Y."""
    total, number, sheets = sum(counts), 0, []
    for section, count in zip(sections, counts, strict=True):
        for _ in range(count):
            number += 1
            sheets.append(f'<div class="sheet"><div class="foot"><span>{html.escape(section.title)}</span>'
                          f'<span>{html.escape(footer)} &middot; page {number} of {total}</span></div></div>')
    height = PAPER["height_mm"] - 0.5  # a hair under the page, so each sheet stays on its own page
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
            "html,body{margin:0;padding:0;background:transparent}"
            f".sheet{{position:relative;height:{height}mm;break-after:page;overflow:hidden}}"
            ".foot{position:absolute;left:12mm;right:12mm;bottom:7mm;display:flex;justify-content:space-between;"
            "font:9px system-ui,Arial,sans-serif;color:#495057;border-top:0.5px solid #ced4da;padding-top:2mm}"
            f"</style></head><body>{''.join(sheets)}</body></html>")


def _assemble(target: Path, sections: list[Section], parts: list[bytes], counts: list[int], overlay: bytes,
              title: str) -> int:
    """Merges the printed sections, lays the footer sheets over them, bookmarks each section."""
    from pypdf import PdfReader, PdfWriter

    feet = PdfReader(io.BytesIO(overlay)).pages
    if len(feet) != sum(counts):
        raise RuntimeError(f"footer sheets: {len(feet)} pages for {sum(counts)} pack pages")
    writer, number = PdfWriter(), 0
    for section, data in zip(sections, parts, strict=True):
        first = number
        for sheet in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(sheet).merge_page(feet[number])
            number += 1
        writer.add_outline_item(title=section.title, page_number=first)
    writer.add_metadata({"/Title": title, "/Creator": "PMO Workbench"})
    with open(target, "wb") as fh:
        writer.write(fh)
    return number
