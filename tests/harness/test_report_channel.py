"""The send-report channel (a raw CDP binding per tab, ContextSession._report_channel) is in every
document a tab loads before any script runs: the first document, a navigation, a reload. A page
the harness did not open (a popup) gets it once the harness hears of it: in time when the popup is
still loading its document, else what it reported before waited in the page and goes then."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.builds import load_build
from harness.world.context import ContextSession
from tests.harness.e2e import scenario_from_text

pytestmark = pytest.mark.browser

SENDER = Path(__file__).parent / "fixtures" / "sender.js"

SCENARIO = """
name: report_channel
judges: [no_loss]
settle: 0
heal: false
steps:
  - open: home
  - advance: 2s
  - navigate: page2
  - advance: 2s
  - reload: true
  - advance: 2s
"""


def test_every_document_of_a_tab_reports_from_its_first_script_and_a_popups_gap_is_named(tank_worlds) -> None:
    result = tank_worlds.get("memory").run(load_build(str(SENDER)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    h = result.history
    sent = sorted(ev.payload["el"] for e in h.journal if e.method == "POST" for ev in e.events)
    reported = sorted(p["el"] for a in h.attempts for p in a.payloads)
    tab = sorted(f"tab/{page} {when}" for page in ("", "page2", "page2") for when in ("at once", "later"))
    assert [s for s in sent if s.startswith("tab")] == tab, sent
    assert [s for s in reported if s.startswith("tab")] == tab, reported  # first script of each document too
    assert "popup/page2 later" in sent and "popup/page2 later" in reported, (sent, reported)
    # The popup's first send goes as its script runs: reported at once when the harness attached its
    # channel while the popup was still loading its document, else when it attached it.
    assert "popup/page2 at once" in reported, reported
    assert not [n for n in result.verdict.notes if "report(s) of the instrumentation never arrived" in n]


def test_a_popup_heard_of_after_its_first_send_still_reports_it(tank_worlds, monkeypatch) -> None:
    """The harness attaches the popup's channel only after its document loaded (a loaded machine, or
    a slow `popup` event): the report of its first send, made before, waited in the page."""
    attach = ContextSession._report_channel

    def late(self: ContextSession, page) -> None:  # noqa: ANN001
        async def after_load() -> None:
            await page.wait_for_load_state("load")
            await attach(self, page, self.page_name(page), popup=True)
        task = asyncio.ensure_future(after_load())
        self._channels.add(task)
        task.add_done_callback(lambda t: (self._channels.discard(t), t.cancelled() or t.exception()))

    monkeypatch.setattr(ContextSession, "_on_popup", late)
    result = tank_worlds.get("memory").run(load_build(str(SENDER)), scenario_from_text(SCENARIO))
    assert result.error is None, result.error
    reported = sorted(p["el"] for a in result.history.attempts for p in a.payloads)
    assert "popup/page2 at once" in reported and "popup/page2 later" in reported, reported
    assert not [n for n in result.verdict.notes if "report(s) of the instrumentation never arrived" in n], result.verdict.notes
