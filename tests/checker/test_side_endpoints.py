"""Requests to other paths of the Sync origin: a declared side endpoint is a side channel (listed,
not judged); any other path fails ``nothing_unexpected`` and the report names the declaration."""
from __future__ import annotations

import dataclasses

from harness.builds.hints import declaration_hints, side_requests
from harness.builds.profile import parse_profile
from harness.checker import Policy, judge

from .builders import HB


def _with_side_requests() -> HB:
    b = HB()
    e = b.env()
    b.add(e)
    b.deliver(e)
    side = b.journal(status=404)
    b.h.journal[-1] = dataclasses.replace(side, path="/api/call-intent", events=(), processed=False)
    return b


def test_an_undeclared_path_fails_nothing_unexpected() -> None:
    v = judge(_with_side_requests().build(), ["nothing_unexpected"])
    r = v.guarantees["nothing_unexpected"]
    assert r.status == "fail" and "/api/call-intent" in r.violations[0] and "not a declared side endpoint" in r.violations[0]
    assert any("side_endpoints: [/api/call-intent]" in h for h in declaration_hints(_with_side_requests().build(), v))


def test_a_declared_side_endpoint_is_a_side_channel() -> None:
    h = _with_side_requests().build()
    v = judge(h, ["nothing_unexpected"], Policy(side_endpoints=("/api/call-intent",)))
    assert v.guarantees["nothing_unexpected"].status == "pass"
    assert side_requests(h, ("/api/call-intent",)) == [
        "side channel: 1 request(s) to /api/call-intent (a declared side endpoint; the stub answered 404, not judged)"]
    assert "not declared" in side_requests(h)[0]


def test_the_profile_declaration_reaches_the_policy() -> None:
    p = parse_profile("side_endpoints: [/api/call-intent]\n", "p.yaml")
    assert p.policy["side_endpoints"] == ("/api/call-intent",) and p.side_endpoints == ("/api/call-intent",)
    assert Policy(**p.policy).side_endpoints == ("/api/call-intent",)
