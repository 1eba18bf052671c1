"""The nemesis: faults in the browser, the network path (Toxiproxy), the Sync stub and the database.

One module per place a fault lives; each exports ``HANDLERS`` (step type → coroutine).
"""
from __future__ import annotations

from typing import Any

from harness.nemesis import browser, database, http, network

HANDLERS: dict[type, Any] = {**browser.HANDLERS, **network.HANDLERS, **http.HANDLERS, **database.HANDLERS}
