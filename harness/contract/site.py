"""The test site's vocabulary, declared once: its pages and the things a visitor can click.

Scenario validation (page and click names), the driver (URLs, selectors, the event a click must
cause), generated visitors, the stub's built-in fallback pages and the test that checks
``tracker_js/site/*.html`` all read this table, so a renamed element cannot drift between them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SitePage:
    """A named page: ``path`` on the site origin, ``template`` in ``tracker_js/site``."""

    name: str
    path: str
    title: str

    @property
    def template(self) -> str:
        return f"{self.name}.html"


@dataclass(frozen=True)
class ClickTarget:
    """A named element on the test pages.

    ``event`` is the (category, action) the contract's auto events make a build enqueue for a click
    (SPEC §2); ``navigates_to`` names the page a link leads to; ``html`` is the element as the
    built-in fallback pages render it (``{{phone}}``/``{{wa_number}}`` are page variables).
    """

    name: str
    element_id: str
    pages: tuple[str, ...]
    html: str
    event: tuple[str, str] | None = None
    navigates_to: str | None = None

    @property
    def selector(self) -> str:
        return f"#{self.element_id}"


PAGES: dict[str, SitePage] = {p.name: p for p in (
    SitePage("home", "/", "Tank test site: home"),
    SitePage("page2", "/page2", "Tank test site: page 2"),
)}
"""Named pages (``home`` is ``/``); a scenario may also open any other path starting with ``/``."""

CLICK_TARGETS: dict[str, ClickTarget] = {t.name: t for t in (
    ClickTarget("tel", "tel", ("home", "page2"), '<a id="tel" href="tel:{{phone}}">{{phone}}</a>',
                event=("conversion", "phone_call")),
    ClickTarget("whatsapp", "wa", ("home",), '<a id="wa" href="https://wa.me/{{wa_number}}">WhatsApp</a>',
                event=("conversion", "whatsapp")),
    ClickTarget("whatsapp_web", "wa-web", ("home",),
                '<a id="wa-web" href="https://api.whatsapp.com/send?phone={{wa_number}}">WhatsApp Web</a>',
                event=("conversion", "whatsapp")),
    ClickTarget("form", "lead-submit", ("home",),
                '<form id="lead" action="/lead" method="post"><input name="name" value="Ayşe Yılmaz">'
                '<button id="lead-submit" type="submit">Gönder</button></form>',
                event=("conversion", "form_submit")),
    ClickTarget("page2_link", "to-page2", ("home",), '<a id="to-page2" href="/page2">Page 2</a>', navigates_to="page2"),
    ClickTarget("home_link", "to-home", ("page2",), '<a id="to-home" href="/">Home</a>', navigates_to="home"),
)}
"""Named click targets; a scenario may also click any CSS selector starting with ``#``, ``.`` or ``[``."""

VISITOR_ACTIONS: tuple[str, ...] = ("view", *(t.name for t in CLICK_TARGETS.values() if t.event), "page2")
"""What a generated visitor may do: open a page, click a target that causes an event, go to page 2 and back."""


def page_path(page: str) -> str:
    """The path of a named page, or ``page`` itself (already a path)."""
    return PAGES[page].path if page in PAGES else page
