"""``python -m server_stub`` runs the stub alone, prints its URLs and stops on SIGTERM."""
from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp


async def test_cli_prints_urls_and_serves(tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.js"
    tracker.write_text("window.cli = 1;")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server_stub", "--site-id", "cli-site", "--tracker", str(tracker), "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)  # type: ignore[union-attr]
        urls = json.loads(line)
        async with aiohttp.ClientSession() as http:
            name, _, token = urls["control_header"].partition(": ")
            async with http.get(urls["control"]) as resp:
                assert resp.status == 403, "without the printed token the control app refuses"
            async with http.get(urls["control"], headers={name: token}) as resp:
                assert (await resp.json())["site_id"] == "cli-site"
            async with http.get(urls["site"] + "tracker.js") as resp:
                assert await resp.text() == "window.cli = 1;"
            async with http.post(urls["sync"], json={"s": "cli-site", "sm": "2026-01-01"}) as resp:
                assert resp.status == 200
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=20) == 0


async def test_cli_rejects_a_missing_tracker(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server_stub", "--site-id", "x", "--tracker", str(tmp_path / "none.js"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    assert proc.returncode == 2 and b"does not exist" in err
