"""A build is untrusted code: one that patches the page's builtins after it loaded (Object.keys,
JSON, Array.prototype, Map, Promise.prototype.then, Function.prototype.toString/call/apply, index
setters on Array.prototype, the Map iterator; fixture tracker_js/hostile/patch_builtins.js) must
not steer what the harness reads from its pages. The
harness's page calls return JSON text made by an encoder captured before any page script, so the
reference with its builtins patched gets the reference's verdict, fates and send records, and no
clock run or probe of a live page is lost."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness.builds import load_build
from harness.driver import pointer
from harness.history.pagecall import PageResultError, TamperedPageError, parse_result, require, returning_json
from harness.run import pagetime
from harness.world import context as ctx
from harness.world.context import INSTRUMENT_JS
from tests.harness.e2e import bundled_scenarios
from tests.harness.test_hostile_calls import _as_in_a_run
from tests.harness.test_local_locks import origin  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
PATCHER = ROOT / "tracker_js" / "hostile" / "patch_builtins.js"


def _fates(verdict: Any) -> dict[str, int]:
    return {k: v for k, v in verdict.counts.items() if v}


@pytest.mark.browser
def test_patched_builtins_change_no_verdict_and_lose_no_page_call(tank_worlds, monkeypatch) -> None:
    reference = load_build("reference")
    hostile = dataclasses.replace(reference, name="hostile:patch_builtins",
                                  source=reference.source + "\n" + PATCHER.read_text())
    sc = next(s for s in bundled_scenarios() if s.name == "retry_503")  # bulk runs, steps and probes
    world = tank_worlds.get("memory")
    honest = world.run(reference, sc)

    lost: list[str] = []  # a clock run that came back empty from a live page (before: every bulk run)

    def watch(name: str, call: Any) -> Any:
        async def wrapped(page: Any, *args: Any, **kwargs: Any) -> Any:
            result = await call(page, *args, **kwargs)
            if result is None and not page.is_closed():
                lost.append(f"{name} on {page.url}")
            return result
        return wrapped

    monkeypatch.setattr(pagetime, "run_bulk", watch("run_bulk", pagetime.run_bulk))
    monkeypatch.setattr(pagetime, "run_to", watch("run_to", pagetime.run_to))
    patched = world.run(hostile, sc)
    assert honest.error is None, honest.error
    assert patched.error is None, patched.error
    assert lost == [], lost[:5]
    assert patched.verdict.passed == honest.verdict.passed
    assert {g: r.status for g, r in patched.verdict.guarantees.items()} == \
        {g: r.status for g, r in honest.verdict.guarantees.items()}
    assert _fates(patched.verdict) == _fates(honest.verdict)
    assert [(a.via, a.outcome, a.status, sorted(a.ids)) for a in patched.history.attempts] == \
        [(a.via, a.outcome, a.status, sorted(a.ids)) for a in honest.history.attempts]


def test_a_wrapped_call_returns_its_value_as_text() -> None:
    assert returning_json("() => 1") == "(arg) => (window.__tankJSON || JSON.stringify)((() => 1)(arg))"
    assert returning_json("async (x) => x", is_async=True).startswith("async (arg) => ")
    assert parse_result('{"t": 5, "fired": 1, "errors": []}', "run") == {"t": 5, "fired": 1, "errors": []}
    assert parse_result("null", "run") is None
    assert ctx.PROBE_CALL.endswith("(arg))") and pagetime.RUN_BULK_CALL.startswith("async ")


@pytest.mark.parametrize("raw", [{"t": 1}, [1, 2], None, 7])
def test_an_answer_that_is_not_text_is_a_clear_error(raw: object) -> None:
    with pytest.raises(PageResultError, match="instead of JSON text: the build replaced page builtins"):
        parse_result(raw, "the page clock's run")


def test_text_that_is_not_json_or_lacks_a_field_is_a_clear_error() -> None:
    with pytest.raises(PageResultError, match="not JSON"):
        parse_result("[object Object]", "a clock probe")
    with pytest.raises(PageResultError, match="lacks t, fired"):
        require({"why": "done"}, "the page clock's run", ("t", "fired"))
    with pytest.raises(PageResultError, match="not a list of 2"):
        require([1], "a clock probe", length=2)
    assert require([1, None], "a clock probe", length=2) == [1, None]


BREAKS_EVAL_AT = {  # in a timer (the clock's run meets it), at the visitor's first click (the click's flush or settle)
    "retry_503": "\nsetTimeout(() => { window.eval = function eval() { throw new EvalError('no eval here'); }; }, 1500);\n",
    "repeat_clicks": "\ndocument.addEventListener('click', () => { window.eval = function eval() { throw new EvalError('no eval here'); }; }, true);\n",
}


@pytest.mark.browser
@pytest.mark.parametrize("scenario", sorted(BREAKS_EVAL_AT))
def test_a_build_breaking_eval_steers_no_clock_run_probe_flush_or_click(tank_worlds, scenario: str) -> None:
    """The clock runs, probes, flushes and the click's locate of a tab go over its own CDP session
    (harness/history/tabcall.py), which runs no page ``eval``: a build breaking it in a timer or at
    its first click gets the reference's verdict, fates and attempts. Was: every harness call to the
    page threw and the scenario was an error naming eval (it could not be driven); before that, the
    page was taken for one navigating away. Pages called through Playwright still name it (below)."""
    reference = load_build("reference")
    hostile = dataclasses.replace(reference, name="hostile:breaks_eval", source=reference.source + BREAKS_EVAL_AT[scenario])
    sc = next(s for s in bundled_scenarios() if s.name == scenario)
    world = tank_worlds.get("memory")
    honest, patched = world.run(reference, sc), world.run(hostile, sc)
    assert honest.error is None and patched.error is None, (honest.error, patched.error)
    assert patched.verdict.passed == honest.verdict.passed
    assert _fates(patched.verdict) == _fates(honest.verdict)
    assert [(a.via, a.outcome, a.status, sorted(a.ids)) for a in patched.history.attempts] == \
        [(a.via, a.outcome, a.status, sorted(a.ids)) for a in honest.history.attempts]


BREAKS_EVAL_JS = """document.body.insertAdjacentHTML("beforeend", "<button id=tank-b onclick='window.hits=(window.hits||0)+1'>b</button>");
window.eval = function eval() { throw new EvalError("no eval here"); };"""


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="module")
async def test_a_click_or_flush_on_a_page_with_eval_broken_is_an_error_naming_it(origin) -> None:  # noqa: F811
    """Was: the click's locate failed, Playwright's own click went ahead blind, and the flush's
    sentinel write failed in silence (as on a page navigating away): every later harness call
    then failed with Playwright's raw text."""
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.add_script_tag(content=BREAKS_EVAL_JS)
        with pytest.raises(TamperedPageError, match=r"the click on #tank-b: the call failed \(.*no eval here\): the build replaced eval"):
            await pointer.click(page, "#tank-b")
        with pytest.raises(TamperedPageError, match=r"the click on #tank-b: .*the build replaced eval"):
            await pointer.locate_marking(page, "#tank-b", ("__tank_sync", "00000001"))
        with pytest.raises(TamperedPageError, match=r"the flush before a step: .*the build replaced eval"):
            await ctx.write_sentinel(page, "00000002")
    finally:
        await context.close()


@pytest.mark.browser
@pytest.mark.asyncio(loop_scope="module")
async def test_a_click_or_flush_on_a_page_with_nothing_replaced_still_falls_back(origin) -> None:  # noqa: F811
    browser, url = origin
    context, page = await _as_in_a_run(browser, url, INSTRUMENT_JS)
    try:
        await page.add_script_tag(content=BREAKS_EVAL_JS.split("\n")[0])
        assert await ctx.write_sentinel(page, "00000003") is True
        await pointer.click(page, "#tank-b")
        assert await page.evaluate("window.hits") == 1
    finally:
        await context.close()
