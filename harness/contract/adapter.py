"""How a tracker build is configured and observed: attribute names, storage keys, API name.

The harness works with any build that follows the outbox_v2 contract (SPEC §2); builds that name
things differently are described by an adapter instead of being patched.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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

    def watched_keys(self) -> list[str]:
        return [k for k in (self.outbox_key, self.deadletter_key) if k]
