"""A visitor context's storage writes from its tab's own CDP ``DOMStorage`` events, without an observer page.

The observer page (js/observer.js) costs every context a page and a document of its own — about a
quarter of a visitor's arrival. A context whose only page is one tab the harness opened, and which no
step can close, crash, restart or give a second tab, needs no second page: the DevTools
``DOMStorage`` domain of that tab's target reports every localStorage write of the site's origin in
the context (the tab's own, its frames', pages it opens, the ``pagehide`` of a document it navigates
away from) as the browser applies it, in order, on the same CDP session as the tab's send reports.

What it does not give: writes of a page being closed (its session goes with it: such contexts keep
the observer, ``harness.driver.visitors.tab_channel_contexts``); the last writes of a document the
tab navigates away from only with Chromium's RenderDocument off (harness/world/browser.py), and
not always when it navigates to another site (``SiteWatch`` notes each such navigation); and it
ships each new value whole (the observer ships deltas), so long-lived contexts with large outboxes
keep the observer too.

A page's script cannot reach this channel: the events are made by the browser's storage
instrumentation, not by page JavaScript; a build can cause one only by really writing storage, and
cannot hide a write (docs/isolation.md).
"""
from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ADDED, UPDATED = "DOMStorage.domStorageItemAdded", "DOMStorage.domStorageItemUpdated"
REMOVED, CLEARED = "DOMStorage.domStorageItemRemoved", "DOMStorage.domStorageItemsCleared"
EVENTS = (ADDED, UPDATED, REMOVED, CLEARED)
SYNC_KEY = "__tank_sync"  # flush tokens and send markers (context.py, js/instrument.js)
STAMP_KEY = "__tank_t"  # the writing page's time, written just before each watched write (js/instrument.js)


def storage_id(origin: str) -> dict[str, Any]:
    """The CDP ``StorageId`` of ``origin``'s localStorage (``DOMStorage.getDOMStorageItems``)."""
    return {"securityOrigin": origin, "isLocalStorage": True}


def read_entries(answer: Any, keys: list[str]) -> list[str | None]:
    """The values of ``keys`` in a ``DOMStorage.getDOMStorageItems`` answer (``None``: absent)."""
    entries = answer.get("entries") if isinstance(answer, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"DOMStorage.getDOMStorageItems answered {str(answer)[:200]!r}")
    items = {e[0]: e[1] for e in entries if isinstance(e, list) and len(e) == 2 and isinstance(e[1], str)}
    return [items.get(k) for k in keys]


@dataclass
class TabWatch:
    """One context's ``DOMStorage`` events turned into what the observer page would report.

    ``sync(value, w)``: a write of the flush key (a flush token or a send marker; ``None`` when
    removed). ``value(key, raw, stamp, w)``: a watched key's new value (``None``: removed) with the
    stamp's text written before it (the recorder opens it: harness/history/seal.py). ``cleared(w)``:
    ``localStorage.clear()``. ``w`` (ms of real time) is when the event arrived."""

    origin: str  # the site's origin: another origin's storage is not this context's outbox
    watched: frozenset[str]
    sync: Callable[[str | None, float], None]
    value: Callable[[str, str | None, str | None, float], None]
    cleared: Callable[[float], None]
    now_ms: Callable[[], float] = lambda: time.time() * 1000
    _stamp: str | None = None
    events: int = 0  # events of the origin's localStorage taken

    def on_event(self, method: str, params: Any) -> None:
        """One CDP ``DOMStorage`` event (``method``) of the tab's session."""
        if not isinstance(params, dict):
            return
        sid = params.get("storageId")
        if not isinstance(sid, dict) or not sid.get("isLocalStorage") or sid.get("securityOrigin") != self.origin:
            return
        self.events += 1
        w = self.now_ms()
        if method == CLEARED:  # clear(): the stamp before it, if any, stays for the next write, as in observer.js
            self.cleared(w)
            return
        key = params.get("key")
        if not isinstance(key, str):
            return
        new = params.get("newValue") if method in (ADDED, UPDATED) else None
        new = new if isinstance(new, str) else None
        if key == STAMP_KEY:
            self._stamp = new
        elif key == SYNC_KEY:
            self.sync(new, w)
        elif key in self.watched:
            stamp, self._stamp = self._stamp, None
            self.value(key, new, stamp, w)


def _site(url: str) -> tuple[str, str]:
    """A URL's scheme and host: its site, taken as the host (no public-suffix list here), so a
    navigation between two hosts of one registrable domain counts as another site too."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "")


@dataclass
class SiteWatch:
    """The sites the tab channel's tab goes through. A navigation to another site swaps the renderer
    process whatever the flags, and the DevTools events of the old document's last writes
    (``beforeunload``, ``pagehide``) can miss the tab's session: measured 3 of 10 and 1 of 6
    navigations from 127.0.0.1 to localhost, and every one to a blocked external URL, where an
    observer page saw every write (docs/isolation.md). Whether they were missed cannot be told from
    here, so each such navigation is noted: the history says its timeline may lack them."""

    context: str
    crossed: list[tuple[int | None, str, str]] = field(default_factory=list)  # (page time, from, to)
    _url: str | None = None

    def navigated(self, url: str, t: int | None) -> None:
        """The tab's top document is now ``url`` (page time ``t``); ``about:`` documents are no site."""
        if url.startswith("about:"):
            return
        if self._url is not None and _site(url) != _site(self._url):
            self.crossed.append((t, self._url, url))
        self._url = url

    def note(self) -> str | None:
        """The history's note on the navigations to another site, or None when there were none."""
        if not self.crossed:
            return None
        t, before, after = self.crossed[0]
        at = f"page time {t}" if t is not None else "an unknown page time"
        return (f"context {self.context}: its tab navigated to another site {len(self.crossed)} time(s) (first at {at}: "
                f"{_short(before)} → {_short(after)}); its storage is recorded from the tab's DevTools DOMStorage events "
                "(no observer page), which can miss the beforeunload/pagehide writes of a document left for another site "
                "(the renderer process is swapped): the timeline may lack them; the final read still has the outbox's state")


def _short(url: str) -> str:
    """``scheme://host:port/path`` of a URL: its query may be long and says nothing of the site."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
