"""The layering as import-linter contracts (pyproject.toml, ``[tool.importlinter]``):
``harness.contract`` imports nothing of the project, and the Sync stub / ingest service import
nothing of the harness but the contract. The contracts hold, they list every harness package,
and they fail when a forbidden import is added."""
from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

import harness

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True))"


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def test_the_layers_hold() -> None:
    assert Path(harness.__file__).resolve().is_relative_to(ROOT), "linting another checkout than this one"
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_every_harness_package_is_listed() -> None:
    """A new package of the harness is forbidden to the contract and the stub until listed otherwise."""
    others = {f"harness.{m.name}" for m in pkgutil.iter_modules(harness.__path__)} - {"harness.contract"}
    c = contracts()
    assert set(c["contract-imports-nothing"]["forbidden_modules"]) == others | {"server_stub"}
    assert set(c["stub-uses-only-the-contract"]["forbidden_modules"]) == others


@pytest.mark.parametrize("module, line, broken", [
    ("harness/contract/history.py", "from harness.checker import judge", "harness.contract imports nothing"),
    ("server_stub/ingest/store.py", "import harness.run.scenario", "server_stub imports only harness.contract"),
])
def test_a_forbidden_import_breaks_a_contract(tmp_path, module, line, broken) -> None:
    for package in ("harness", "server_stub"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.js", "*.html", "*.sql"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}\n")
    res = subprocess.run([sys.executable, "-c", LINT], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stdout + res.stderr
    # The copy is what was linted (the tree itself passes): the contract is named broken.
    assert "Broken contracts" in res.stdout, res.stdout
    assert broken in res.stdout.split("Broken contracts", 1)[1], res.stdout
