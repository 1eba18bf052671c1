"""What a failed scenario leaves beside the report: a Playwright trace per browser context, a
screenshot of every open page at the end, and the page console and errors.

``--trace``: ``off`` (nothing is recorded), ``on`` (kept for every scenario) or
``retain-on-failure`` (recorded for every scenario, kept only for failed ones). Traces open with
``playwright show-trace FILE.zip``. Until the verdict is known everything is written under the
world's temporary folder; ``retain`` then moves it to ``DIR/<scenario>/`` or deletes it.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from harness.checker.fmt import rel
from harness.contract.history import History

if TYPE_CHECKING:
    from harness.world.context import ContextSession

TRACE_MODES = ("off", "on", "retain-on-failure")
SCREENSHOT_TIMEOUT_MS = 5000


async def capture_pages(sessions: Iterable["ContextSession"], dest: Path) -> list[str]:
    """A screenshot of every open tab; returns notes for pages that could not be captured."""
    notes = []
    dest.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        for tab, page in list(session.tabs.items()):
            if page.is_closed():
                continue
            try:
                await page.screenshot(path=str(dest / f"{session.name}-{tab}.png"), timeout=SCREENSHOT_TIMEOUT_MS)
            except Exception as exc:  # noqa: BLE001 - a crashed or hung page: say so, keep the rest
                notes.append(f"no screenshot of {session.name} · {tab}: {str(exc).splitlines()[0]}")
    return notes


def console_text(history: History) -> str:
    """The page console and page errors, one line each, in page time since the first step."""
    t0 = min((o.t_page for o in history.ops), default=None)
    lines = []
    for m in history.page_messages:
        where = f" ({m.source})" if m.source else ""
        lines.append(f"{rel(m.t_page, t0):>12}  {m.context} · {m.page}  {m.kind} {m.level}: {m.text}{where}")
        if m.stack and m.kind == "pageerror":
            lines += [f"{'':>14}{line.strip()}" for line in m.stack.splitlines()[:12]]
    return "\n".join(lines) + ("\n" if lines else "")


def retain(staged: Path | None, dest: Path, history: History, keep: bool) -> Path | None:
    """Move a scenario's staged traces and screenshots to ``dest`` (with its console log) when
    ``keep``; delete them otherwise. Returns the folder kept."""
    if staged is None:
        return None
    if not keep:
        shutil.rmtree(staged, ignore_errors=True)
        return None
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if staged.exists():
        shutil.move(str(staged), str(dest))
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "console.txt").write_text(console_text(history), encoding="utf-8")
    return dest
