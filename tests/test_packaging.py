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


def test_the_widget_stack_is_bounded_and_what_runs_is_inside_the_bounds():
    """voila, ipywidgets and jupyterlab break together: each is declared with an upper bound, and the
    versions these tests run on satisfy the declared ranges (the ranges are the tested ones)."""
    from importlib.metadata import version

    from packaging.requirements import Requirement

    declared = {Requirement(r).name: Requirement(r).specifier
                for r in _pyproject()["project"]["optional-dependencies"]["notebooks"]}
    for name in ("voila", "ipywidgets", "jupyterlab"):
        spec = declared[name]
        assert any(s.operator in ("<", "<=", "~=", "==") for s in spec), f"{name} {spec} has no upper bound"
        assert spec.contains(version(name)), f"{name} {version(name)} is outside {spec}"


def test_console_script_and_ci():
    assert _pyproject()["project"]["scripts"]["pmo"] == "pmo_analytics.cli:main"
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "\ndemo:" in makefile and "\ntest:" in makefile
