"""The embedded server's lifecycle (thread, foreground, CLI), seeding, and the service chooser."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from harness.toxiproxy import EmbeddedToxiproxy, serve, service
from harness.toxiproxy.client import ToxiproxyClient
from harness.toxiproxy.service import ToxiproxyUnavailable, toxiproxy_service
from tests.toxiproxy.tp_support import SHORT, Upstream, connect, outcome, roundtrip_ms


async def _refused(port: int) -> bool:
    try:
        _, writer = await connect(port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


async def test_stop_closes_api_listeners_and_connections(echo: Upstream) -> None:
    tp = EmbeddedToxiproxy(seed=1)
    url = await asyncio.to_thread(tp.start)
    assert await asyncio.to_thread(tp.start) == url, "start twice returns the same server"
    client = ToxiproxyClient(url)
    info = await client.aio.create_proxy("p", echo.address)
    reader, writer = await connect(info.listen_port)
    await roundtrip_ms(reader, writer)
    await asyncio.to_thread(tp.stop)
    kind, _, _ = await outcome(reader, SHORT)
    assert kind in ("eof", "reset")
    writer.close()
    assert await _refused(info.listen_port)
    assert await _refused(int(url.rsplit(":", 1)[1]))
    await asyncio.to_thread(tp.stop)  # idempotent


async def test_context_managers(echo: Upstream) -> None:
    async with EmbeddedToxiproxy() as tp:
        assert (await ToxiproxyClient(tp.url).aio.version()).startswith("2.")
    with EmbeddedToxiproxy(port=0) as tp2:
        assert ToxiproxyClient(tp2.url).proxies() == {}
    assert await _refused(int(tp2.url.rsplit(":", 1)[1]))


async def test_serve_in_the_foreground_until_cancelled() -> None:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve("127.0.0.1", 0, 3, on_ready=ready.set_result))
    url = await asyncio.wait_for(ready, 5)
    async with aiohttp.ClientSession() as s, s.get(url + "/version") as resp:
        assert resp.status == 200
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _refused(int(url.rsplit(":", 1)[1]))


def test_module_cli_prints_url_and_stops_on_sigterm() -> None:
    cmd = [sys.executable, "-m", "harness.toxiproxy", "--port", "0", "--seed", "1"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            line = proc.stdout.readline()
            assert "http://127.0.0.1:" in line, line + proc.stderr.read()
            url = line.split()[-1]
            assert ToxiproxyClient(url).version().startswith("2.")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_module_cli_rejects_a_bad_port() -> None:
    done = subprocess.run([sys.executable, "-m", "harness.toxiproxy", "--port", "70000"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--port must be 0..65535" in done.stderr


async def _fates(url: str, up: Upstream, n: int) -> list[int]:
    """Bytes each of n sequential connections got through a 50% limit_data(1) toxic."""
    client = ToxiproxyClient(url).aio
    info = await client.create_proxy("seeded", up.address)
    await client.add_toxic("seeded", "limit_data", toxicity=0.5, attributes={"bytes": 1})
    got = []
    for _ in range(n):
        reader, writer = await connect(info.listen_port)
        data = b""
        while len(data) < 10:
            chunk = await asyncio.wait_for(reader.read(10), SHORT)
            if not chunk:
                break
            data += chunk
        got.append(len(data))
        writer.close()
    return got


async def test_same_seed_same_toxicity_rolls(upstream) -> None:  # type: ignore[no-untyped-def]
    up = await upstream(mode="send", payload=b"0123456789")
    runs = []
    for _ in range(2):
        async with EmbeddedToxiproxy(seed=42) as tp:
            runs.append(await _fates(tp.url, up, 10))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {1, 10}, "toxicity 0.5 over 10 connections should hit and miss"


# ---- toxiproxy_service -------------------------------------------------------------------------
@pytest.fixture
def no_real(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TOXIPROXY_URL and a PATH without toxiproxy-server (a directory the test may fill)."""
    monkeypatch.delenv("TOXIPROXY_URL", raising=False)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    return bindir


async def test_service_falls_back_to_embedded(no_real: Path) -> None:
    async with toxiproxy_service(seed=1) as svc:
        assert svc.kind == "embedded" and svc.version == "2.12.0"
        assert svc.client().proxies() == {}
    assert await _refused(int(svc.url.rsplit(":", 1)[1]))


async def test_service_uses_toxiproxy_url(no_real: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with EmbeddedToxiproxy() as other:
        monkeypatch.setenv("TOXIPROXY_URL", other.url)
        async with toxiproxy_service(seed=1) as svc:
            assert (svc.kind, svc.url) == ("real", other.url)
        assert ToxiproxyClient(other.url).version(), "a server we did not start stays up"
    monkeypatch.setenv("TOXIPROXY_URL", "http://127.0.0.1:9")
    with pytest.raises(ToxiproxyUnavailable, match=r"TOXIPROXY_URL=http://127\.0\.0\.1:9"):
        async with toxiproxy_service(seed=1):
            pass


async def test_service_starts_and_stops_a_binary_on_path(no_real: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # The Go binary answers within milliseconds; this Python stand-in needed more than 10 s to
    # import and bind at load average ~30 on 2 cores.
    monkeypatch.setattr(service, "START_TIMEOUT", 90.0)
    pidfile = tmp_path / "pid"
    shim = no_real / "toxiproxy-server"
    # Stand-in for the Go binary: same flags (-host H -port P -seed S), our server behind them.
    shim.write_text(
        "#!/bin/sh\n"
        f'echo $$ > "{pidfile}"\n'
        f'exec "{sys.executable}" -m harness.toxiproxy --host "$2" --port "$4" --seed "$6"\n')
    shim.chmod(0o755)
    async with toxiproxy_service(seed=9) as svc:
        assert svc.kind == "real" and svc.version == "2.12.0"
        pid = int(pidfile.read_text())
        os.kill(pid, 0)  # running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert await _refused(int(svc.url.rsplit(":", 1)[1]))


async def test_service_reports_a_binary_that_fails(no_real: Path) -> None:
    shim = no_real / "toxiproxy-server"
    shim.write_text("#!/bin/sh\necho 'flag provided but not defined: -seed' >&2\nexit 2\n")
    shim.chmod(0o755)
    with pytest.raises(ToxiproxyUnavailable, match="did not start: flag provided but not defined"):
        async with toxiproxy_service(seed=1):
            pass
