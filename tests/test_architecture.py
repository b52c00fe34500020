"""The rules the code keeps, enforced: layers without circles, modules and functions small enough to
read at a sitting, no SQL above the metrics, every setting reachable from the environment, and a
start-up that imports neither pandas nor matplotlib."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pmo_analytics import settings

PACKAGE = Path(__file__).resolve().parents[1] / "pmo_analytics"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
SQL = re.compile(r"^\s*(SELECT|WITH|INSERT|CREATE|DELETE|UPDATE|COPY|ATTACH)\b", re.IGNORECASE | re.MULTILINE)
ABOVE_METRICS = ("present", "ui", "reports", "serve", "cli.py", "cli_scenarios.py", "cli_forecast.py")


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_import_layers_hold():
    """import-linter's contracts in pyproject.toml (the layers, the leaf modules, the demo)."""
    proc = subprocess.run([str(Path(sys.executable).with_name("lint-imports"))], capture_output=True, text=True,
                          cwd=PACKAGE.parent)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout or " broken" not in proc.stdout.split("Contracts:")[-1]


def test_no_import_circle():
    """No two modules import each other, directly or round a longer circle (lazy imports included)."""
    import grimp

    graph = grimp.build_graph("pmo_analytics")
    circles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if graph.chain_exists(imported=module, importer=imported) and module != imported:
                circles.append(f"{module} <-> {imported}")
    assert circles == []


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_small_enough_to_read(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES


def _function_lengths(tree) -> list[tuple[str, int]]:
    """(name, lines) of every function, less its longest SQL string (a query may be long; logic not)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            strings = [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                       and SQL.search(n.value)]
            strings += [n for n in ast.walk(node) if isinstance(n, ast.JoinedStr)
                        and any(isinstance(v, ast.Constant) and SQL.search(str(v.value)) for v in n.values)]
            longest = max((n.end_lineno - n.lineno + 1 for n in strings), default=0)
            out.append((node.name, node.end_lineno - node.lineno + 1 - longest))
    return out


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short(path):
    long = [(name, n) for name, n in _function_lengths(ast.parse(path.read_text())) if n > MAX_FUNCTION_LINES]
    assert long == []


@pytest.mark.parametrize("path", [p for p in MODULES if _name(p).split("/")[1] in ABOVE_METRICS], ids=_name)
def test_no_sql_above_the_metrics(path):
    """Figures, views, dashboards, reports, the server and the CLI call the metrics and the store; they
    write no SQL of their own (matplotlib's layout engine has an execute too)."""
    text = path.read_text().replace(".get_layout_engine().execute(", "")
    assert not re.search(r"\.(sql|execute)\(", text)
    assert not [m.group(0) for m in re.finditer(r"\b(SELECT|FROM|WHERE) [a-z_]+\b", text)]


def test_every_setting_is_in_the_environment_and_in_help():
    proc = subprocess.run([sys.executable, "-m", "pmo_analytics", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for setting in settings.SETTINGS:
        assert re.match(r"^PMO_[A-Z_]+$", setting.env)
        assert re.search(rf"^\s+{setting.env}\s+{re.escape(str(setting.default))}: ", proc.stdout, re.MULTILINE)


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.env)
def test_a_setting_follows_its_environment_variable(setting, monkeypatch):
    wanted = {int: "3", float: "0.5", str: "elsewhere"}[type(setting.default)]
    monkeypatch.setenv(setting.env, wanted)
    assert setting.value() == type(setting.default)(wanted)
    monkeypatch.setenv(setting.env, "not-a-number")
    if isinstance(setting.default, (int, float)):
        from pmo_analytics.exceptions import UsageError

        with pytest.raises(UsageError, match=setting.env):
            setting.value()


@pytest.mark.parametrize("args", [["--help"], ["snapshots"]], ids=["help", "snapshots"])
def test_start_up_imports_neither_pandas_nor_matplotlib(args, db_file):
    env = {**os.environ, "PMO_DB": str(db_file)}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "pmo_analytics", *args], capture_output=True,
                          text=True, env=env)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time")}
    assert imported and not {m for m in imported if m.split(".")[0] in ("pandas", "matplotlib", "ipywidgets")}
