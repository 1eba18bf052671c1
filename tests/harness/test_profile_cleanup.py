"""A persistent context's profile folder (browser restarts) is removed whatever goes wrong: a context
whose set-up fails after Chromium started is closed with its folder, and a folder kept over a
restart whose reopening never came is removed when the scenario ends."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.world import context as context_module
from tests.harness.e2e import bundled_scenarios


@pytest.mark.browser
@pytest.mark.parametrize("fail_at", [1, 2], ids=["first-open", "reopen-after-restart"])
def test_a_failed_context_start_leaves_no_profile_folder(tank_worlds, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path, fail_at: int) -> None:
    started: list[int] = []
    real_start = context_module.ContextSession._start_observer

    async def observer_start(self, *args, **kwargs) -> None:
        """The observer page's start, made to fail at the ``fail_at``-th context start."""
        started.append(1)
        if len(started) == fail_at:
            raise RuntimeError("observer start failed (injected)")
        await real_start(self, *args, **kwargs)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's profile folders land here
    monkeypatch.setattr(context_module.ContextSession, "_start_observer", observer_start, raising=True)
    scenario = next(s for s in bundled_scenarios() if s.name == "browser_restart")
    result = tank_worlds.get("memory").run(load_build("reference"), scenario)
    assert result.error is not None and "observer start failed" in result.error
    assert len(started) == fail_at
    assert sorted(p.name for p in tmp_path.glob("tank-profile-*")) == []
