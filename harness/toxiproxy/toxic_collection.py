"""A proxy's toxics: parsing the API's toxic JSON, and keeping live connections in step.

Follows Toxiproxy's ``ToxicCollection``: one ordered chain per stream (upstream, downstream);
every change is pushed to the links of every live connection, so a toxic added later applies to
connections that are already open.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import errors
from .link import Link
from .toxics import REGISTRY, STREAMS, Toxic


@dataclass
class ToxicEntry:
    """Toxiproxy's ``ToxicWrapper``: name, type, stream, toxicity and the toxic (attributes)."""

    name: str
    type: str
    stream: str
    toxicity: float
    toxic: Toxic

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": self.toxic.attributes(),
        }


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise errors.BAD_REQUEST_BODY.joined(f"{what} must be a number, got {value!r}")
    return float(value)


def _toxicity(value: Any) -> float:
    toxicity = _number(value, "toxicity")
    if not 0.0 <= toxicity <= 1.0:
        raise errors.BAD_REQUEST_BODY.joined(f"toxicity must be between 0 and 1, got {value!r}")
    return toxicity


def _string(body: dict[str, Any], key: str, default: str) -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise errors.BAD_REQUEST_BODY.joined(f"{key} must be a string, got {value!r}")
    return value


def parse_new_toxic(body: Any, exists: Callable[[str], bool]) -> ToxicEntry:
    """A toxic from a create request, checked in Toxiproxy's order (body, stream, type, name)."""
    if not isinstance(body, dict):
        raise errors.BAD_REQUEST_BODY.joined("expected a JSON object")
    stream = _string(body, "stream", "downstream").lower()
    if stream not in STREAMS:
        raise errors.INVALID_STREAM
    type_name = _string(body, "type", "")
    name = _string(body, "name", "") or f"{type_name}_{stream}"
    toxicity = _toxicity(body["toxicity"]) if body.get("toxicity") is not None else 1.0
    cls = REGISTRY.get(type_name)
    if cls is None:
        raise errors.INVALID_TOXIC_TYPE
    if exists(name):
        raise errors.TOXIC_ALREADY_EXISTS
    toxic = cls()
    try:
        toxic.apply(body.get("attributes"))
    except ValueError as exc:
        raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None
    return ToxicEntry(name=name, type=type_name, stream=stream, toxicity=toxicity, toxic=toxic)


class ToxicCollection:
    """Ordered toxics of one proxy, mirrored into the links of its live connections."""

    def __init__(self, links: Callable[[], Iterable[Link]]) -> None:
        self._links = links
        self._chains: dict[str, list[ToxicEntry]] = {s: [] for s in STREAMS}

    def chain(self, stream: str) -> list[ToxicEntry]:
        return list(self._chains[stream])

    def all(self) -> list[ToxicEntry]:
        """Upstream toxics first, then downstream, each in creation order (as Toxiproxy lists)."""
        return [e for s in STREAMS for e in self._chains[s]]

    def find(self, name: str) -> ToxicEntry | None:
        return next((e for e in self.all() if e.name == name), None)

    def get(self, name: str) -> ToxicEntry:
        entry = self.find(name)
        if entry is None:
            raise errors.TOXIC_NOT_FOUND
        return entry

    def add_json(self, body: Any) -> ToxicEntry:
        entry = parse_new_toxic(body, lambda n: self.find(n) is not None)
        chain = self._chains[entry.stream]
        chain.append(entry)
        for link in self._stream_links(entry.stream):
            link.add(chain, entry)
        return entry

    def update_json(self, name: str, body: Any) -> ToxicEntry:
        """Merge ``attributes`` and ``toxicity``; other fields are ignored, as in Toxiproxy."""
        entry = self.get(name)
        if not isinstance(body, dict):
            raise errors.BAD_REQUEST_BODY.joined("expected a JSON object")
        toxicity = entry.toxicity
        if body.get("toxicity") is not None:
            toxicity = _toxicity(body["toxicity"])
        try:
            entry.toxic.apply(body.get("attributes"))
        except ValueError as exc:
            raise errors.BAD_REQUEST_BODY.joined(str(exc)) from None
        reroll = toxicity != entry.toxicity
        entry.toxicity = toxicity
        for link in self._stream_links(entry.stream):
            link.update(entry, reroll)
        return entry

    def remove(self, name: str) -> None:
        entry = self.get(name)
        chain = self._chains[entry.stream]
        chain.remove(entry)
        for link in self._stream_links(entry.stream):
            link.remove(chain, entry)

    def reset(self) -> None:
        for entry in self.all():
            self.remove(entry.name)

    def _stream_links(self, stream: str) -> list[Link]:
        return [link for link in self._links() if link.stream == stream]
