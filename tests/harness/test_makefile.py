"""`make setup` reaches for apt only when nothing usable is found, in the harness's order:
TANK_BROWSER, a Playwright-managed Chromium, Debian's; DATABASE_URL, else the server binaries.
apt-get (and sudo) are stand-ins here that only record what they were asked."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTHING = ["DEBIAN_BROWSERS=/nonexistent/chromium", "POSTGRES_INITDB=/nonexistent/initdb"]


@pytest.fixture
def apt(tmp_path: Path) -> Path:
    """A fake apt-get (and sudo) first on PATH; returns the file recording its calls."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return log


def make(apt: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("TANK_BROWSER", "DATABASE_URL", "PLAYWRIGHT_BROWSERS_PATH")}
    base["PATH"] = f"{apt.parent / 'bin'}:{base['PATH']}"
    base["HOME"] = str(apt.parent / "home")
    return subprocess.run(["make", "-s", "-C", str(ROOT), "system-deps", *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60)


def installed(apt: Path) -> str:
    return apt.read_text() if apt.exists() else ""


def test_nothing_found_installs_browser_and_database(apt: Path) -> None:
    r = make(apt, *NOTHING)
    assert r.returncode == 0, r.stderr
    assert "chromium-headless-shell" in installed(apt) and "postgresql" in installed(apt)


def test_tank_browser_and_database_url_need_no_packages(apt: Path) -> None:
    r = make(apt, *NOTHING, TANK_BROWSER=shutil.which("true") or "/bin/true", DATABASE_URL="postgresql://ci@db/tank")
    assert r.returncode == 0, r.stderr
    assert installed(apt) == ""


def test_a_playwright_managed_chromium_is_used(apt: Path) -> None:
    chrome = apt.parent / "home" / ".cache" / "ms-playwright" / "chromium-1200" / "chrome-linux" / "chrome"
    chrome.parent.mkdir(parents=True)
    chrome.write_text("")
    chrome.chmod(0o755)
    r = make(apt, *NOTHING, DATABASE_URL="postgresql://ci@db/tank")
    assert r.returncode == 0, r.stderr
    assert installed(apt) == ""


def test_a_wrong_tank_browser_is_an_error_not_an_install(apt: Path) -> None:
    r = make(apt, *NOTHING, TANK_BROWSER="/nonexistent/chrome")
    assert r.returncode != 0 and "TANK_BROWSER=/nonexistent/chrome is not an executable" in r.stderr
    assert installed(apt) == ""
