"""All proxies of one server, and the proxy-level API semantics (create, populate, reset).

Every mutation runs under one asyncio lock, like Toxiproxy's collection mutex, so two concurrent
requests cannot both create the same name while a bind is awaited.
"""
from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from typing import Any

from . import errors
from .errors import ApiError
from .proxy import Proxy


@dataclass(frozen=True)
class ProxySpec:
    """A validated create/populate entry."""

    name: str
    listen: str
    upstream: str
    enabled: bool


def parse_proxy_spec(body: Any, where: str = "") -> ProxySpec:
    """Check types and required fields of one proxy object (400 ApiError on bad input)."""
    if not isinstance(body, dict):
        raise errors.BAD_REQUEST_BODY.joined(f"expected a JSON object{where}")
    for key in ("name", "listen", "upstream"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise errors.BAD_REQUEST_BODY.joined(f"{key}{where} must be a string")
    if body.get("enabled") is not None and not isinstance(body["enabled"], bool):
        raise errors.BAD_REQUEST_BODY.joined(f"enabled{where} must be a boolean")
    name = body.get("name") or ""
    upstream = body.get("upstream") or ""
    if not name:
        raise errors.MISSING_FIELD.joined(f"name{where}")
    if not upstream:
        raise errors.MISSING_FIELD.joined(f"upstream{where}")
    enabled = body.get("enabled")
    return ProxySpec(name=name, listen=body.get("listen") or "127.0.0.1:0",
                     upstream=upstream, enabled=True if enabled is None else enabled)


class ProxyCollection:
    def __init__(self, seed: int | None) -> None:
        self.rng = random.Random(seed)
        self.proxies: dict[str, Proxy] = {}
        self.lock = asyncio.Lock()

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise errors.PROXY_NOT_FOUND
        return proxy

    def _new(self, spec: ProxySpec) -> Proxy:
        return Proxy(spec.name, spec.listen, spec.upstream, self.rng)

    async def create(self, spec: ProxySpec) -> Proxy:
        async with self.lock:
            if spec.name in self.proxies:
                raise errors.PROXY_ALREADY_EXISTS
            proxy = self._new(spec)
            if spec.enabled:
                await proxy.start()
            self.proxies[spec.name] = proxy
            return proxy

    async def populate(self, body: Any) -> tuple[list[Proxy], ApiError | None]:
        """Validate every entry before creating any; then add or replace in order.

        An existing proxy with the same listen and upstream is kept as it is (with its toxics);
        one that differs is replaced. A bind failure stops the run and is returned with the
        proxies created so far, as Toxiproxy does.
        """
        if not isinstance(body, list):
            raise errors.BAD_REQUEST_BODY.joined("expected a JSON array of proxies")
        specs = [parse_proxy_spec(item, f" at proxy {i + 1}") for i, item in enumerate(body)]
        done: list[Proxy] = []
        async with self.lock:
            for spec in specs:
                existing = self.proxies.get(spec.name)
                if existing is not None:
                    if existing.listen == spec.listen and existing.upstream == spec.upstream:
                        done.append(existing)
                        continue
                    existing.stop()
                    del self.proxies[spec.name]
                proxy = self._new(spec)
                if spec.enabled:
                    try:
                        await proxy.start()
                    except ApiError as exc:
                        return done, exc
                self.proxies[spec.name] = proxy
                done.append(proxy)
        return done, None

    async def update(self, name: str, body: Any) -> Proxy:
        async with self.lock:
            proxy = self.get(name)
            if not isinstance(body, dict):
                raise errors.BAD_REQUEST_BODY.joined("expected a JSON object")
            merged = {"name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream,
                      "enabled": proxy.enabled}
            merged.update({k: v for k, v in body.items() if k in merged and v is not None})
            spec = parse_proxy_spec(merged)
            await proxy.update(spec.listen, spec.upstream, spec.enabled)
            return proxy

    async def remove(self, name: str) -> None:
        async with self.lock:
            proxy = self.get(name)
            proxy.stop()
            del self.proxies[name]

    async def reset(self) -> None:
        """Re-enable every proxy and remove every toxic; proxies stay."""
        async with self.lock:
            for proxy in list(self.proxies.values()):
                await proxy.start()
                proxy.toxics.reset()

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
