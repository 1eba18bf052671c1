"""The test site (origin S): pages with the tracker tag, ``/tracker.js``, the observer page.

Pages are read from ``site_dir`` on every request (engineers can edit them live) and fall back
to built-in pages when a file is missing. Everything is ``no-store``: a reload must fetch the
current tracker build, never a cached one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from harness.contract.adapter import Adapter
from server_stub.pages import FALLBACK_PAGES, check_attr_name, render, script_tag

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate", "Pragma": "no-cache"}
DEFAULT_SITE_DIR = Path(__file__).resolve().parent.parent / "tracker_js" / "site"


@dataclass
class SiteState:
    """What the pages are rendered from; mutable so the harness can swap builds between runs."""

    tracker_source: str
    site_id: str
    adapter: Adapter
    sync_url: str
    site_dir: Path = DEFAULT_SITE_DIR
    page_vars: dict[str, str] = field(default_factory=dict)
    extra_attrs: dict[str, str] = field(default_factory=dict)

    def set_extra_attrs(self, attrs: dict[str, str] | None) -> None:
        attrs = dict(attrs or {})
        for name in attrs:
            check_attr_name(name)
        self.extra_attrs = attrs

    def variables(self) -> dict[str, str]:
        """Page variables: built-ins ``site_id``/``sync_url``, overridden by ``page_vars``."""
        return {"site_id": self.site_id, "sync_url": self.sync_url, **self.page_vars}


class SiteApp:
    """Builds the site ``web.Application`` over a ``SiteState``."""

    def __init__(self, state: SiteState) -> None:
        self.state = state

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._home)
        app.router.add_get("/tracker.js", self._tracker)
        app.router.add_get("/favicon.ico", self._favicon)
        app.router.add_get("/__tank/observer", self._observer)
        app.router.add_get("/{name:[A-Za-z0-9_-]+}", self._named)
        return app

    async def _home(self, request: web.Request) -> web.Response:
        return self._page("home")

    async def _observer(self, request: web.Request) -> web.Response:
        return self._page("observer")

    async def _named(self, request: web.Request) -> web.Response:
        return self._page(request.match_info["name"])

    async def _favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _tracker(self, request: web.Request) -> web.Response:
        return web.Response(text=self.state.tracker_source, content_type="application/javascript",
                            charset="utf-8", headers=NO_STORE)

    def _page(self, name: str) -> web.Response:
        template = self._template(name)
        if template is None:
            return web.Response(status=404, text=f"no page {name!r} in {self.state.site_dir}", headers=NO_STORE)
        s = self.state
        tag = script_tag(s.adapter, s.site_id, s.sync_url, s.extra_attrs)
        body = render(template, tag=tag, page_vars=s.variables())
        return web.Response(text=body, content_type="text/html", charset="utf-8", headers=NO_STORE)

    def _template(self, name: str) -> str | None:
        path = self.state.site_dir / f"{name}.html"
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return FALLBACK_PAGES.get(name)
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("cannot read page %s: %r", path, exc)
            raise web.HTTPInternalServerError(text=f"cannot read page {path}: {exc!r}") from exc
