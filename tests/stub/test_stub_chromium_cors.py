"""Real Chromium against the stub: a page on the site origin reaches the Sync origin (another
port) with a JSON fetch, a JSON-Blob beacon (credentialed: needs the echoed Origin and
Allow-Credentials, else Chromium drops it silently) and a text/plain beacon — all processed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from server_stub import cors
from server_stub.app import StubServer

CHROMIUM = "/usr/bin/chromium-headless-shell"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]

SEND_ALL = """async (url) => {
  const ev = (eid) => JSON.stringify({s: "site-a", sm: "2026-01-01", u: location.href, ec: "conversion", ea: "phone_call",
                                      meta: {eid}});
  const headers = {"Content-Type": "application/json"};
  const failed = await fetch(url + "?_tank_via=fetch", {method: "POST", body: ev("f0"), headers, keepalive: true});
  const ok = await fetch(url + "?_tank_via=fetch", {method: "POST", body: ev("f1"), headers, keepalive: true});
  const blob = navigator.sendBeacon(url + "?_tank_via=beacon", new Blob([ev("b1")], {type: "application/json"}));
  const text = navigator.sendBeacon(url + "?_tank_via=beacon", ev("b2"));
  return {failedStatus: failed.status, retryAfter: failed.headers.get("Retry-After"),
          okStatus: ok.status, okBody: await ok.json(), blob, text};
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} not installed"),
    pytest.mark.timeout(60),
]


async def test_cross_origin_fetch_and_beacons_arrive_processed(tmp_path: Path) -> None:
    async with StubServer(tracker_source="/* no tracker */", site_id="site-a", site_dir=tmp_path) as stub, \
            async_playwright() as pw:
        stub.faults.push({"status": 503, "retry_after": 7, "via": "fetch"})
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(stub.site_url + "/")
            result = await page.evaluate(SEND_ALL, stub.direct_sync_url)
            # Beacons are sent after evaluate returns: wait on the server side, where they land.
            for eid in ("f1", "b1", "b2"):
                await stub.journal.wait_for(lambda e, eid=eid: e.processed and any(ev.eid == eid for ev in e.events),
                                            timeout=15)
        finally:
            await browser.close()
    assert result == {"failedStatus": 503, "retryAfter": "7", "okStatus": 200,
                      "okBody": {"ok": True, "accepted": 1, "duplicates": 0}, "blob": True, "text": True}
    posts = {e.events[0].eid: e for e in stub.journal.entries() if e.method == "POST"}
    assert posts["f0"].status == 503 and not posts["f0"].processed
    assert posts["b1"].via == "beacon" and posts["b1"].headers["Content-Type"] == "application/json"
    assert posts["b2"].headers["Content-Type"].startswith("text/plain")
    assert all(p.headers["Origin"] == stub.site_url for p in posts.values())
    assert any(e.method == "OPTIONS" and e.status == 204 for e in stub.journal.entries())
    assert sorted(r.eid or "" for r in await stub.store.rows()) == ["b1", "b2", "f1"]


POST_ONE = """async (url) => (await fetch(url + "?_tank_via=fetch", {method: "POST", headers: {"Content-Type": "application/json"},
  body: JSON.stringify({s: "site-a", sm: "2026-01-01", u: location.href, ec: "system", ea: "heartbeat"})})).status"""


@pytest.mark.parametrize(("max_age_s", "methods"), [(None, ["OPTIONS", "POST", "POST"]),
                                                   (0, ["OPTIONS", "POST", "OPTIONS", "POST"])])
async def test_chromium_keeps_a_preflight_as_long_as_the_stub_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   max_age_s: int | None, methods: list[str]) -> None:
    """Chromium keeps a preflight for Access-Control-Max-Age seconds of *real* time (5 s without
    one, 2 h at most): with a short max-age, whether a POST is preceded by a preflight depended on
    how fast the machine ran the page time in between (the 26 h outage made 19 to 21 requests from
    run to run). The stub sends Chromium's cap, 7200 s (its preflight header test), and Chromium
    reads what the stub sends: with the stub's max-age a stable URL is preflighted once, with 0
    every POST is. (No real time waited: the cache's clock is real time, which a test cannot move,
    so the header's effect is shown by a value that expires at once.)"""
    if max_age_s is not None:
        monkeypatch.setattr(cors, "PREFLIGHT_MAX_AGE_S", max_age_s)
    async with StubServer(tracker_source="/* no tracker */", site_id="site-a", site_dir=tmp_path) as stub, \
            async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(stub.site_url + "/")
            assert await page.evaluate(POST_ONE, stub.direct_sync_url) == 200
            assert await page.evaluate(POST_ONE, stub.direct_sync_url) == 200
        finally:
            await browser.close()
    assert [e.method for e in stub.journal.entries()] == methods
