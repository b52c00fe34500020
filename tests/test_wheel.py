"""The workbench as a user installs it: a built wheel (not an editable checkout) in a fresh virtual
environment, run from a folder that is not the checkout. `pmo demo`, `pmo month` and `pmo serve`
must work from what the wheel ships: notebooks, dashboards, the Voila settings and template,
profiles and KPI targets (pmo_analytics/packaged.py finds them with importlib.resources).

The fresh environment gets the wheel only; its dependencies are this environment's, reached through
one path line (a `.pth` file) and, for their data files (nbconvert's and Voila's templates), through
JUPYTER_PATH, so the test costs seconds, not a second install of the notebook stack.
Such a path line adds a folder to the import path without running the `.pth` files inside it, so the
checkout's editable install cannot leak into the fresh environment: a test checks that.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """A fresh venv holding the wheel; returns its python, pmo and a working folder outside the checkout."""
    base = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the sources, so nothing a local build left in the checkout (build/) leaks in.
    source = base / "source"
    local = {".git", ".venv", "data", "build", "dist", "reports", ".pytest_cache"}  # at the top only

    def ignore(folder, names):
        top = Path(folder) == ROOT
        return [n for n in names if (top and n in local) or n == "__pycache__" or n.endswith(".egg-info")]
    shutil.copytree(ROOT, source, symlinks=True, ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "-w", str(base / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    [wheel] = (base / "dist").glob("pmo_analytics-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=120)
    python = base / "venv" / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "pmo_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    work = base / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_") and k != "PYTHONPATH"}
    # The dependencies' data files (nbconvert's and Voila's templates) live under this environment's
    # share/jupyter, where a full install would have put them under the fresh one's.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return {"python": python, "pmo": base / "venv" / "bin" / "pmo", "work": work, "site": Path(site), "env": env,
            "wheel": wheel}


def _pmo(installed, *args, timeout=600):
    return subprocess.run([str(installed["pmo"]), *map(str, args)], cwd=installed["work"], env=installed["env"],
                          capture_output=True, text=True, timeout=timeout)


def test_the_wheel_ships_every_file_the_workbench_reads(installed):
    import zipfile

    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for wanted in ("pmo_analytics/notebooks/02_budget_variance.ipynb", "pmo_analytics/notebooks/dashboards/overview.ipynb",
                   "pmo_analytics/serve/voila.json", "pmo_analytics/serve/jupyter/voila/templates/pmo/conf.json",
                   "pmo_analytics/ingest/profiles/uk-gmpp.toml", "pmo_analytics/metrics/kpis.toml"):
        assert wanted in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    code = ("import pmo_analytics, pmo_analytics.packaged as p; "
            "print(pmo_analytics.__file__); print(p.DASHBOARDS); print(p.DASHBOARDS.is_dir())")
    out = subprocess.run([installed["python"], "-c", code], cwd=installed["work"], env=installed["env"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert Path(out[0]).is_relative_to(installed["site"]) and Path(out[1]).is_relative_to(installed["site"])
    assert out[2] == "True" and not Path(out[0]).is_relative_to(ROOT)


def test_demo_and_month_from_another_folder(installed):
    work = installed["work"]
    proc = _pmo(installed, "demo", "--projects", "12", "--months", "3")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (work / "data" / "pmo.duckdb").is_file() and len(list((work / "data" / "sample").iterdir())) == 3
    assert re.search(r"^2026-10 +12 ", proc.stdout, re.MULTILINE)
    proc = _pmo(installed, "month", "2026-10", work / "data" / "sample" / "2026-10", "--out", work / "reports")
    assert proc.returncode == 0, proc.stderr[-3000:]
    pack = work / "reports" / "2026-10"
    assert (pack / "index.html").is_file() and (pack / "02_budget_variance.html").is_file()
    assert "PMO monthly report" in (pack / "index.html").read_text(encoding="utf-8")


def test_serve_renders_a_dashboard_in_the_browser(installed):
    assert CHROMIUM, "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    work = installed["work"]
    if not (work / "data" / "pmo.duckdb").exists():
        assert _pmo(installed, "demo", "--projects", "12", "--months", "3").returncode == 0
    port = free_port()
    server = subprocess.Popen([str(installed["pmo"]), "serve", "--port", str(port)], cwd=work, env=installed["env"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
            page = browser.new_page()
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
            page.goto(f"{url}/voila/render/overview.ipynb", wait_until="commit", timeout=90_000)
            page.wait_for_selector(".pmo-tile[data-key=budget] .value", timeout=90_000)
            budget = page.inner_text(".pmo-tile[data-key=budget] .value")
            browser.close()
        assert re.fullmatch(r"£[0-9.,]+[km]?", budget.strip()), budget
        # `pmo serve` became Voila (exec): it serves the dashboards folder inside the installed wheel.
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        assert b"pmo_analytics.serve.voila_app" in command
        assert any(arg.decode().startswith(str(installed["site"])) and arg.endswith(b"dashboards") for arg in command)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        print(json.dumps({"served": url}))
