"""The harness's --disable-features repeats Playwright's own list (Chromium keeps the last value of a
switch given twice): a Playwright upgrade that changes its list must change ours, or features
Playwright turns off for testing would come back on."""
from __future__ import annotations

import re
from pathlib import Path

import playwright
import pytest

from harness.world.browser import DISABLED_FEATURES, LAUNCH_ARGS, PLAYWRIGHT_DISABLED_FEATURES


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
