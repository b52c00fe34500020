"""pyproject.toml is the single source of dependencies; environment.yml and CI must agree with it."""
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = _pyproject()["project"]
    wanted = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= set(extra)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {p for p in pip if not p.startswith("-e")}
    assert listed == wanted, f"only in pyproject: {wanted - listed}; only in environment.yml: {listed - wanted}"


def test_widget_stack_is_pinned_to_tested_ranges():
    deps = " ".join(_pyproject()["project"]["optional-dependencies"]["notebooks"])
    for pin in ("voila>=0.5.6,<0.6", "ipywidgets>=8.1.5,<8.2", "jupyterlab>=4.2,<4.7"):
        assert pin in deps


def test_console_script_and_ci():
    assert _pyproject()["project"]["scripts"]["pmo"] == "pmo_analytics.cli:main"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile
