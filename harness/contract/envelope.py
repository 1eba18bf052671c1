"""The outbox_v2 envelope and payload as a build writes and sends them (docs/contract.md §2).

Field names only: the harness reads whatever a build wrote and reports what is missing, so
nothing here validates. The Sync body rules are in ``harness.contract.sync``.
"""
from __future__ import annotations

from typing import Final

# -- the envelope: one item of the outbox (a JSON array in localStorage) ------------------------
ENVELOPE_FIELDS: Final = ("id", "ts", "payload", "attempts")
"""``id`` unique; ``ts`` enqueue time (ms, page clock); ``attempts`` failed sends so far. Builds may add fields."""
BEACONED: Final = "beaconed"  # the reference build marks envelopes it beaconed on unload
DEAD_LETTER_REASON: Final = "reason"  # a dead-letter record's reason (``DeadLetterReason``)

OUTBOX_KEY: Final = "opsmantik_outbox_v2"
DEADLETTER_KEY: Final = "opsmantik_deadletter_v2"
API_NAME: Final = "opmantik"  # window.opmantik.send(category, action, label, value, meta)
SITE_ATTR: Final = "data-site-id"
API_ATTR: Final = "data-api"

# -- the payload: one event as the build sends it ------------------------------------------------
SITE: Final = "s"
URL: Final = "u"
SESSION: Final = "sid"  # per tab (sessionStorage)
SESSION_MONTH: Final = "sm"  # YYYY-MM-01, client clock at creation
CATEGORY: Final = "ec"
ACTION: Final = "ea"
LABEL: Final = "el"
VALUE: Final = "ev"
REFERRER: Final = "r"
META: Final = "meta"
EVENT_ID: Final = "eid"  # inside ``meta``: the envelope id, so ingest can de-duplicate
PAYLOAD_FIELDS: Final = (SITE, URL, SESSION, SESSION_MONTH, CATEGORY, ACTION, LABEL, VALUE, REFERRER, META)

CONVERSION: Final = "conversion"  # the category of the events a site owner must never lose
HEARTBEAT: Final = ("system", "heartbeat")
SESSION_END: Final = ("system", "session_end")
