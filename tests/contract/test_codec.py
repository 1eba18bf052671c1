"""The history codec: every fact survives a save and a load, versions are checked, and the
codec is generic — a field added to a declaration is saved and loaded with no codec change."""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from harness.contract.codec import CodecError, decode, encode
from harness.contract.history import (
    FORMAT_VERSION,
    History,
    HistoryFormatError,
    PageMessage,
    load_history,
    save_history,
)
from tests.checker.builders import HB, HOUR


def rich_history() -> History:
    """One of every kind of fact, with the awkward values: None, empty tuples, extras, floats."""
    b = HB()
    it = b.intent("conversion", "phone_call", "tel:+90")
    b.op("open", intents=[it], page="main")
    a = b.add(b.env(ec="conversion", ea="phone_call", beaconed=True))[0]
    odd = b.env(attempts=None, ts=None, body={"s": "x", "meta": {"deep": [1, 2.5, None, {"k": "v"}]}})
    b.seed(odd)
    b.attempt(a, outcome="abort", status=None, duration=5000, error="AbortError")
    b.journal(a, status=503, errors={0: "el: too long"})
    b.advance(HOUR)
    a = b.bump(a)
    b.dead(odd, "malformed", keep_payload=False)
    b.attempt(a, pending=True)
    b.deliver(a)
    b.rows(a, times=2)
    h = b.build(end_after=1000)
    h.journal[0] = dataclasses.replace(h.journal[0], body_size=12, body_sha256="0f" * 32, send="ld.1")
    h.page_messages = [PageMessage(99, b.now, b.wall, "main", "main", "pageerror", "error", "boom", source="t.js:1:2")]
    h.judges, h.policy, h.notes, h.error = ("no_loss", "retry"), {"timeout_ms": 1000}, ["a note"], "line 3: failed"
    h.meta = {"site_id": "s", "notes": ["n1"], "clock_steps": 3, "clock_fallback": False}
    return h


def test_round_trip_keeps_every_fact(tmp_path) -> None:
    h = rich_history()
    path = tmp_path / "h.json"
    save_history(h, path)
    back = load_history(path)
    assert back == h
    assert json.loads(path.read_text())["format_version"] == FORMAT_VERSION


def test_round_trip_without_rows_at_rest() -> None:
    h = History("s", "out", None, at_rest=None, at_rest_source="none")
    assert History.from_json(json.loads(json.dumps(h.to_json()))) == h


@pytest.mark.parametrize("doc, message", [
    ({"scenario": "s"}, "no format_version"),
    ({"format_version": FORMAT_VERSION + 1}, "newer than this tankharness reads"),
    ({"format_version": "1"}, "positive integer"),
    ([], "JSON object"),
])
def test_versions_are_checked(doc, message) -> None:
    with pytest.raises(HistoryFormatError, match=message):
        History.from_json(doc)


def test_bad_fields_are_named_with_their_path() -> None:
    doc = rich_history().to_json()
    doc["ops"][0]["kind"] = "teleport"
    with pytest.raises(HistoryFormatError, match=r"history\.ops\[0\]\.kind: 'teleport' is not one of"):
        History.from_json(doc)
    doc = rich_history().to_json()
    doc["writes"][0]["added"][0]["surprise"] = 1
    with pytest.raises(HistoryFormatError, match=r"history\.writes\[0\]\.added\[0\]: unknown field\(s\) 'surprise'"):
        History.from_json(doc)
    doc = rich_history().to_json()
    doc["attempts"][0]["t_page_start"] = "soon"
    with pytest.raises(HistoryFormatError, match=r"attempts\[0\]\.t_page_start: expected int, got a string"):
        History.from_json(doc)
    doc = rich_history().to_json()
    del doc["scenario"]
    with pytest.raises(HistoryFormatError, match="missing field 'scenario'"):
        History.from_json(doc)


def test_unreadable_files_say_which(tmp_path) -> None:
    with pytest.raises(HistoryFormatError, match="cannot read"):
        load_history(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(HistoryFormatError, match="bad.json: not JSON"):
        load_history(bad)


# -- generic over declarations ---------------------------------------------------------------
@dataclass(frozen=True)
class Inner:
    name: str
    size: int | None = None


@dataclass
class Outer:
    kind: Literal["a", "b"]
    inners: tuple[Inner, ...] = ()
    pair: tuple[int, str] | None = None
    by_name: dict[str, Inner] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    ratio: float = 0.0
    flags: list[bool] = field(default_factory=list)


def test_any_declaration_round_trips() -> None:
    v = Outer("b", (Inner("x"), Inner("y", 3)), (1, "one"), {"k": Inner("z", 0)}, {"any": [1, {"x": None}]}, 2.5, [True])
    assert decode(Outer, json.loads(json.dumps(encode(v)))) == v


def test_a_new_field_with_a_default_reads_older_documents() -> None:
    @dataclass
    class Grown:
        kind: Literal["a", "b"]
        added_later: tuple[str, ...] = ()

    assert decode(Grown, {"kind": "a"}) == Grown("a")


def test_types_are_enforced() -> None:
    with pytest.raises(CodecError, match=r"\$\.pair: expected 2 items"):
        decode(Outer, {"kind": "a", "pair": [1]})
    with pytest.raises(CodecError, match=r"\$\.flags\[0\]: expected bool"):
        decode(Outer, {"kind": "a", "flags": [1]})
    with pytest.raises(CodecError, match=r"\$\.by_name\.k: missing field 'name'"):
        decode(Outer, {"kind": "a", "by_name": {"k": {}}})
    assert decode(Outer, {"kind": "a", "ratio": 2}).ratio == 2.0
