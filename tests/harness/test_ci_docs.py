"""docs/ci.md is checked, not trusted: every YAML block parses, and every command its jobs run —
`tankharness …`, `pytest …`, `make …`, `python -m playwright …`, `pip …` — names a command, target
and options that exist (tankharness command lines are parsed by the real CLI, without running)."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from harness.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CI_DOC = ROOT / "docs" / "ci.md"
# CI variables as a job would see them (shard 1 of 3)
VARIABLES = {"${{ matrix.shard }}": "1", "${CI_NODE_INDEX}": "1", "${CI_NODE_TOTAL}": "3"}


def yaml_blocks() -> list[Any]:
    text = CI_DOC.read_text()
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def commands(node: Any) -> Iterator[str]:
    """Every shell line a job runs: GitHub's ``run:``, GitLab's ``script:``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                yield value
            elif key == "script" and isinstance(value, list):
                yield from (str(v) for v in value)
            else:
                yield from commands(value)
    elif isinstance(node, list):
        for item in node:
            yield from commands(item)


def argv(line: str) -> list[str]:
    for name, value in VARIABLES.items():
        line = line.replace(name, value)
    assert "${" not in line, f"unknown CI variable in {line!r}"
    return shlex.split(line)


def check_tankharness(args: list[str]) -> None:
    sub, rest = args[0], args[1:]
    command = cli.commands.get(sub)
    assert command is not None, f"tankharness has no command {sub!r}"
    try:
        command.make_context(sub, list(rest))  # parses and converts every option; runs nothing
    except click.ClickException as exc:
        pytest.fail(f"tankharness {' '.join(args)}: {exc.format_message()}")


def help_text(*cmd: str) -> str:
    r = subprocess.run([sys.executable, *cmd, "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def check_options(args: list[str], helptext: str, what: str) -> None:
    for token in args:
        if token.startswith("-"):
            option = token.split("=")[0]
            assert re.search(rf"(^|[\s,]){re.escape(option)}([\s=,]|$)", helptext, flags=re.M), f"{what}: no option {option}"


def check_make(args: list[str]) -> None:
    makefile = (ROOT / "Makefile").read_text()
    for token in args:
        if "=" in token:
            name, _, value = token.partition("=")
            assert f"$({name})" in makefile, f"the Makefile does not use {name}"
            if name == "ARGS":
                check_tankharness(["run", *shlex.split(value)])
        else:
            assert re.search(rf"^{re.escape(token)}:", makefile, flags=re.M), f"no make target {token!r}"


def check_pytest(args: list[str], tmp: Path) -> None:
    """Collect (no run) with exactly these options, in a folder where ``scenarios/`` is the project's."""
    (tmp / "scenarios").symlink_to(ROOT / "scenarios")
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "harness.pytest_plugin", "-p", "no:cacheprovider",
                        *args, "--collect-only", "-q"], capture_output=True, text=True, timeout=300, cwd=tmp,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0 and "collected" in r.stdout, f"pytest {' '.join(args)}:\n{r.stdout[-800:]}{r.stderr[-800:]}"


def test_every_ci_command_exists(tmp_path: Path) -> None:
    blocks = yaml_blocks()
    assert len(blocks) >= 3, "docs/ci.md: the GitHub workflow, the pytest variant and the GitLab job"
    lines = [argv(line) for block in blocks for line in commands(block)]
    helps: dict[str, str] = {}
    seen: set[str] = set()
    for args in lines:
        if args[0] == "tankharness":
            check_tankharness(args[1:])
        elif args[0] == "pytest":
            check_pytest(args[1:], tmp_path)
        elif args[0] == "make":
            check_make(args[1:])
        elif args[:4] == ["python", "-m", "playwright", "install"]:
            helps.setdefault("playwright", help_text("-m", "playwright", "install"))
            check_options(args[4:], helps["playwright"], "playwright install")
        elif args[:2] == ["pip", "install"]:
            assert args[2:] in (["-e", "."], ["-e", ".[test]"]), args
        else:
            pytest.fail(f"docs/ci.md runs a command this test does not know: {' '.join(args)}")
        seen.add(args[0])
    assert {"tankharness", "pytest", "make"} <= seen


def test_the_github_matrix_and_the_shards_agree() -> None:
    workflow = yaml_blocks()[0]
    jobs = workflow["jobs"]
    shards = jobs["scenarios"]["strategy"]["matrix"]["shard"]
    [run] = [line for line in commands(jobs["scenarios"]) if line.startswith("tankharness run")]
    assert f"--shard ${{{{ matrix.shard }}}}/{len(shards)}" in run and shards == list(range(1, len(shards) + 1))
    uploads = [s for s in jobs["scenarios"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and uploads[0]["if"] == "always()"
    [merge] = [line for line in commands(jobs["report"]) if line.startswith("tankharness merge")]
    for artifact in ("--report-json", "--junit", "--html"):
        assert artifact in run and artifact in merge
