"""Ctrl-C while ``tankharness`` still imports what it needs — its commands at start-up, or what a
command loads lazily — exits 130 with one line, no traceback. An import hook raises the
KeyboardInterrupt (what Python turns a SIGINT into) at the chosen module, so the moment is exact;
in-process, so no interpreter start is paid."""
from __future__ import annotations

import importlib.abc
import sys

import pytest
from click.testing import CliRunner

from harness import entry
from harness.cli import cli


class _InterruptAt(importlib.abc.MetaPathFinder):
    def __init__(self, name: str) -> None:
        self.name = name

    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name == self.name:
            raise KeyboardInterrupt
        return None


def _interrupt_when_importing(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.delitem(sys.modules, name, raising=False)  # imported afresh, through the hook
    monkeypatch.setattr(sys, "meta_path", [_InterruptAt(name), *sys.meta_path])


def test_ctrl_c_while_the_commands_load_exits_130_quietly(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _interrupt_when_importing(monkeypatch, "harness.cli")
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 130 and capsys.readouterr().err == "tankharness: interrupted\n"


def test_ctrl_c_while_a_command_loads_exits_130_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    _interrupt_when_importing(monkeypatch, "harness.run.suite")
    result = CliRunner().invoke(cli, ["run", "--ingest", "memory", "--only", "none"])
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output and result.output.strip() == "tankharness: interrupted"
