"""An executed notebook as the director reads it, and as the analyst gets it.

`to_html` drops the code, the prompts, the widgets, the warnings and the cells tagged for the analyst
(how to run it, the key numbers the tests check, the interactive part), and keeps the findings,
figures (PNG, with alt text naming their section) and tables, in JupyterLab's template without the
scripts it would fetch from CDNs, so a page opens offline and shows everything without a kernel.
`csv_files` gives the full lists behind a page's tables (present.tables.ReportTable), named
`<page>-<table>.csv` and linked from the page. `normalise` makes
the published .ipynb stable from one run to the next (cell ids, no frozen widgets).
"""
from __future__ import annotations

import copy
import html
import re
from pathlib import Path

# Cells tagged with one of these are left out of the HTML (the interactive widget cells go anyway).
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "report-skip", "remove_cell", "analyst"})
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CSV_MIME = "text/csv"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_IMG = re.compile(r"<img\b[^>]*\bsrc=\"data:image/(?:png|jpeg|svg\+xml)")
_TABLE = re.compile(r"<table\b")
_TEMPLATE = "pmo_report.html.j2"


def count_figures(page: str) -> int:
    """How many embedded images a rendered page shows."""
    return len(_IMG.findall(page))


def count_tables(page: str) -> int:
    """How many HTML tables a rendered page shows."""
    return len(_TABLE.findall(page))


def normalise(nb, final_path: Path):
    """The executed notebook as it is published: stable cell ids, no frozen widgets (their model ids
    are random and they only work with a live kernel), papermill's output path the published one."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    if "papermill" in nb.metadata:
        nb.metadata.papermill["output_path"] = str(final_path)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
    return nb


def title(nb, fallback: str) -> str:
    """The notebook's first level-one markdown heading, else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def csv_name(stem: str, name: str) -> str:
    """The file a table's full list is written to: `<page>-<name>.csv`, only safe characters."""
    base = _SAFE_NAME.sub("-", Path(str(name)).name).strip("-.") or "table"
    return f"{stem}-{base.removesuffix('.csv')}.csv"


def csv_files(nb, stem: str) -> dict[str, str]:
    """The full lists behind the page's tables: file name -> CSV text (outputs carrying text/csv)."""
    files = {}
    for output in _outputs(nb):
        if CSV_MIME in output.get("data", {}):
            name = output.get("metadata", {}).get(CSV_MIME, {}).get("filename", "table")
            files[csv_name(stem, name)] = output["data"][CSV_MIME]
    return files


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code" and not set(cell.get("metadata", {}).get("tags", [])) & HIDDEN_TAGS:
            yield from cell.outputs


def to_html(nb, heading: str, stem: str = "page") -> str:
    """The notebook as a director reads it: no code, no prompts, no widgets, no warnings, no analyst
    cells; findings, figures embedded as PNG and tables as HTML, so it shows everything without a
    kernel. A table's CSV link points at its file from csv_files(nb, stem)."""
    from nbconvert import HTMLExporter

    view = copy.deepcopy(nb)
    view.metadata.pop("widgets", None)
    for output in _outputs(view):
        name = output.get("metadata", {}).get(CSV_MIME, {}).get("filename")
        if name and "text/html" in output.get("data", {}):
            output["data"]["text/html"] = output["data"]["text/html"].replace(
                f"href='{html.escape(name)}'", f"href='{html.escape(csv_name(stem, name))}'")
    view.cells = _director_cells(view.cells, heading)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, extra_loaders=[_report_template()],
                            template_file=_TEMPLATE)
    body, _ = exporter.from_notebook_node(view, resources={"metadata": {"name": heading}})
    return body


def _director_cells(cells: list, heading: str) -> list:
    """The cells a director sees: none hidden by tag, no interactive cell (nor the markdown that
    introduces it), outputs without widgets and stderr; every figure's alt text names its section."""
    kept_cells, figure = [], 0
    for cell in cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines()
                            if line.startswith("#")), heading)
        if cell.cell_type == "code":
            kept = [o for o in cell.outputs if not _interactive_or_noise(o)]
            if cell.outputs and not kept:
                # An interactive cell: left out, with the markdown that introduces it.
                if kept_cells and kept_cells[-1].cell_type == "markdown":
                    kept_cells.pop()
                continue
            for output in kept:
                if "image/png" in output.get("data", {}):
                    figure += 1  # alt text: the section the figure illustrates
                    output.setdefault("metadata", {})["pmo_alt"] = f"Figure {figure}: {heading}"
            cell.outputs = kept
        kept_cells.append(cell)
    for i, cell in enumerate(kept_cells):
        cell["id"] = f"cell-{i}"
        cell.metadata = {}
    return kept_cells


def _report_template():
    """JupyterLab's HTML template without the scripts it fetches from CDNs (require.js, MathJax,
    Mermaid): a report shows only PNG figures and HTML tables, and opens offline."""
    import jinja2

    return jinja2.DictLoader({_TEMPLATE: (
        "{%- extends 'lab/index.html.j2' -%}\n"
        "{%- block html_head_js -%}{%- endblock html_head_js -%}\n"
        "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
        "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
        "{%- block data_png scoped -%}\n"
        "<div class=\"jp-RenderedImage jp-OutputArea-output {{ extra_class }}\">\n"
        "<img src=\"data:image/png;base64,{{ output.data['image/png'] | escape_html }}\" "
        "alt=\"{{ output.metadata.get('pmo_alt', 'Figure') | escape_html }}\">\n"
        "</div>\n"
        "{%- endblock data_png -%}\n")})


def _interactive_or_noise(output) -> bool:
    """A widget, or a warning on stderr: neither belongs in a report."""
    if WIDGET_MIME in output.get("data", {}):
        return True
    return output.get("output_type") == "stream" and output.get("name") == "stderr"
