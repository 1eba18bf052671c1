"""Loading the CLI (what ``python -m harness --help`` and every CLI call pay before anything runs)
imports no heavy part of the harness: the scenario loader, the embedded proxy's server, aiohttp,
Playwright, psycopg and the checker load when a command needs them. Packages keep their public
names, resolved on first use (harness/lazy.py)."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("aiohttp", "playwright", "psycopg", "harness.scenario.loader", "harness.scenario.spec",
         "harness.toxiproxy.server", "harness.checker.judge", "harness.world", "harness.run")


def test_loading_the_cli_imports_nothing_heavy() -> None:
    code = ("import json, sys; import harness.cli; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'playwright', 'psycopg') "
            "or m.startswith('harness.'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == [], heavy


@pytest.mark.parametrize("package", ["harness.scenario", "harness.toxiproxy"])
def test_a_lazy_package_keeps_every_public_name(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(_home(module, name)), name)
    with pytest.raises(AttributeError, match=f"module '{package}' has no attribute 'nope'"):
        module.nope  # noqa: B018


@pytest.mark.parametrize("package", ["harness.scenario", "harness.toxiproxy"])
def test_no_lazy_name_is_also_a_submodule(package: str) -> None:
    """Importing a submodule sets the package attribute of its name: a lazy name equal to one would
    resolve to the module once anything imported it (why harness.checker, whose ``judge`` and
    ``timeline`` are both, stays eager)."""
    module = importlib.import_module(package)
    folder = Path(module.__file__).parent
    submodules = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
    assert set(module.__all__) & submodules == set()


def _home(module: object, name: str) -> str:
    return next(m for m, names in module.EXPORTS.items() if name in names)  # type: ignore[attr-defined]


def test_from_imports_still_work() -> None:
    import harness.checker.judge  # noqa: F401 - the submodule first: the package's judge stays the function
    from harness.checker import Policy, judge
    from harness.scenario import Scenario, ScenarioError, load_scenarios
    from harness.toxiproxy import serve
    assert callable(judge) and not isinstance(judge, type(sys)) and callable(load_scenarios) and callable(serve)
    assert Policy.__name__ == "Policy" and Scenario.__name__ == "Scenario" and issubclass(ScenarioError, Exception)
