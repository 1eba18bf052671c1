"""CORS headers of the Sync endpoint (SPEC §5, NOTES "CORS and hosts").

The request ``Origin`` is echoed with ``Allow-Credentials: true`` on *every* answer, errors
included: a JSON-Blob beacon is credentialed and Chromium silently drops it otherwise, and a
fetch whose answer lacks Allow-Origin looks like a network failure to the page (which retries an
event the server already has). ``Retry-After`` is exposed so a cross-origin page can read it.
"""
from __future__ import annotations

from collections.abc import Mapping

PREFLIGHT_MAX_AGE_S = 5  # small: preflights keep reaching the stub, so they can be faulted too
ALLOWED_METHODS = "POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type"


def answer_headers(request_headers: Mapping[str, str]) -> dict[str, str]:
    """Headers every Sync answer carries (POST answers, errors, 404s)."""
    headers = {"Vary": "Origin", "Access-Control-Expose-Headers": "Retry-After"}
    origin = request_headers.get("Origin")
    if origin:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def preflight_headers(request_headers: Mapping[str, str]) -> dict[str, str]:
    """Headers of a successful preflight answer: POST with a Content-Type header."""
    headers = answer_headers(request_headers)
    headers.update(
        {
            "Access-Control-Allow-Methods": ALLOWED_METHODS,
            "Access-Control-Allow-Headers": ALLOWED_HEADERS,
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
        }
    )
    if request_headers.get("Access-Control-Request-Private-Network") == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return headers
