"""A build whose dead-letter records carry no id ({ts, status, ec, ea, attempts, reason}, NOTES.md)
sheds heartbeats at its cap: the id-less record at each removal is its overflow record
(checker.dropproof), as on the rejected path."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.e2e import bundled, prefixed_reference

PREFIX = Path(__file__).parent / "fixtures" / "idless_dead_prefix.js"


@pytest.mark.browser
def test_idless_dead_letters_record_overflow_sheds(tank_worlds) -> None:
    """outage_overflow_short: before, every shed heartbeat was lost ("removed … before any send
    (stale save or another tab's overwrite)") and the scenario failed."""
    result = tank_worlds.get("memory").run(prefixed_reference(PREFIX), bundled("outage_overflow_short"))
    assert result.error is None, result.error
    v = result.verdict
    shed = [f for f in v.fates if f.reason_code == "overflow"]
    assert shed and all(f.ea == "heartbeat" and "recorded without an id" in f.reason for f in shed)
    assert not [f for f in v.fates if f.fate == "lost"], [(f.ea, f.reason) for f in v.fates if f.fate == "lost"][:3]
    assert v.guarantees["no_loss"].status == "pass" and v.guarantees["overflow"].status == "pass"
