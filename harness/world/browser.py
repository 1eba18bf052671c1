"""Finding, launching or connecting to Chromium.

Order (the Makefile's ``browser`` target looks in the same order): ``TANK_BROWSER`` (an explicit
executable), a Playwright-managed Chromium (~/.cache/ms-playwright), then Debian's packages.
Instead of launching, the world may connect to a remote Playwright server (``--browser-ws``) or
to a Chromium's DevTools endpoint (``--browser-cdp``); see ``start_browser``.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import Browser, Playwright

from harness.contract.errors import EnvironmentProblem, UsageProblem

DEBIAN_CANDIDATES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")

# Playwright's own --disable-features list (its chromiumSwitches; Chromium keeps the last value of a
# switch given twice, so ours must repeat it: tests/harness/test_launch_features.py compares the two),
# and RenderDocument: Chromium would give each new document of a tab a new frame host and drop the
# DevTools events the old document's last writes made (its beforeunload: 13-16 of 40 navigations,
# bench/storage_events_nav.py), which a visitor's tab storage channel records (history/tabwatch.py).
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect", "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying",
    "AimEnabled", "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
)
DISABLED_FEATURES = (*PLAYWRIGHT_DISABLED_FEATURES, "RenderDocument")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# closed network refuses; --no-sandbox because CI runs as root. No GPU process: pages draw in
# software anyway (--disable-gpu), and a separate GPU process costs its own CPU and IPC for every
# frame of every context (~8 % of a run's CPU; screenshots and traces unchanged).
LAUNCH_ARGS = [
    "--disable-features=" + ",".join(DISABLED_FEATURES),
    "--disable-gpu",
    "--in-process-gpu",
    "--disable-software-rasterizer",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


FEATURE_SWITCHES = ("--disable-features=", "--enable-features=")
KEPT_OFF = {"RenderDocument": "a visitor's tab storage channel needs the DevTools events of a document's last writes; "
                              "docs/architecture.md, \"Chromium's launch flags\""}


def _feature_name(entry: str) -> str:
    """``Name`` of a feature list entry (``Name:param/value``, ``Name<Trial``, ``*Name``)."""
    return entry.lstrip("*").split(":", 1)[0].split("<", 1)[0].strip()


def merge_feature_switches(args: Sequence[str]) -> list[str]:
    """``args`` with every ``--disable-features=``/``--enable-features=`` merged into one switch each.

    Chromium keeps only the last value of a switch given twice, so a flag added after the harness's
    own (a bench's ``--chromium-arg=--disable-features=X``) would replace its list and silently turn
    RenderDocument and Playwright's test settings back on. Lists are joined instead; a feature
    asked enabled leaves the disabled list, except those the harness must keep off (``KEPT_OFF``),
    which are refused.
    """
    lists: dict[str, list[str]] = {switch: [] for switch in FEATURE_SWITCHES}
    rest: list[str] = []
    for arg in args:
        switch = next((s for s in FEATURE_SWITCHES if arg.startswith(s)), None)
        if switch is None:
            rest.append(arg)
            continue
        for entry in arg[len(switch):].split(","):
            if entry.strip() and entry.strip() not in lists[switch]:
                lists[switch].append(entry.strip())
    enabled = {_feature_name(e) for e in lists["--enable-features="]}
    refused = sorted(enabled & KEPT_OFF.keys())
    if refused:
        raise UsageProblem(f"--enable-features={refused[0]}: the harness keeps it off ({KEPT_OFF[refused[0]]})")
    lists["--disable-features="] = [e for e in lists["--disable-features="] if _feature_name(e) not in enabled]
    return [switch + ",".join(entries) for switch, entries in lists.items() if entries] + rest


@dataclass(frozen=True)
class BrowserChoice:
    executable: str | None  # None: Playwright's own managed build (or the remote side's)
    source: str  # "env" | "playwright" | "debian" | "ws" | "cdp"
    endpoint: str | None = None  # ws:// of a Playwright server, http(s):// of a DevTools endpoint

    @property
    def remote(self) -> bool:
        return self.source in ("ws", "cdp")

    def launch_kwargs(self) -> dict[str, object]:
        args = merge_feature_switches(LAUNCH_ARGS)
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


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def remote_choice(pw: Playwright, ws: str | None, cdp: str | None) -> BrowserChoice | None:
    """The remote browser asked for, if any. A Playwright server on this machine is handed the
    executable ``find_browser`` picks (it honours it when started with ``--unsafe``)."""
    if ws and cdp:
        raise EnvironmentProblem("give --browser-ws or --browser-cdp, not both")
    if cdp:
        return BrowserChoice(None, "cdp", cdp)
    if ws:
        local = None
        if is_loopback(ws):
            try:
                local = find_browser(pw).executable
            except EnvironmentProblem:
                local = None
        return BrowserChoice(local, "ws", ws)
    return None


async def start_browser(pw: Playwright, choice: BrowserChoice) -> Browser:
    """Launch the chosen Chromium, or connect to the remote one.

    Over ``ws`` the page's requests to 127.0.0.1 are routed back to this machine
    (``expose_network``), so the loopback Sync stub and fault proxy are reachable wherever the
    Playwright server runs. A DevTools endpoint has no such tunnel: it must run on this machine.
    """
    try:
        if choice.source == "ws":
            options = {k: v for k, v in choice.launch_kwargs().items() if k != "executable_path"}
            if choice.executable:
                options["executablePath"] = choice.executable
            return await pw.chromium.connect(choice.endpoint or "", expose_network="<loopback>",
                                             headers={"x-playwright-launch-options": json.dumps(options)})
        if choice.source == "cdp":
            return await pw.chromium.connect_over_cdp(choice.endpoint or "")
        return await pw.chromium.launch(**choice.launch_kwargs())
    except Exception as exc:  # noqa: BLE001 - one line naming what could not be reached or started
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        what = {"ws": f"Playwright server {choice.endpoint}", "cdp": f"DevTools endpoint {choice.endpoint}"}.get(
            choice.source, f"Chromium ({choice.executable or 'Playwright-managed'})")
        hint = ""
        if choice.source == "ws" and "xecutable" in first:
            hint = " (a server on this machine: start it with --unsafe so it may use this machine's Chromium)"
        raise EnvironmentProblem(f"cannot start {what}: {first}{hint}") from exc


@contextlib.contextmanager
def driver_temp_dir(path: Path) -> Iterator[None]:
    """Start Playwright's driver inside this block: it (and the Chromium it launches) keep their
    profile and artifact folders under ``path``. The driver reads TMPDIR once, at its start; the
    harness's own temp dir is fixed first so this brief change never moves it."""
    tempfile.gettempdir()
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old
