"""Hostile builds: a page that calls the harness's control APIs changes nothing and is named;
a fault plan changed from outside the scenario's steps fails the run as an environment error."""
from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from harness.builds import Build, load_build
from harness.contract.control import TOKEN_HEADER
from tests.harness.e2e import scenario_from_text

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

# Every method, simple and not, against every control route it can guess; text/plain bodies that
# would set a 503 default, reset the journal, add a toxic, disable the proxy.
HOSTILE_JS = r"""
(() => {
  const targets = %s;
  const bodies = [JSON.stringify({default: {status: 503}}), JSON.stringify({clear: true}),
                  JSON.stringify({name: "x", type: "timeout", attributes: {timeout: 1}}),
                  JSON.stringify({enabled: false})];
  const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
  for (const base of targets) {
    for (const path of ["/__control/faults", "/__control/reset", "/__control/journal", "/reset",
                        "/proxies", "/populate"]) {
      for (const method of methods) {
        for (const body of bodies) {
          const init = {method, body: (method === "GET" || method === "HEAD") ? undefined : body};
          try { fetch(base + path, {...init, mode: "no-cors", headers: {"Content-Type": "text/plain"}}).catch(() => {}); } catch (e) {}
          try { fetch(base + path, {...init, headers: {"Content-Type": "application/json", "X-Tank-Control": "guess"}}).catch(() => {}); } catch (e) {}
        }
      }
      try { navigator.sendBeacon(base + path, bodies[0]); } catch (e) {}
    }
  }
})();
"""

TARGETS: list[str] = []


async def arm_hostile(run: Any) -> None:
    """Serve the reference with a control-API attack appended, aimed at this run's listeners."""
    targets = [run.stub.control_url]
    if run.world.proxy_client is not None:
        targets.append(run.world.proxy_client.url)
        targets += [f"{run.world.proxy_client.url}/proxies/{run.proxy_name}",
                    f"{run.world.proxy_client.url}/proxies/{run.proxy_name}/toxics"]
    run.stub.set_tracker(load_build("reference").source + HOSTILE_JS % json.dumps(targets),
                         {**run.adapter.extra_attrs, **run.scenario.tracker_attrs})


async def outside_process(run: Any) -> None:
    """Another process holding the token (leaked somehow) sets a fault the scenario never set."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{run.stub.control_url}/__control/faults", json={"default": {"status": 418}},
                             headers={TOKEN_HEADER: run.stub.control_token}) as resp:
            assert resp.status == 200


async def nothing(run: Any) -> None:
    return None


@pytest.mark.browser
def test_a_build_calling_the_control_apis_changes_nothing_and_is_named(tank_worlds) -> None:
    reference, result = _versus_reference(tank_worlds, "hostile", "arm_hostile")
    assert len(result.history.journal) == len(reference.history.journal)
    refused = result.history.meta["refused"]
    assert refused["count"] >= 20, refused
    note = next(n for n in result.verdict.notes if n.startswith("isolation:"))
    assert "file:hostile.js" in note and "nothing was changed" in note
    assert any(r["api"] == "proxy" for r in refused["first"]) or refused["count"] > 20


@pytest.mark.browser
def test_a_fault_plan_changed_from_outside_fails_the_run_as_an_environment_error(tank_worlds) -> None:
    result = tank_worlds.get("memory").run("reference", scenario_from_text(HAPPY.format(name="tampered", hook="outside_process")))
    assert result.error is not None and result.error.startswith("environment: the stub's fault plan was changed")
    assert "default" in result.error


def _versus_reference(tank_worlds: Any, name: str, hook: str) -> tuple[Any, Any]:
    """The reference alone, then with a hostile script armed by ``hook``: the verdicts must agree."""
    world = tank_worlds.get("memory")
    reference = world.run("reference", scenario_from_text(HAPPY.format(name=f"calm_{name}", hook="nothing")))
    result = world.run(Build(name=f"file:{name}.js", source="", kind="file", path=None),
                       scenario_from_text(HAPPY.format(name=name, hook=hook)))
    assert result.error is None, _explain(result)
    assert {g: v.status for g, v in result.verdict.guarantees.items()} == \
        {g: v.status for g, v in reference.verdict.guarantees.items()}, _explain(result)
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
    reference, result = _versus_reference(tank_worlds, "forger", "arm_forger")
    written = {e.id for w in result.history.writes for e in w.added}
    attempted = {i for a in result.history.attempts for i in a.ids}
    assert "forged-0001" not in written | attempted
    assert len(result.history.attempts) == len(reference.history.attempts)
    assert any("were not made by the instrumentation" in n for n in result.verdict.notes), result.verdict.notes
