"""The Sync protocol that the stub and the ingest service both speak (docs/contract.md §5).

Pure declarations: paths, body shapes, limits and status codes. The rules that apply them to
bytes are ``server_stub.sync_protocol``; the checker uses the status classes.
"""
from __future__ import annotations

from typing import Final

PATH: Final = "/api/sync"
METHODS: Final = ("POST", "OPTIONS")  # OPTIONS: CORS preflight
CONTENT_TYPES: Final = ("application/json", "text/plain")  # and beacon Blobs of either
BATCH_KEYS: Final = ("events", "batch")  # a body is one payload object or {"events"|"batch": [...]}

MAX_BODY_BYTES: Final = 256 * 1024
MAX_EVENTS: Final = 100
MIN_EVENTS: Final = 1
FIELD_LIMITS: Final[tuple[tuple[str, int, bool], ...]] = (
    # (payload field, max length in characters, required)
    ("s", 128, True),
    ("u", 4096, False),
    ("r", 2048, False),
    ("el", 512, False),
)
BEACON_MAX_BYTES: Final = 64 * 1024  # Chromium refuses larger sendBeacon bodies

# Status codes and what each means to a build.
OK: Final = 200
ACCEPTED: Final = 202
BAD_REQUEST: Final = 400  # bad JSON, wrong shape, mixed sites in one batch
UNKNOWN_SITE: Final = 404
TOO_LARGE: Final = 413
INVALID: Final = 422  # schema: the body lists the poison events
TOO_MANY: Final = 429  # with Retry-After
SERVER_ERROR: Final = 500  # e.g. the month's partition is missing: retryable, not a loss
UNAVAILABLE: Final = 503  # with Retry-After: a dependency is down
RETRY_AFTER_STATUSES: Final = (TOO_MANY, UNAVAILABLE)
RETRYABLE_4XX: Final = (408, TOO_MANY)  # every 5xx is retryable too; any other 4xx is a permanent refusal


def ok_status(status: int | None) -> bool:
    """``response.ok``: 200–299 — the only answer that counts as delivered."""
    return status is not None and 200 <= status <= 299
