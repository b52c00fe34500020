"""The PDF board pack's printer (reports/pdf.py) on hand-written pages, read back with pypdf: page
count, the footer numbering the whole pack, the bookmarks; and what a machine without a browser is told.
The pack of a real month is read back in tests/test_pages_browser.py (demo and UK GMPP)."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from pmo_analytics.reports import cycle, pdf

pytestmark = pytest.mark.slow

ALPHA = "<html><body><h1>Alpha section</h1><p>Total budget £1,234,567</p></body></html>"
# Three sheets: two forced page breaks.
BETA = ("<html><body><div style='break-after:page'>Beta one</div><div style='break-after:page'>Beta two</div>"
        "<div>Beta three</div></body></html>")


def _text(reader: PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_pack_numbers_every_page_of_the_whole_pack(tmp_path):
    target = tmp_path / "pack.pdf"
    pages = pdf.board_pack(target, [pdf.Section("Alpha", ALPHA), pdf.Section("Beta", BETA)],
                           "October 2026 · data quality 99.6/100", "PMO board pack: October 2026")
    reader = PdfReader(target)
    # Alpha fits on one page, Beta has three: 1 + 3.
    assert pages == 4 and len(reader.pages) == 4
    text = _text(reader)
    assert "Alpha section" in text[0] and "Total budget £1,234,567" in text[0]
    assert "page 1 of 4" in text[0] and "Alpha" in text[0]
    assert ["Beta one" in text[1], "Beta two" in text[2], "Beta three" in text[3]] == [True] * 3
    for number in (2, 3, 4):  # Beta's own pages are 2-4 of the pack, not 1-3 of Beta
        assert f"page {number} of 4" in text[number - 1] and "Beta" in text[number - 1]
    assert all("October 2026 · data quality 99.6/100" in t for t in text)
    # Landscape A4: 297 x 210 mm (Chromium rounds to whole points: 1 mm = 72 / 25.4 points).
    box = reader.pages[0].mediabox
    assert float(box.width) * 25.4 / 72 == pytest.approx(297, abs=0.5)
    assert float(box.height) * 25.4 / 72 == pytest.approx(210, abs=0.5)
    # A bookmark per section, at its first page.
    assert [(o.title, reader.get_destination_page_number(o)) for o in reader.outline] == [("Alpha", 0), ("Beta", 1)]
    assert reader.metadata.title == "PMO board pack: October 2026"


def test_a_missing_browser_is_named_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("PMO_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert pdf.unavailable() == f"$PMO_CHROMIUM={tmp_path / 'no-such-chromium'}: no such browser"
    with pytest.raises(pdf.PDFUnavailable, match="no-such-chromium: no such browser"):
        pdf.board_pack(tmp_path / "pack.pdf", [pdf.Section("Alpha", ALPHA)], "x", "y")
    assert not (tmp_path / "pack.pdf").exists()
    # `pmo report --pdf` (pdf="always") refuses before running anything; exit code 2, a usage error.
    with pytest.raises(pdf.PDFUnavailable, match="cannot print the PDF board pack: .*no such browser; nothing was run"):
        cycle.build_report("2026-10", database=tmp_path / "absent.duckdb", out_dir=tmp_path / "reports", pdf="always")
    assert not (tmp_path / "reports").exists()
    assert pdf.PDFUnavailable("x").exit_code == 2


def test_an_unknown_pdf_choice_is_a_usage_error(tmp_path):
    with pytest.raises(cycle.UsageError, match="pdf='sometimes': expected one of never, if-possible, always"):
        cycle.build_report("2026-10", database=tmp_path / "absent.duckdb", out_dir=tmp_path / "r", pdf="sometimes")


def test_footer_text_is_escaped(tmp_path):
    target = tmp_path / "pack.pdf"
    pdf.board_pack(target, [pdf.Section("<b>R&D</b>", ALPHA)], "a < b & c", "t")
    text = _text(PdfReader(io.BytesIO(target.read_bytes())))[0]
    assert "<b>R&D</b>" in text and "a < b & c · page 1 of 1" in text


@pytest.fixture
def month_env(demo_db, tmp_path, monkeypatch):
    """A copy of the demo database, October's exports, and a one-cell notebook as the whole pack."""
    import shutil

    import nbformat

    database = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_db, database)
    book = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    book.cells = [nbformat.v4.new_code_cell("month = None\ndb = None", metadata={"tags": ["parameters"]}),
                  nbformat.v4.new_markdown_cell("# Tiny page"), nbformat.v4.new_code_cell("print('tiny', month)")]
    nbformat.write(book, str(tmp_path / "tiny.ipynb"))
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(tmp_path / "tiny.ipynb"))
    monkeypatch.delenv("PMO_CHROMIUM", raising=False)
    return database, demo_db.parent / "sample" / "2026-10", tmp_path / "reports"


def test_pmo_month_prints_the_pack_and_no_pdf_skips_it(month_env, run):
    database, exports, out = month_env
    code, printed, err = run("month", "2026-10", exports, "--db", database, "--out", out)
    assert code == 0, err
    target = out / "2026-10" / "board-pack-2026-10.pdf"
    reader = PdfReader(target)
    assert [o.title for o in reader.outline] == ["Summary", "Tiny page"]
    assert f"board pack: {target} ({len(reader.pages)} pages)" in printed
    assert "[5/5] writing index.html" in err and "[4/5] printing the board pack board-pack-2026-10.pdf (2 sections)" in err
    code, printed, err = run("month", "2026-10", exports, "--db", database, "--out", out, "--no-pdf")
    assert code == 0, err
    assert not target.exists() and "board pack" not in printed and "printing" not in err
    assert "board-pack" not in (out / "2026-10" / "index.html").read_text(encoding="utf-8")


def test_without_a_browser_pmo_month_says_so_and_pmo_report_pdf_refuses(month_env, run, monkeypatch, tmp_path):
    database, exports, out = month_env
    monkeypatch.setenv("PMO_CHROMIUM", str(tmp_path / "gone"))
    code, printed, err = run("month", "2026-10", exports, "--db", database, "--out", out)
    assert code == 0, err
    assert f"no PDF board pack: $PMO_CHROMIUM={tmp_path / 'gone'}: no such browser (--no-pdf to skip it)" in err
    assert sorted(p.name for p in (out / "2026-10").iterdir()) == ["index.html", "tiny.html", "tiny.ipynb"]
    before = {p.name: p.read_bytes() for p in (out / "2026-10").iterdir()}
    code, printed, err = run("report", "--month", "2026-10", "--db", database, "--out", out, "--pdf")
    assert code == 2
    assert err.strip().splitlines() == [f"error: cannot print the PDF board pack: $PMO_CHROMIUM={tmp_path / 'gone'}: "
                                        "no such browser; nothing was run"]
    assert {p.name: p.read_bytes() for p in (out / "2026-10").iterdir()} == before
