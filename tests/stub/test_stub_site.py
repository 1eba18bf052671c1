"""The test site: tracker tag injection, page variables, /tracker.js, built-in fallbacks."""
from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from harness.contract.adapter import Adapter
from harness.contract.site import CLICK_TARGETS, PAGES
from server_stub.app import StubServer
from server_stub.pages import TRACKER_PLACEHOLDER, render, script_tag

PAGE = f"<html><body><p>{{{{greeting}}}} {{{{ missing }}}} {{{{site_id}}}}</p>{TRACKER_PLACEHOLDER}</body></html>"


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, dict[str, str]]:
    async with http.get(url) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "home.html").write_text(PAGE)
    (folder / "page2.html").write_text(f"<p>two</p>{TRACKER_PLACEHOLDER}")
    (folder / "observer.html").write_text("<p>observer</p>")
    return folder


async def test_pages_get_the_tracker_tag_and_variables(site_dir: Path, http: aiohttp.ClientSession) -> None:
    adapter = Adapter(site_attr="data-site", api_attr="data-endpoint", extra_attrs={"data-timeout-ms": "5000"})
    async with StubServer(tracker_source="window.T=1;", site_id="site-a", adapter=adapter, site_dir=site_dir,
                          page_vars={"greeting": "<b>hi</b>"}) as stub:
        status, html, headers = await get(http, stub.site_url + "/?gclid=abc&x=1")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert "no-store" in headers["Cache-Control"]
        assert "&lt;b&gt;hi&lt;/b&gt;  site-a" in html  # escaped, unknown var empty, built-in site_id
        assert (f'<script src="/tracker.js" data-site="site-a" data-endpoint="{stub.direct_sync_url}" '
                'data-timeout-ms="5000"></script>') in html
        stub.set_sync_url("http://127.0.0.1:1/api/sync")
        stub.set_tracker("window.T=2;", {"data-x": 'a"b'})
        stub.page_vars["greeting"] = "hello"
        _, html, _ = await get(http, stub.site_url + "/page2")
        assert 'data-endpoint="http://127.0.0.1:1/api/sync" data-timeout-ms="5000" data-x="a&quot;b"' in html
        assert stub.sync_url == "http://127.0.0.1:1/api/sync"
        status, js, headers = await get(http, stub.site_url + "/tracker.js")
        assert (status, js) == (200, "window.T=2;")
        assert headers["Content-Type"].startswith("application/javascript")
        assert "no-cache" in headers["Cache-Control"]
        _, html, _ = await get(http, stub.site_url + "/__tank/observer")
        assert html == "<p>observer</p>"
        assert (await get(http, stub.site_url + "/nope"))[0] == 404
        assert (await get(http, stub.site_url + "/favicon.ico"))[0] == 204


async def test_builtin_pages_when_the_site_dir_is_missing(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    async with StubServer(tracker_source="", site_id="site-a", site_dir=tmp_path / "absent") as stub:
        for page in PAGES.values():
            status, html, _ = await get(http, stub.site_url + page.path)
            assert status == 200 and '<script src="/tracker.js" data-site-id="site-a"' in html
            assert 'href="tel:' in html
            assert all(f'id="{t.element_id}"' in html for t in CLICK_TARGETS.values() if page.name in t.pages)
        status, html, _ = await get(http, stub.site_url + "/__tank/observer")
        assert status == 200 and "<script" not in html


def test_render_never_substitutes_inside_the_tracker_tag() -> None:
    tag = script_tag(Adapter(), "{{site_id}}", "http://x/api/sync")
    out = render(f"{{{{site_id}}}}{TRACKER_PLACEHOLDER}", tag=tag, page_vars={"site_id": "S"})
    assert out.startswith("S<script") and 'data-site-id="{{site_id}}"' in out


@pytest.mark.parametrize("bad", ['onload="x"', "a b", "", "x>"])
def test_bad_attribute_names_are_refused(bad: str) -> None:
    stub = StubServer(tracker_source="", site_id="site-a")
    with pytest.raises(ValueError, match="not a valid HTML attribute name"):
        stub.set_tracker("", {bad: "1"})


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"site_id": ""}, "site_id: must be a string of 1–128 chars"),
    ({"site_id": "s", "sync_url": "127.0.0.1:5/api/sync"}, "sync url: must be an absolute http"),
])
def test_bad_constructor_arguments(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StubServer(tracker_source="", **kwargs)  # type: ignore[arg-type]


def test_urls_before_start_are_an_error() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = StubServer(tracker_source="", site_id="s").site_url
