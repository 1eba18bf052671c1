"""CORS headers of the Sync endpoint (SPEC §5, NOTES "CORS and hosts").

The request ``Origin`` is echoed with ``Allow-Credentials: true`` on *every* answer, errors
included: a JSON-Blob beacon is credentialed and Chromium silently drops it otherwise, and a
fetch whose answer lacks Allow-Origin looks like a network failure to the page (which retries an
event the server already has). ``Retry-After`` is exposed so a cross-origin page can read it.
"""
from __future__ import annotations

from collections.abc import Mapping

# Chromium keeps a preflight for this long in real time (capped at 2 h; 5 s when the header is
# missing): any shorter, and whether a POST is preceded by a preflight depends on how fast the
# machine ran the page time in between (the 26 h outage made 19, 20 or 21 requests from run to
# run, and a toxic in place cut a preflight or the POST by chance). At the cap, a context
# preflights a stable URL once per run. Scenarios with a stub fault tag every URL uniquely
# (``_tank_t``), so there every POST is preflighted and a fault on OPTIONS still sees each one.
PREFLIGHT_MAX_AGE_S = 7200
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
