"""Our Toxiproxy client: a thin, thread-safe wrapper over toxiproxy-python.

toxiproxy-python keeps the server address in class attributes (``APIConsumer.host/port``), so
two servers — or two threads — would talk over each other; every call here sets them under one
lock. It also maps only 400/404/409 to exceptions (a 500 bind failure comes back as a "proxy"
made of the error body), has no toxic PATCH and implements ``populate`` client-side; so calls go
through its ``APIConsumer`` and we check every status, PATCH goes through ``requests`` directly,
and ``populate`` uses the server's atomic ``POST /populate``. Every failure is a
:class:`ToxiproxyError`. Async versions (``client.aio``) run the same calls in a worker thread.
"""
from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from toxiproxy.api import APIConsumer
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from harness.contract.control import TOKEN_HEADER

from .addr import split_host_port
from .spec import validate_toxic_spec

__all__ = ["AsyncToxiproxyClient", "ProxyInfo", "ToxiproxyClient", "ToxiproxyError",
           "validate_toxic_spec"]

_API_LOCK = threading.Lock()
"""Guards toxiproxy-python's class-level host/port for the duration of each call."""

_LIBRARY_ERRORS: dict[type[Exception], int] = {InvalidToxic: 400, NotFound: 404, ProxyExists: 409}


class ToxiproxyError(Exception):
    """Any failed Toxiproxy call: HTTP ``status`` (0 = unreachable) and the server's message."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"toxiproxy {status}: {message}" if status else f"toxiproxy: {message}")
        self.status = status
        self.message = message
        self.body = body


@dataclass(frozen=True)
class ProxyInfo:
    name: str
    listen_host: str
    listen_port: int
    upstream: str
    enabled: bool

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ProxyInfo:
        host, port = split_host_port(str(obj["listen"]))
        return cls(name=str(obj["name"]), listen_host=host, listen_port=port,
                   upstream=str(obj["upstream"]), enabled=bool(obj["enabled"]))


def _error_text(content: bytes | str) -> tuple[str, Any]:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip() or "(empty answer)", None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"], body
    return text.strip(), body


class ToxiproxyClient:
    """Synchronous client for one Toxiproxy API URL (``http://host:port``)."""

    def __init__(self, url: str, timeout: float = 10.0, token: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"toxiproxy URL must look like http://HOST:PORT, got {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.token = token  # sent as the control-token header (the embedded server of a run wants it)
        self._host, self._port = parts.hostname, parts.port

    @property
    def aio(self) -> AsyncToxiproxyClient:
        return AsyncToxiproxyClient(self)

    # ---- transport ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        kw: dict[str, Any] = {"timeout": self.timeout}
        if self.token:
            kw["headers"] = {TOKEN_HEADER: self.token}
        resp: requests.Response
        try:
            with _API_LOCK:
                APIConsumer.host, APIConsumer.port = self._host, self._port
                if method == "GET":
                    resp = APIConsumer.get(path, **kw)
                elif method == "POST":
                    resp = APIConsumer.post(path, json=body, **kw)
                elif method == "DELETE":
                    resp = APIConsumer.delete(path, **kw)
                else:  # toxiproxy-python has no PATCH
                    resp = requests.request(method, self.url + path, json=body, **kw)
        except tuple(_LIBRARY_ERRORS) as exc:
            message, parsed = _error_text(exc.args[0] if exc.args else b"")
            raise ToxiproxyError(_LIBRARY_ERRORS[type(exc)], message, parsed) from None
        except requests.RequestException as exc:
            raise ToxiproxyError(0, f"cannot reach {self.url}: {exc}") from None
        if not resp.ok:
            message, parsed = _error_text(resp.content)
            raise ToxiproxyError(resp.status_code, message, parsed)
        return resp

    @staticmethod
    def _json(resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise ToxiproxyError(resp.status_code, f"not JSON: {resp.text[:200]!r}") from None

    # ---- server -------------------------------------------------------------------------------
    def version(self) -> str:
        """The server's version string (``{"version": …}`` or plain text, both seen in 2.x)."""
        text: str = self._call("GET", "/version").content.decode("utf-8", "replace").strip()
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        return str(parsed.get("version", text)) if isinstance(parsed, dict) else text

    def reset(self) -> None:
        """Enable every proxy and remove every toxic (proxies stay)."""
        self._call("POST", "/reset")

    # ---- proxies ------------------------------------------------------------------------------
    def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0",
                     enabled: bool = True) -> ProxyInfo:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return ProxyInfo.from_json(self._json(self._call("POST", "/proxies", body)))

    def proxies(self) -> dict[str, ProxyInfo]:
        data = self._json(self._call("GET", "/proxies"))
        return {name: ProxyInfo.from_json(p) for name, p in data.items()}

    def get_proxy(self, name: str) -> ProxyInfo:
        return ProxyInfo.from_json(self._json(self._call("GET", _p(name))))

    def set_enabled(self, name: str, enabled: bool) -> ProxyInfo:
        """Disable: live connections close, new ones are refused. Enable: listen again."""
        return ProxyInfo.from_json(self._json(self._call("POST", _p(name), {"enabled": enabled})))

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", _p(name))

    def populate(self, proxies: list[dict[str, Any]]) -> list[ProxyInfo]:
        """Create or replace many proxies; the server validates all entries before creating any."""
        data = self._json(self._call("POST", "/populate", proxies))
        return [ProxyInfo.from_json(p) for p in data.get("proxies", [])]

    # ---- toxics -------------------------------------------------------------------------------
    def add_toxic(self, proxy: str, type: str, stream: str | None = "downstream",
                  toxicity: float | None = 1.0, attributes: dict[str, Any] | None = None,
                  name: str | None = None) -> dict[str, Any]:
        """Add a toxic (None means Toxiproxy's default); returns the toxic as the server has it."""
        stream = stream or "downstream"
        body = {"name": name or f"{type}_{stream}", "type": type, "stream": stream,
                "toxicity": 1.0 if toxicity is None else toxicity,
                "attributes": dict(attributes or {})}
        data: dict[str, Any] = self._json(self._call("POST", _p(proxy) + "/toxics", body))
        return data

    def update_toxic(self, proxy: str, name: str, attributes: dict[str, Any] | None = None,
                     toxicity: float | None = None) -> dict[str, Any]:
        """Change attributes (merged into the current ones) and/or toxicity of a toxic."""
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = dict(attributes)
        if toxicity is not None:
            body["toxicity"] = toxicity
        data: dict[str, Any] = self._json(self._call("PATCH", _t(proxy, name), body))
        return data

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", _t(proxy, name))

    def toxics(self, proxy: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._json(self._call("GET", _p(proxy) + "/toxics"))
        return data

    def get_toxic(self, proxy: str, name: str) -> dict[str, Any]:
        data: dict[str, Any] = self._json(self._call("GET", _t(proxy, name)))
        return data


def _p(proxy: str) -> str:
    return "/proxies/" + quote(proxy, safe="")


def _t(proxy: str, toxic: str) -> str:
    return f"{_p(proxy)}/toxics/{quote(toxic, safe='')}"


class AsyncToxiproxyClient:
    """The same calls for async code: each runs in a worker thread (``asyncio.to_thread``)."""

    def __init__(self, sync: ToxiproxyClient) -> None:
        self.sync = sync
        self.url = sync.url

    async def version(self) -> str:
        return await asyncio.to_thread(self.sync.version)

    async def reset(self) -> None:
        await asyncio.to_thread(self.sync.reset)

    async def create_proxy(self, name: str, upstream: str, listen: str = "127.0.0.1:0",
                           enabled: bool = True) -> ProxyInfo:
        return await asyncio.to_thread(self.sync.create_proxy, name, upstream, listen, enabled)

    async def proxies(self) -> dict[str, ProxyInfo]:
        return await asyncio.to_thread(self.sync.proxies)

    async def get_proxy(self, name: str) -> ProxyInfo:
        return await asyncio.to_thread(self.sync.get_proxy, name)

    async def set_enabled(self, name: str, enabled: bool) -> ProxyInfo:
        return await asyncio.to_thread(self.sync.set_enabled, name, enabled)

    async def delete_proxy(self, name: str) -> None:
        await asyncio.to_thread(self.sync.delete_proxy, name)

    async def populate(self, proxies: list[dict[str, Any]]) -> list[ProxyInfo]:
        return await asyncio.to_thread(self.sync.populate, proxies)

    async def add_toxic(self, proxy: str, type: str, stream: str | None = "downstream",
                        toxicity: float | None = 1.0, attributes: dict[str, Any] | None = None,
                        name: str | None = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.add_toxic, proxy, type, stream, toxicity,
                                       attributes, name)

    async def update_toxic(self, proxy: str, name: str, attributes: dict[str, Any] | None = None,
                           toxicity: float | None = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.update_toxic, proxy, name, attributes, toxicity)

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await asyncio.to_thread(self.sync.remove_toxic, proxy, name)

    async def toxics(self, proxy: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.toxics, proxy)

    async def get_toxic(self, proxy: str, name: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.get_toxic, proxy, name)
