"""A build's own claims about a drop are not proof (checker.dropproof, the recorder's stamp bounds):
the reference tracker behind a prefix that forges one claim each, on happy_path (four
conversions, a healthy network). Before, each passed with the conversions ``dropped_policy``."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.e2e import bundled, prefixed_reference

pytestmark = pytest.mark.browser

FORGED = Path(__file__).parent / "fixtures" / "forged"


def _run(tank_worlds, prefix: str, scenario: str = "happy_path"):
    result = tank_worlds.get("memory").run(prefixed_reference(FORGED / f"{prefix}.js"), bundled(scenario), None)
    assert result.error is None, result.error
    return result


def _conversions(verdict):
    return [f for f in verdict.fates if f.ec == "conversion"]


@pytest.mark.parametrize(("prefix", "code", "claim"), [
    ("ttl", "unproven_drop", "the build counted attempts=11: 11 tries the harness did not see as sends"),
    ("stamp", "unproven_drop", "the build counted attempts=11: 11 tries the harness did not see as sends"),
    ("overflow", "unproven_overflow", "a conversion is never shed"),
])
def test_a_forged_drop_is_lost(tank_worlds, prefix: str, code: str, claim: str) -> None:
    v = _run(tank_worlds, prefix).verdict
    conv = _conversions(v)
    assert len(conv) == 4 and all(f.fate == "lost" and f.reason_code == code for f in conv), \
        [(f.fate, f.reason_code, f.reason) for f in conv]
    assert all(claim in f.reason for f in conv), conv[0].reason
    assert v.guarantees["no_loss"].status == "fail"
    assert v.counts.get("dropped_policy", 0) == 0


def test_a_forged_stamp_dates_nothing(tank_worlds) -> None:
    """stamp.js dated its removals 25 h ahead in a 10 s run and named writer forged#1."""
    result = _run(tank_worlds, "stamp")
    h = result.history
    assert h.writes and all(w.t_page <= h.t_page_end for w in h.writes), max(w.t_page for w in h.writes) - h.t_page_end
    assert not any((w.writer or "").startswith("forged") for w in h.writes)
    assert any(n.startswith("tampering: context") and "forged#1" in n for n in h.notes), h.notes
    assert all("+25h" not in f.reason for f in result.verdict.fates)


def test_a_stamp_forged_inside_a_running_advance_dates_nothing(tank_worlds) -> None:
    """stamp_in_advance.js, inside the 26 h advance: 11 real failed sends per conversion, then the
    build's own stamp 25 h ahead (within the advance's target) before removing it a page-minute
    later. Before (stamps bounded only): PASS, the conversions dropped_policy "at +25h01m01s";
    now the unsealed stamp is not taken: the removals are dated by the harness clock, the
    conversions lost, and one tampering note counts the stamps (not one note per write)."""
    result = _run(tank_worlds, "stamp_in_advance", "outage_26h_overflow")
    v = result.verdict
    conv = _conversions(v)
    assert conv and all(f.fate == "lost" for f in conv), [(f.fate, f.reason) for f in conv]
    assert v.guarantees["no_loss"].status == "fail"  # heartbeats shed at the cap stay dropped_policy
    notes = [n for n in result.history.notes if n.startswith("tampering:")]
    assert len(notes) == 1 and f"{len(conv)} write(s) came with a stamp" in notes[0] and "did not seal" in notes[0], notes


def test_a_build_assigning_the_tab_name_does_not_change_the_writer(tank_worlds) -> None:
    """window.__tankTab = 'forged' in the build: before, every write was recorded as writer forged#1."""
    result = _run(tank_worlds, "tab")
    writers = {w.writer for w in result.history.writes if w.kind == "write"}
    assert writers and all(w is not None and w.startswith("main#") for w in writers), writers
    assert result.verdict.guarantees["no_loss"].status == "pass"
