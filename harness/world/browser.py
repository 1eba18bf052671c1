"""Finding and launching Chromium.

Playwright cannot download its browsers on this network, so the harness prefers a
Playwright-managed Chromium when one is installed and otherwise uses Debian's packages.
``TANK_BROWSER`` names an executable explicitly.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Playwright

from harness.contract.errors import EnvironmentProblem

DEBIAN_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")

# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# closed network refuses; --no-sandbox because CI runs as root.
LAUNCH_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


@dataclass(frozen=True)
class BrowserChoice:
    executable: str | None  # None: Playwright's own managed build
    source: str  # "env" | "playwright" | "debian"

    def launch_kwargs(self) -> dict[str, object]:
        args = list(LAUNCH_ARGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")
        kw: dict[str, object] = {"headless": True, "args": args}
        if self.executable:
            kw["executable_path"] = self.executable
        return kw


def find_browser(pw: Playwright) -> BrowserChoice:
    """Pick the browser: $TANK_BROWSER, a Playwright-managed Chromium, else Debian's."""
    explicit = os.environ.get("TANK_BROWSER")
    if explicit:
        path = shutil.which(explicit) or explicit
        if not Path(path).is_file():
            raise EnvironmentProblem(f"TANK_BROWSER={explicit!r} is not an executable file")
        return BrowserChoice(path, "env")
    try:
        managed = pw.chromium.executable_path
    except Exception:  # noqa: BLE001 - Playwright raises when no managed build is registered
        managed = ""
    if managed and Path(managed).is_file():
        return BrowserChoice(None, "playwright")
    for candidate in DEBIAN_CANDIDATES:
        if Path(candidate).is_file():
            return BrowserChoice(candidate, "debian")
    raise EnvironmentProblem(
        "no browser found: install Debian's chromium-headless-shell (make setup) or set TANK_BROWSER"
    )
