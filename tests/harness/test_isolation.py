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
    world = tank_worlds.get("memory")
    reference = world.run("reference", scenario_from_text(HAPPY.format(name="calm", hook="nothing")))
    result = world.run(Build(name="file:hostile.js", source="", kind="file", path=None),
                              scenario_from_text(HAPPY.format(name="hostile", hook="arm_hostile")))
    assert result.error is None, _explain(result)
    assert {g: v.status for g, v in result.verdict.guarantees.items()} == \
        {g: v.status for g, v in reference.verdict.guarantees.items()}, _explain(result)
    assert result.verdict.counts == reference.verdict.counts, _explain(result)
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


def _explain(result: Any) -> str:
    return f"error={result.error!r} " + "; ".join(f"{g}: {v.status} {v.violations[:3]}"
                                                   for g, v in result.verdict.guarantees.items())
