"""The harness's --disable-features repeats Playwright's own list (Chromium keeps the last value of a
switch given twice): a Playwright upgrade that changes its list must change ours, or features
Playwright turns off for testing would come back on. A user's feature switches (a bench's
``--chromium-arg``) are joined with the harness's, never put after them; RenderDocument stays off."""
from __future__ import annotations

import re
from pathlib import Path

import playwright
import pytest

from harness.contract.errors import UsageProblem
from harness.world import browser
from harness.world.browser import (
    DISABLED_FEATURES,
    LAUNCH_ARGS,
    PLAYWRIGHT_DISABLED_FEATURES,
    BrowserChoice,
    merge_feature_switches,
)


def playwright_list() -> list[str]:
    bundle = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "coreBundle.js"
    if not bundle.is_file():
        pytest.skip(f"Playwright's driver bundle is not at {bundle}")
    found = re.search(r"disabledFeatures = \[(.*?)\]\.filter\(Boolean\)", bundle.read_text(), re.S)
    assert found, "Playwright's disabledFeatures list was not found in its driver bundle"
    body = re.sub(r"//[^\n]*", "", found.group(1))  # its comments
    return re.findall(r'"([^"]*)"', body)


def test_our_disabled_features_repeat_playwrights() -> None:
    assert list(PLAYWRIGHT_DISABLED_FEATURES) == [f for f in playwright_list() if f]


def test_render_document_is_off_in_the_one_disable_features_switch() -> None:
    switches = [a for a in LAUNCH_ARGS if a.startswith("--disable-features=")]
    assert switches == ["--disable-features=" + ",".join(DISABLED_FEATURES)]
    assert "RenderDocument" in DISABLED_FEATURES


def _effective(args: list[str], switch: str) -> list[str]:
    """The features Chromium takes from ``args``: the last value of ``switch`` wins."""
    values = [a[len(switch):] for a in args if a.startswith(switch)]
    return values[-1].split(",") if values else []


def _launched_with(monkeypatch: pytest.MonkeyPatch, *extra: str) -> list[str]:
    """The launch arguments after a bench appends ``extra`` (``bench/pagetime.py --chromium-arg``)."""
    monkeypatch.setattr(browser, "LAUNCH_ARGS", [*LAUNCH_ARGS, *extra])
    args = BrowserChoice("/usr/bin/chromium-headless-shell", "debian").launch_kwargs()["args"]
    assert isinstance(args, list)
    return args


def test_a_users_disable_features_joins_the_harness_list(monkeypatch: pytest.MonkeyPatch) -> None:
    args = _launched_with(monkeypatch, "--disable-features=Translate,site-per-process", "--disable-gpu")
    assert _effective(args, "--disable-features=") == [*DISABLED_FEATURES, "Translate", "site-per-process"]
    assert sum(a.startswith("--disable-features=") for a in args) == 1


def test_a_users_enable_features_leaves_the_disabled_list(monkeypatch: pytest.MonkeyPatch) -> None:
    args = _launched_with(monkeypatch, "--enable-features=PaintHolding,NetworkServiceInProcess2",
                          "--enable-features=Foo:bar/1")
    assert _effective(args, "--enable-features=") == ["PaintHolding", "NetworkServiceInProcess2", "Foo:bar/1"]
    assert _effective(args, "--disable-features=") == [f for f in DISABLED_FEATURES if f != "PaintHolding"]


@pytest.mark.parametrize("flag", ["--enable-features=RenderDocument", "--enable-features=Translate,RenderDocument:level/subframe"])
def test_turning_render_document_on_is_refused(monkeypatch: pytest.MonkeyPatch, flag: str) -> None:
    with pytest.raises(UsageProblem, match="RenderDocument.*keeps it off.*tab storage channel"):
        _launched_with(monkeypatch, flag)


def test_without_feature_flags_the_arguments_are_the_harness_own() -> None:
    assert merge_feature_switches(LAUNCH_ARGS) == LAUNCH_ARGS
