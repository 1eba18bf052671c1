"""What the fault proxy costs when it injects nothing: small HTTP requests, direct vs proxied.

    .venv/bin/python bench/proxy_overhead.py [--seconds 1.0] [--concurrency 8]

An aiohttp upstream (own process) answers ``GET /`` with 2 bytes; an aiohttp keep-alive client
measures, in the same run and interleaved in rounds so machine load hits every path alike:
- ``direct``            client → upstream
- ``embedded-thread``   through EmbeddedToxiproxy in a thread of this process (how the harness runs it)
- ``embedded-process``  through ``python -m harness.toxiproxy`` in its own process
- ``real``              through a real Toxiproxy (TOXIPROXY_URL, or toxiproxy-server on PATH)
For each: sequential latency p50/p99 over one keep-alive connection, and requests/s with
``--concurrency`` connections. Loopback only; every loop is bounded by time and count.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from harness.toxiproxy import EmbeddedToxiproxy
from harness.toxiproxy.client import ToxiproxyClient
from harness.toxiproxy.service import toxiproxy_service

MAX_REQUESTS = 200_000  # hard cap per measurement, whatever the duration


def _upstream_main(port_out: mp.Queue) -> None:  # type: ignore[type-arg]
    async def ok(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def run() -> None:
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_out.put(runner.addresses[0][1])
        await asyncio.sleep(3600)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@contextlib.contextmanager
def upstream_process() -> Iterator[int]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_upstream_main, args=(q,), daemon=True)
    proc.start()
    try:
        yield int(q.get(timeout=30))
    finally:
        proc.terminate()
        proc.join(5)


@contextlib.contextmanager
def embedded_process() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "harness.toxiproxy", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().split()[-1]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Samples:
    latencies_ms: list[float] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")


async def _sequential(session: aiohttp.ClientSession, url: str, seconds: float, out: Samples) -> None:
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline and n < MAX_REQUESTS:
        t = time.perf_counter()
        async with session.get(url) as resp:
            await resp.read()
        out.latencies_ms.append((time.perf_counter() - t) * 1000)
        n += 1


async def _throughput(url: str, seconds: float, concurrency: int, out: Samples) -> None:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        for _ in range(concurrency):  # open the connections before timing
            async with session.get(url) as resp:
                await resp.read()
        count = 0
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < deadline and count < MAX_REQUESTS:
                async with session.get(url) as resp:
                    await resp.read()
                count += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        out.requests += count
        out.seconds += time.perf_counter() - start


@contextlib.asynccontextmanager
async def _real_toxiproxy() -> AsyncIterator[str | None]:
    if not os.environ.get("TOXIPROXY_URL") and not shutil.which("toxiproxy-server"):
        yield None
        return
    async with toxiproxy_service(seed=1) as svc:
        yield svc.url


async def main(seconds: float, concurrency: int, rounds: int) -> None:
    with upstream_process() as up_port, embedded_process() as proc_url, EmbeddedToxiproxy() as tp:
        async with _real_toxiproxy() as real_url:
            upstream = f"127.0.0.1:{up_port}"
            targets = {"direct": f"http://{upstream}/"}
            servers = {"embedded-thread": tp.url, "embedded-process": proc_url}
            if real_url:
                servers["real"] = real_url
            for kind, api in servers.items():
                info = await ToxiproxyClient(api).aio.create_proxy(f"bench_{os.getpid()}", upstream)
                targets[kind] = f"http://127.0.0.1:{info.listen_port}/"
            lat = {k: Samples() for k in targets}
            thr = {k: Samples() for k in targets}
            sessions = {k: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
                        for k in targets}
            try:
                for k, url in targets.items():  # warm-up: connections, caches, JIT-free paths
                    await _sequential(sessions[k], url, 0.1, Samples())
                for _ in range(rounds):
                    for k, url in targets.items():
                        await _sequential(sessions[k], url, seconds / rounds, lat[k])
                        await _throughput(url, seconds / rounds, concurrency, thr[k])
            finally:
                for s in sessions.values():
                    await s.close()
                for api in servers.values():
                    with contextlib.suppress(Exception):
                        await ToxiproxyClient(api).aio.delete_proxy(f"bench_{os.getpid()}")
    _report(lat, thr, real_url is not None, concurrency)


def _report(lat: dict[str, Samples], thr: dict[str, Samples], have_real: bool, conc: int) -> None:
    d = lat["direct"]
    print(f"{'path':<17} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8} "
          f"{'seq n':>7} {f'req/s x{conc}':>11} {'ratio':>6}")
    for k in lat:
        s, t = lat[k], thr[k]
        added50 = s.pct(50) - d.pct(50)
        added99 = s.pct(99) - d.pct(99)
        ratio = t.rps / thr["direct"].rps
        print(f"{k:<17} {s.pct(50):8.3f} {s.pct(99):8.3f} {added50:+8.3f} {added99:+8.3f} "
              f"{len(s.latencies_ms):7d} {t.rps:11.0f} {ratio:6.2f}")
    if not have_real:
        print("real Toxiproxy: not measured (no TOXIPROXY_URL, no toxiproxy-server on PATH)")
    target = lat["embedded-thread"].pct(50) - d.pct(50)
    verdict = "OK" if target < 1.0 else "OVER TARGET"
    print(f"embedded (thread) added p50 {target:.3f} ms — target < 1 ms: {verdict}")
    print(f"mean sequential latency direct {statistics.fmean(d.latencies_ms):.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per path, per measurement kind")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    args = parser.parse_args()
    if not 0 < args.seconds <= 30 or not 1 <= args.concurrency <= 256 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be in (0, 30], --concurrency 1..256, --rounds 1..20")
    asyncio.run(main(args.seconds, args.concurrency, args.rounds))
