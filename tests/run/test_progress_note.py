"""What the watchdog says of a running scenario reaches the console as it comes (a slow run says
why it may take minutes), through the suite's progress, on a terminal and in a piped log alike."""
from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console

from harness.run import suite
from harness.run.progress import Progress


def test_a_word_on_a_running_scenario_is_printed_at_once() -> None:
    console = Console(record=True, width=200, force_terminal=False)
    with Progress(console, 1, live=False) as progress:
        progress.started("lumpy")
        progress.note("lumpy", "slow: 80000 timers in 100000 page-ms [0.40 a page ms]")
        assert "lumpy: slow: 80000 timers in 100000 page-ms [0.40 a page ms]" in console.export_text()


def test_the_suite_hands_the_watchdogs_word_to_the_scenario(monkeypatch: Any) -> None:
    """run_scenario_or_error passes ``on_word`` on (before: no way for a word to leave the run)."""
    seen: dict[str, Any] = {}

    async def fake_run(world: Any, scenario: Any, build: Any, adapter: Any, **kw: Any) -> str:
        seen.update(kw)
        kw["on_word"]("slow: …")
        return "result"

    words: list[str] = []
    monkeypatch.setattr(suite, "run_scenario", fake_run)
    assert asyncio.run(suite.run_scenario_or_error(None, None, None, None, on_word=words.append)) == "result"  # type: ignore[arg-type]
    assert words == ["slow: …"] and "phase" in seen
