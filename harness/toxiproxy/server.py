"""Running the embedded Toxiproxy-compatible server: in the foreground, or in a background thread.

The harness drives Toxiproxy through toxiproxy-python, a synchronous ``requests`` client. Were the
server on the caller's event loop, a sync call from that loop would block the very loop that must
answer it. :class:`EmbeddedToxiproxy` therefore runs the API *and all proxied connections* on a
loop of its own in a daemon thread; any thread (or loop) can then call it, sync or async.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from harness.contract.control import Refusal
from server_stub.head_deadline import HEAD_TIMEOUT_S, HeadDeadlines
from server_stub.head_deadline import serve as serve_cutting_slow_heads

from .api import make_app
from .collection import ProxyCollection
from .pagetime import PageClock

log = logging.getLogger(__name__)


class ToxiproxyServer:
    """The API plus its proxies on the current event loop (no thread).

    The API listener cuts a connection whose request head is not complete within
    ``head_timeout_s`` of real time (``server_stub.head_deadline``, as the Sync stub's listeners
    do). The proxy listeners pass bytes through untouched, as Toxiproxy's do: a slow head through
    them is cut by the listener behind (the Sync stub)."""

    def __init__(self, seed: int | None = None, token: str | None = None,
                 head_timeout_s: float = HEAD_TIMEOUT_S) -> None:
        self.collection = ProxyCollection(seed)
        self.token = token
        self.refusals: list[Refusal] = []
        self.head_timeout_s = head_timeout_s
        self.head_deadlines: HeadDeadlines | None = None  # the API listener's: connections cut
        self._runner: web.AppRunner | None = None
        self._server: asyncio.AbstractServer | None = None
        self.url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = make_app(self.collection, self.token, self.refusals)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        try:
            self._server, self.head_deadlines = await serve_cutting_slow_heads(runner, app, host, port, self.head_timeout_s)
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        sockname = self._server.sockets[0].getsockname()
        shown = f"[{sockname[0]}]" if ":" in sockname[0] else sockname[0]
        self.url = f"http://{shown}:{sockname[1]}"
        return self.url

    async def close(self) -> None:
        """Close every listener and connection, then the API."""
        self.collection.close()
        server, self._server = self._server, None
        if server is not None:
            server.close()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await asyncio.sleep(0)  # let transports run their connection_lost callbacks


class EmbeddedToxiproxy:
    """A Toxiproxy-compatible server in a background thread with its own event loop.

    ``start()`` returns the API URL; ``stop()`` closes everything and is idempotent. Usable as
    ``with EmbeddedToxiproxy(seed=1) as tp:`` and ``async with EmbeddedToxiproxy() as tp:``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, seed: int | None = None,
                 token: str | None = None, head_timeout_s: float = HEAD_TIMEOUT_S) -> None:
        self.token = token  # when set, the API answers only clients sending it
        self.head_timeout_s = head_timeout_s
        self.refusals: list[Refusal] = []  # requests the API refused (appended from its thread)
        self.host = host
        self.port = port
        self.seed = seed
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: ToxiproxyServer | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        with self._lock:
            if self._thread is not None:
                return self.url
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="embedded-toxiproxy",
                                      daemon=True)
            thread.start()
            server = ToxiproxyServer(self.seed, self.token, self.head_timeout_s)
            server.refusals = self.refusals
            try:
                self.url = asyncio.run_coroutine_threadsafe(
                    server.start(self.host, self.port), loop).result(timeout=30)
            except BaseException:
                _stop_loop(loop, thread)
                raise
            self._loop, self._thread, self._server = loop, thread, server
            return self.url

    @property
    def head_deadlines(self) -> HeadDeadlines | None:
        """The API listener's slow-head cuts (None when not running)."""
        return None if self._server is None else self._server.head_deadlines

    def attach_page_clock(self, proxy: str, clock: PageClock | None) -> None:
        """Apply the toxic durations of proxy ``proxy`` in page time (None: real time again).

        In-process only (the HTTP API stays Toxiproxy's); callable from any thread."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            raise RuntimeError("the embedded toxiproxy is not running")

        async def attach() -> None:
            server.collection.get(proxy).page_clock = clock

        asyncio.run_coroutine_threadsafe(attach(), loop).result(timeout=30)

    def stop(self) -> None:
        with self._lock:
            loop, thread, server = self._loop, self._thread, self._server
            self._loop = self._thread = self._server = None
            if loop is None or thread is None or server is None:
                return
            try:
                asyncio.run_coroutine_threadsafe(server.close(), loop).result(timeout=30)
            except Exception:  # still stop the loop: never leave a thread behind
                log.exception("embedded toxiproxy: error while closing")
            _stop_loop(loop, thread)

    def __enter__(self) -> EmbeddedToxiproxy:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> EmbeddedToxiproxy:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await asyncio.to_thread(self.stop)


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    async def cancel_rest() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(cancel_rest(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    if not thread.is_alive():
        loop.close()


def _print_url(url: str) -> None:
    print(f"toxiproxy API listening on {url}", flush=True)


async def serve(host: str, port: int, seed: int | None,
                on_ready: Callable[[str], None] | None = _print_url) -> None:
    """Run the server in the foreground until cancelled, SIGINT or SIGTERM; then close cleanly.

    ``on_ready`` receives the API URL once listening (default: print it).
    """
    server = ToxiproxyServer(seed)
    url = await server.start(host, port)
    if on_ready is not None:
        on_ready(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await server.close()
