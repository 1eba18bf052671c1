"""The outbox history is complete: every write is recorded, including writes made during
beforeunload and pagehide of a closing or navigating page (NOTES: CDP misses those)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.builds import load_build
from tests.harness.e2e import scenario_from_text

WRITER = Path(__file__).parent / "fixtures" / "writer.js"

SCENARIO = """
name: observer_completeness
judges: [no_loss]
settle: 0
heal: false
steps:
  - open: home
  - send: {category: test, action: s1}
  - send: {category: test, action: s2}
  - close: {before_unload: true}
  - open: home
    tab: b
  - navigate: page2
    tab: b
  - close: {before_unload: false}
    tab: b
  - open: home
    tab: c
"""


@pytest.mark.browser
def test_every_write_is_recorded_including_unload(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(load_build(str(WRITER)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    writes = [w for w in result.history.writes if w.key == "opsmantik_outbox_v2"]
    recorded = [e.id.split("-/")[0] for w in writes if w.kind == "write" for e in w.added]
    expected = (
        ["load", "s1", "s2", "beforeunload-a", "beforeunload-b", "pagehide-a", "pagehide-b"]  # tab main, closed
        + ["load", "beforeunload-a", "beforeunload-b", "pagehide-a", "pagehide-b"]  # tab b leaves home
        + ["load", "pagehide-a", "pagehide-b"]  # tab b's page2 loads, then closes without beforeunload
        + ["load"]  # tab c
    )
    assert recorded == expected
    # The final read of the real storage found nothing the observer had not seen.
    assert [w for w in writes if w.kind == "snapshot"] == []
