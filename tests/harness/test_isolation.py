"""Hostile builds: a page that calls the harness's control APIs changes nothing and is named;
a fault plan changed from outside the scenario's steps fails the run as an environment error."""
from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from harness.builds import Build, load_build
from harness.contract.control import TOKEN_HEADER, refusal
from harness.contract.sync import PATH as SYNC_PATH
from harness.run.isolation import refusal_notes, refusal_records
from tests.harness.e2e import ROOT, scenario_from_text

HAPPY = """
name: {name}
judges: [no_loss, nothing_unexpected, exactly_once]
settle: 30s
steps:
  - hook: tests.harness.test_isolation:{hook}
  - open: home
  - click: tel
  - advance: 3s
  - click: whatsapp
  - advance: 10s
"""

SCANNER = ROOT / "tracker_js" / "hostile" / "scan_loopback.js"
SCAN_WINDOW = 8  # ports scanned on each side of every listener of the run (found by scanning, not handed)
SCAN_WAIT_S = 60.0  # real time the scan and the attack get (a busy 2-core box; ~3 s alone)
SEEN: dict[str, Any] = {}  # what the hooks saw, for the test to assert on


async def arm_scanner(run: Any) -> None:
    """Serve the reference with the loopback scanner appended; note the state it must not change.

    The page gets port ranges around this run's listeners, never which port is what. Ports in
    those ranges that other processes listen on (other runs on a shared machine) are left out,
    so the attack hits only this run. The proxy's name is given (the worst case: a leaked name),
    so proxy routes exist and only the guard stands in the way."""
    ours = _listeners(run)
    ranges = _ranges(sorted(p for p in _windows(ours) if p in ours or not _open(p)))
    names = [run.proxy_name] if run.proxy_name else []
    source = SCANNER.read_text().replace("/*TANK_RANGES*/[[32768, 60999]]", json.dumps(ranges)) \
        .replace('/*TANK_PROXY_NAMES*/["sync", "tank", "sync_api"]', json.dumps([*names, "sync"]))
    assert source.count("[[32768, 60999]]") == 0, "the scanner's RANGES placeholder moved"
    SEEN.clear()
    SEEN.update(listeners=ours, before=await _state(run))
    run.stub.set_tracker(load_build("reference").source + source, {**run.adapter.extra_attrs, **run.scenario.tracker_attrs})


async def scan_done(run: Any) -> None:
    """Wait (real time, bounded) until the page's attack has ended, then note the state again."""
    deadline = time.monotonic() + SCAN_WAIT_S
    hostile: Any = None
    while time.monotonic() < deadline:
        for page in (p for s in run.live_sessions() for p in s.tabs.values() if not p.is_closed()):
            hostile = await page.evaluate("window.__tankHostile || null")
            if hostile and hostile["done"]:
                SEEN.update(hostile=hostile, after=await _state(run))
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the hostile page did not finish its attack within {SCAN_WAIT_S:g} s: {hostile}")


def _listeners(run: Any) -> dict[int, str]:
    stub = run.stub
    ours = {_port(stub.site_url): "site", stub.sync_port: "sync", _port(stub.control_url): "stub control",
            _port(run.sync_url): "sync (via proxy)"}
    if run.world.proxy_client is not None:
        ours[_port(run.world.proxy_client.url)] = "proxy API"
    return ours


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


def _windows(ports: dict[int, str]) -> set[int]:
    return {q for p in ports for q in range(max(1024, p - SCAN_WINDOW), min(65535, p + SCAN_WINDOW) + 1)}


def _open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ranges(ports: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for p in ports:
        if out and out[-1][1] == p - 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return out


async def _state(run: Any) -> dict[str, Any]:
    """What a successful attack would change: the fault plan and who changed it, the proxy and its toxics."""
    state: dict[str, Any] = {"faults": run.stub.faults.state(), "fault_changes": list(run.stub.faults.changes)}
    client = run.world.proxy_client
    if client is not None and run.proxy_name:
        aio = client.aio
        state["proxies"] = sorted((await aio.proxies()).items())
        state["toxics"] = await aio.toxics(run.proxy_name)
    return state


async def outside_process(run: Any) -> None:
    """Another process holding the token (leaked somehow) sets a fault the scenario never set."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{run.stub.control_url}/__control/faults", json={"default": {"status": 418}},
                             headers={TOKEN_HEADER: run.stub.control_token}) as resp:
            assert resp.status == 200


async def nothing(run: Any) -> None:
    return None


SCAN = """
name: hostile_scan
judges: [no_loss, nothing_unexpected, exactly_once]
settle: 30s
steps:
  - hook: tests.harness.test_isolation:arm_scanner
  - open: home
  - click: tel
  - advance: 3s
  - click: whatsapp
  - hook: tests.harness.test_isolation:scan_done
  - advance: 10s
"""


@pytest.mark.browser
def test_a_build_that_scans_loopback_and_calls_every_api_changes_nothing_and_is_named(tank_worlds) -> None:
    # The scan's requests to other paths of the Sync origin are the build's own unexpected requests.
    reference, result = _versus_reference(tank_worlds, "scan_loopback", scenario_from_text(SCAN),
                                          own=frozenset({"nothing_unexpected"}))
    unexpected = result.verdict.guarantees["nothing_unexpected"]
    assert unexpected.status == "fail" and any("/__control/faults" in v for v in unexpected.violations), _explain(result)
    hostile, listeners = SEEN["hostile"], SEEN["listeners"]
    print(f"scanner found {hostile['found']} (listeners {listeners}), sent {hostile['sent']} request(s)")
    print(*(n for n in result.verdict.notes if n.startswith("isolation:")), sep="\n")
    others = {p for p, what in listeners.items() if what != "site"}  # the page's own origin is not scanned
    assert others <= set(hostile["found"]), "the scan missed a listener of the run"
    # Nothing changed: fault plan, proxy and its toxics; journal never reset; verdict, rows, history.
    assert SEEN["after"] == SEEN["before"]
    assert result.error is None
    sync_entries = [e for e in result.history.journal if e.path == SYNC_PATH]
    assert len(sync_entries) == len([e for e in reference.history.journal if e.path == SYNC_PATH])
    assert [e.seq for e in result.history.journal] == list(range(1, len(result.history.journal) + 1))
    assert len(result.history.at_rest or []) == len(reference.history.at_rest or [])
    assert len(result.history.attempts) == len(reference.history.attempts)
    written = {e.id for w in result.history.writes for e in w.added}
    assert "forged-0001" not in written | {i for a in result.history.attempts for i in a.ids}
    # Named: the build, the count, both APIs; the forged reports noticed.
    refused = result.history.meta["refused"]
    assert refused["count"] >= 200 and refused["by_api"].get("stub-control", 0) >= 50 \
        and refused["by_api"].get("proxy", 0) >= 50, refused["by_api"]
    note = next(n for n in result.verdict.notes if n.startswith("isolation:") and "control APIs refused" in n)
    assert "file:scan_loopback.js" in note and "nothing was changed" in note, note
    # The reporting channels are out of the page's reach (each a raw CDP binding, removed from window
    # before any page script, in every frame): nothing forged reached them, nothing went missing.
    assert not any("report(s)" in n for n in result.verdict.notes), result.verdict.notes


@pytest.mark.browser
def test_a_fault_plan_changed_from_outside_fails_the_run_as_an_environment_error(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", scenario_from_text(HAPPY.format(name="tampered", hook="outside_process")))
    assert result.error is not None and result.error.startswith("environment: the stub's fault plan was changed")
    assert "default" in result.error


def _versus_reference(tank_worlds: Any, name: str, scenario: Any, own: frozenset[str] = frozenset()) -> tuple[Any, Any]:
    """The reference on the same steps without hostility, then the hostile run: the verdicts must agree,
    except the guarantees in ``own`` that judge what the hostile build itself did."""
    world = tank_worlds.get("memory")
    reference = world.run("reference", scenario_from_text(HAPPY.format(name=f"calm_{name}", hook="nothing")))
    result = world.run(Build(name=f"file:{name}.js", source="", kind="file", path=None), scenario)
    assert result.error is None, _explain(result)
    assert {g: v.status for g, v in result.verdict.guarantees.items() if g not in own} == \
        {g: v.status for g, v in reference.verdict.guarantees.items() if g not in own}, _explain(result)
    assert result.verdict.counts == reference.verdict.counts, _explain(result)
    return reference, result


def _explain(result: Any) -> str:
    return f"error={result.error!r} " + "; ".join(f"{g}: {v.status} {v.violations[:3]}"
                                                   for g, v in result.verdict.guarantees.items())


# Tries every way a page script has to write the harness's history: the named bindings, the
# bindings controller, Playwright's raw binding, and replays of sealed reports it sniffs.
FORGER_JS = r"""
(() => {
  const fake = {id: "forged-0001", ts: Date.now(), attempts: 0,
                payload: {ec: "conversion", ea: "phone_call", el: "forged", meta: {eid: "forged-0001"}}};
  const storage = {key: "opsmantik_outbox_v2", t: Date.now(), url: location.href, added: [fake],
                   changed: [], removed: [], length: 1, parse_error: null, raw_sample: null};
  const attempt = {type: "start", id: 77, via: "fetch", t: Date.now(), page: location.pathname,
                   ids: ["forged-0001"], payloads: [fake.payload], load: "forged"};
  const tries = [];
  const attemptAll = () => {
    const ctl = window.__playwright__binding__controller__;
    const raw = window.__playwright__binding__;
    try { window.__tankReport(attempt); } catch (e) { tries.push("named report: " + e.message); }
    try {  // a fresh frame of the page's own: the instrumentation ran there too and took the binding
      const f = document.createElement("iframe");
      document.body.appendChild(f);
      f.contentWindow.__tankReport("00".repeat(32) + "forged|1|" + JSON.stringify(attempt));
    } catch (e) { tries.push("frame report: " + e.message); }
    try { window.__tankStorage(storage); } catch (e) { tries.push("named storage: " + e.message); }
    for (const name of ["__tankReport", "__tankStorage"]) {
      for (const args of [[storage], [attempt], ["forged|1|" + JSON.stringify(attempt), "00".repeat(32)]]) {
        try { ctl && ctl.callBinding(name, ...args).catch(() => {}); } catch (e) { tries.push(name + ": " + e.message); }
        try { raw && raw(JSON.stringify({name, seq: 900 + tries.length, serializedArgs: args.map((a) => typeof a === "string" ? {s: a} : {v: "undefined"})})); } catch (e) {}
      }
    }
  };
  // Sniff the sealed reports on their way out and replay them later.
  const sniffed = [];
  const ctl = window.__playwright__binding__controller__;
  if (ctl) {
    const orig = ctl.callBinding.bind(ctl);
    ctl.callBinding = (name, ...args) => { sniffed.push([name, args]); return orig(name, ...args); };
  }
  attemptAll();
  setTimeout(() => {
    attemptAll();
    for (const [name, args] of sniffed.slice()) { try { ctl.callBinding(name, ...args).catch(() => {}); } catch (e) {} }
  }, 5000);
})();
"""


async def arm_forger(run: Any) -> None:
    run.stub.set_tracker(load_build("reference").source + FORGER_JS,
                         {**run.adapter.extra_attrs, **run.scenario.tracker_attrs})


@pytest.mark.browser
def test_a_build_calling_the_reporting_channel_forges_nothing(tank_worlds) -> None:
    reference, result = _versus_reference(tank_worlds, "forger", scenario_from_text(HAPPY.format(name="forger", hook="arm_forger")))
    written = {e.id for w in result.history.writes for e in w.added}
    attempted = {i for a in result.history.attempts for i in a.ids}
    assert "forged-0001" not in written | attempted
    assert len(result.history.attempts) == len(reference.history.attempts)
    # Out of the page's reach: the named binding is a raw CDP binding of the tab, removed from window
    # before any page script, in every frame; a forged or replayed report is counted by the gate
    # (tests/harness/test_send_order.py), here none reached it, and none of the genuine ones is missing.
    assert not any("report(s)" in n for n in result.verdict.notes), result.verdict.notes


def test_the_refusal_note_names_the_build_and_counts_per_api() -> None:
    page = {"Origin": "http://127.0.0.1:1", "User-Agent": "Mozilla/5.0"}
    refusals = [refusal("stub-control", "POST", "/__control/reset", page, "sent by a web page (Origin header)"),
                refusal("proxy", "DELETE", "/proxies/sync", page, "sent by a web page (Origin header)"),
                refusal("proxy", "GET", "/version?x=1", {"User-Agent": "curl/8"}, "missing or wrong control token")]
    [note] = refusal_notes(refusals, "file:evil.js")
    assert note.startswith("isolation: 3 request(s) to the harness's control APIs refused "
                           "(proxy 2, stub-control 1; 2 from a page) — build file:evil.js or another process")
    assert "DELETE /proxies/sync, GET /version, POST /__control/reset; nothing was changed" in note
    assert refusal_records(refusals)["by_api"] == {"stub-control": 1, "proxy": 2}
    assert refusal_notes([], "reference") == []
