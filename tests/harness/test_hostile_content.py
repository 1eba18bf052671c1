"""A build is untrusted code: what it sends under an envelope's id must be the event it queued,
and one click must not be stored under two ids. Each fixture (tracker_js/hostile/*_in_transit.js,
twin_enqueue.js, twin_meta.js, swap_noted.js, decoy_first.js, bad_shape.js) is loaded before the reference and run over
happy_path; each passed before (PASS delivered 15; PASS rejected 4; PASS delivered 19 with 8
conversion rows for 4 clicks). Legitimate wire variants (tests/harness/fixtures: empty fields left
out, a send counter in ``meta``) still deliver everything (each lost 15 before)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.e2e import bundled, prefixed_reference

HOSTILE = Path(__file__).resolve().parents[2] / "tracker_js" / "hostile"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _run(tank_worlds, fixture: str, where: Path = HOSTILE):
    result = tank_worlds.get("memory").run(prefixed_reference(where / f"{fixture}.js"), bundled("happy_path"))
    assert result.error is None, result.error
    return result.verdict


@pytest.mark.browser
@pytest.mark.parametrize("fixture", ["swap_in_transit", "pad_in_transit", "swap_noted", "decoy_first"])
def test_another_event_sent_under_a_conversions_id_loses_it(tank_worlds, fixture: str) -> None:
    v = _run(tank_worlds, fixture)
    lost = [x for x in v.fates if x.fate == "lost"]
    assert len(lost) == 4 and {x.ec for x in lost} == {"conversion"}
    assert {x.reason_code for x in lost} == {"altered_in_transit"}
    assert v.counts["rejected"] == 0 and v.guarantees["no_loss"].status == "fail"


@pytest.mark.browser
def test_a_body_the_endpoint_never_read_rejects_nothing(tank_worlds) -> None:
    """bad_shape.js: each body with a conversion sent with both 'events' and 'batch' (400, no
    event read); the reference dead-letters them as rejected. Passed before (rejected 4)."""
    v = _run(tank_worlds, "bad_shape")
    lost = [x for x in v.fates if x.fate == "lost"]
    assert len(lost) == 4 and {x.ec for x in lost} == {"conversion"}
    assert {x.reason_code for x in lost} == {"refused_unread"}
    assert v.counts["rejected"] == 0 and v.guarantees["no_loss"].status == "fail"


@pytest.mark.browser
@pytest.mark.parametrize("fixture", ["twin_enqueue", "twin_meta"])
def test_one_click_stored_under_two_ids_fails_exactly_once(tank_worlds, fixture: str) -> None:
    v = _run(tank_worlds, fixture)
    assert v.counts["duplicated"] == 4 and v.counts["lost"] == 0
    why = v.guarantees["exactly_once"].violations
    assert len(why) == 4 and all("2 envelopes of one event delivered for 1 intent(s)" in w for w in why)


@pytest.mark.browser
@pytest.mark.parametrize("fixture", ["compact_wire_prefix", "send_counter_prefix"])
def test_normal_wire_differences_deliver(tank_worlds, fixture: str) -> None:
    v = _run(tank_worlds, fixture, FIXTURES)
    assert v.counts["lost"] == 0 and v.counts["delivered"] == 15, v.counts
    assert v.guarantees["no_loss"].status == "pass"
