"""Finding processes a run may leave behind, from /proc (no extra dependency)."""
from __future__ import annotations

import os
from pathlib import Path

MARKERS = ("chrom", "headless_shell", "postgres", "toxiproxy", "playwright")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def suspects() -> dict[int, str]:
    """Live processes that look like something a run starts (browser, database, proxy, driver)."""
    out: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            cmd = cmdline(int(entry))
            state = ""
            try:
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z" and any(m in cmd for m in MARKERS):
                out[int(entry)] = cmd
    return out


def descendants(root: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            kids.setdefault(parent(int(entry)), []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in kids.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
