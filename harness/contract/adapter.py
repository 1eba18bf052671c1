"""How a tracker build is configured and observed: attribute names, storage keys, send API.

The harness works with any build that follows the outbox_v2 contract (SPEC §2); builds that name
things differently are described by an adapter instead of being patched.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SHAPES = ("call", "object", "queue", "event", "none")
"""How a scenario's ``send`` step reaches the build (see docs/gating.md, "Send API shapes")."""
FIELDS = ("category", "action", "label", "value", "meta")
PLACEHOLDERS = tuple(f"${f}" for f in FIELDS)
DEFAULT_TEMPLATES: dict[str, Any] = {
    "call": list(PLACEHOLDERS),  # window.api.send(category, action, label, value, meta)
    "object": [{f: f"${f}" for f in FIELDS}],  # window.api.track({category, action, …})
    "queue": list(PLACEHOLDERS),  # window._q.push([category, action, …])
    "event": {f: f"${f}" for f in FIELDS},  # dispatchEvent(new CustomEvent(name, {detail: {…}}))
    "none": None,
}


@dataclass(frozen=True)
class SendApi:
    """The shape of a build's public send API.

    ``call``/``object``: ``window[name][method](...args)``; ``queue``: ``window[name].push(item)``,
    the array created when the build has not loaded yet (a dataLayer-style snippet); ``event``:
    ``target.dispatchEvent(new CustomEvent(name, {detail}))``; ``none``: the build only
    auto-captures clicks, a ``send`` step cannot reach it. ``template`` is JSON text whose
    ``"$category"``… strings are replaced by the step's values (types kept)."""

    shape: str = "call"
    name: str | None = None  # None: the adapter's api_name (call, object, queue)
    method: str | None = None  # call/object; None: send (call), track (object)
    target: str = "window"  # event: window | document
    template: str | None = None  # JSON; None: the shape's default

    def fill(self, category: str, action: str, label: Any, value: Any, meta: Any) -> Any:
        """The args (call/object), the item (queue) or the detail (event) of one send."""
        values = dict(zip(PLACEHOLDERS, (category, action, label, value, meta)))
        raw = json.loads(self.template) if self.template is not None else DEFAULT_TEMPLATES[self.shape]

        def sub(x: Any) -> Any:
            if isinstance(x, str) and x in values:
                return values[x]
            if isinstance(x, list):
                return [sub(v) for v in x]
            if isinstance(x, dict):
                return {k: sub(v) for k, v in x.items()}
            return x
        return sub(raw)

    def method_name(self) -> str:
        return self.method or ("track" if self.shape == "object" else "send")

    def describe(self, api_name: str) -> str:
        """How the harness calls it, in words for notes and errors."""
        name = self.name or api_name
        if self.shape in ("call", "object"):
            return f"window.{name}.{self.method_name()}(…)"
        if self.shape == "queue":
            return f"window.{name}.push(…)"
        if self.shape == "event":
            return f"{self.target}.dispatchEvent(new CustomEvent({name!r}, {{detail}}))"
        return "no send API (clicks only)"


@dataclass(frozen=True)
class Adapter:
    site_attr: str = "data-site-id"
    api_attr: str = "data-api"
    outbox_key: str = "opsmantik_outbox_v2"
    deadletter_key: str | None = "opsmantik_deadletter_v2"
    api_name: str = "opmantik"
    # Extra script attributes (without the ``data-`` prefix rule: give the full name), e.g.
    # {"data-timeout-ms": "5000"}; scenarios use them to shrink the reference build's limits.
    extra_attrs: dict[str, str] = field(default_factory=dict)
    send_api: SendApi = field(default_factory=SendApi)

    def watched_keys(self) -> list[str]:
        return [k for k in (self.outbox_key, self.deadletter_key) if k]

    @property
    def send_name(self) -> str:
        """The global (object, array) or event type a ``send`` step uses."""
        return self.send_api.name or self.api_name
