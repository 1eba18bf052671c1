"""Send reports numbered at their markers' places among the storage writes (harness/history/sendorder.py,
ContextSession._on_report_call): the order the id-less matcher reads (``Touches.after``) is the
page's, whichever of the tab's report and the observer's batch arrives first."""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from harness.contract.adapter import Adapter
from harness.history.recorder import Recorder
from harness.world.context import ContextSession


def _session() -> ContextSession:
    return ContextSession("c", None, None, Recorder("s", "outbox", None), Adapter(), "http://127.0.0.1:1")  # type: ignore[arg-type]


def _report(session: ContextSession, n: int, record: dict[str, Any], load: str = "L") -> None:
    """What the tab's binding delivers: the MAC, then "load|n|json"."""
    message = f"{load}|{n}|{json.dumps({**record, 'load': load})}"
    mac = hmac.new(session.gate.key, message.encode(), hashlib.sha256).hexdigest()
    session._on_report_call("main", {"name": "__tankReport", "payload": mac + message})


def _observer(session: ContextSession, *msgs: dict[str, Any]) -> None:
    session._on_storage_call({"name": "__tankStorage", "payload": json.dumps(list(msgs))})


def _write(eid: str, attempts: int = 0) -> dict[str, Any]:
    return {"key": "outbox", "t": 5, "url": "u", "w": 1.0, "added": [], "removed": [], "length": 2,
            "changed": [{"id": eid, "ts": 1, "attempts": attempts, "payload": {"ec": "e"}}]}


def _order(session: ContextSession) -> list[str]:
    """The history's order: writes by the entry they changed, sends by id."""
    items = [(w.seq, f"write {w.changed[0].id}") for w in session.recorder.writes if w.changed]
    items += [(a.seq, f"send {a.via}") for a in session.recorder.history(t_page_end=0).attempts]
    return [what for _, what in sorted(items)]


START = {"type": "start", "id": 1, "via": "fetch", "t": 5, "page": "/", "mark": "s0000abc"}


def test_a_report_that_arrives_first_waits_for_its_marker() -> None:
    """The page touched b, then sent; the report came before the observer's batch."""
    session = _session()
    _report(session, 1, START)
    assert _order(session) == []  # held until the marker shows its place
    _observer(session, _write("b"), {"sync": "s0000abc", "w": 1.0}, _write("a"))
    assert _order(session) == ["write b", "send fetch", "write a"]


def test_a_marker_that_arrives_first_keeps_the_place_for_its_report() -> None:
    session = _session()
    _observer(session, _write("b"), {"sync": "s0000abc", "w": 1.0}, _write("a"))
    _report(session, 1, START)
    assert _order(session) == ["write b", "send fetch", "write a"]
    assert session.recorder.sync_marks.get("c") is None  # a marker is no flush token


def test_without_a_marker_a_report_is_numbered_on_arrival_and_a_lost_one_at_the_flush_point() -> None:
    session = _session()
    _report(session, 1, {**START, "mark": None})  # storage refused the marker
    _report(session, 2, {**START, "id": 2})  # its marker never comes (the observer gone)
    _observer(session, _write("b"))
    assert _order(session) == ["send fetch", "write b"]
    session.sends.release(session.sends.waiting())
    assert _order(session) == ["send fetch", "write b", "send fetch"]


def test_a_report_whose_marker_never_comes_is_kept_and_named_in_the_notes() -> None:
    """The end of a run releases every held report (a failed final read must not drop an attempt),
    and the report says that those sends were numbered by arrival."""
    session = _session()
    assert session.notes() == []
    _report(session, 1, START)  # the observer stopped: its marker never comes
    assert not session.recorder.history(t_page_end=0).attempts
    assert session.sends.release() == 1
    assert [a.via for a in session.recorder.history(t_page_end=0).attempts] == ["fetch"]
    [note] = session.notes()
    assert "1 send report(s) numbered by arrival" in note and note.startswith("context c:")
    assert session.sends.release() == 0  # nothing is numbered twice


def test_the_end_of_a_held_start_closes_it_once_the_start_is_placed() -> None:
    session = _session()
    _report(session, 1, START)
    _report(session, 2, {"type": "end", "id": 1, "t": 9, "outcome": "ok", "status": 200})
    _observer(session, {"sync": "s0000abc", "w": 1.0})
    [attempt] = session.recorder.history(t_page_end=0).attempts
    assert (attempt.outcome, attempt.status, attempt.t_page_end) == ("ok", 200, 9)


def test_a_report_without_a_valid_seal_counts_as_forged_and_a_skipped_n_as_missing() -> None:
    session = _session()
    for payload in (None, "", "0" * 64 + "L|1|{}", 42):
        session._on_report_call("main", {"name": "__tankReport", "payload": payload})
    session._on_report_call("main", {"name": "somethingElse", "payload": "x"})  # not ours
    assert session.gate.forged == 4
    _report(session, 3, {**START, "mark": None})
    assert session.gate.missing == 2 and len(session.recorder.history(t_page_end=0).attempts) == 1


async def test_a_failed_flush_still_numbers_the_reports_held_when_it_began() -> None:
    """A flush that raises (a tab's sentinel write failed) releases its held reports as a
    successful one does; before, they waited for the close and were numbered after later writes."""
    session = _session()
    _report(session, 1, START)  # its marker never comes

    class Tab:
        def is_closed(self) -> bool:
            return False

    async def broken(token: str) -> bool | None:
        raise RuntimeError("the tab's sentinel write failed")

    tab = Tab()
    session.tabs["main"] = tab  # type: ignore[assignment]
    try:
        await session.flush(via=tab, write=broken)  # type: ignore[arg-type]
    except RuntimeError:
        pass
    else:
        raise AssertionError("the flush did not fail")
    _observer(session, _write("b"))
    assert _order(session) == ["send fetch", "write b"]
