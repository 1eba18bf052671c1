"""The test site is declared once (``harness.contract.site``): the real pages, the built-in fallback
pages, the scenario loader and the driver all agree with that declaration."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.contract.site import CLICK_TARGETS, PAGES, VISITOR_ACTIONS
from harness.driver.journey import CLICK_EVENTS, NAVIGATING_CLICKS
from harness.scenario import model
from server_stub.pages import FALLBACK_PAGES

SITE = Path(__file__).resolve().parents[2] / "tracker_js" / "site"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(v for k, v in attrs if k == "id" and v)


def ids(html: str) -> set[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


@pytest.mark.parametrize("page", list(PAGES.values()), ids=list(PAGES))
def test_every_declared_target_is_on_its_pages(page) -> None:
    wanted = {t.element_id for t in CLICK_TARGETS.values() if page.name in t.pages}
    assert wanted <= ids((SITE / page.template).read_text(encoding="utf-8")), page.template
    assert wanted <= ids(FALLBACK_PAGES[page.name])


def test_links_lead_to_declared_pages_and_the_vocabularies_are_derived() -> None:
    for target in CLICK_TARGETS.values():
        assert target.navigates_to is None or target.navigates_to in PAGES
        assert all(p in PAGES for p in target.pages)
    assert model.CLICK_TARGETS == {n: f"#{t.element_id}" for n, t in CLICK_TARGETS.items()}
    assert model.PAGES == tuple(PAGES) and model.VISITOR_ACTIONS == VISITOR_ACTIONS
    assert set(CLICK_EVENTS) | NAVIGATING_CLICKS == set(CLICK_TARGETS)
