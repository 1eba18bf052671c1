"""The fault proxy: an embedded Toxiproxy-compatible server and our Toxiproxy client wrapper.

- :class:`EmbeddedToxiproxy` / :func:`serve` (``server.py``) — the server; the API in ``api.py``,
  proxies in ``proxy.py``/``collection.py``, the data path in ``connection.py``/``link.py``,
  one module per toxic in ``toxics/``.
- :func:`~harness.toxiproxy.service.toxiproxy_service` — a real Toxiproxy when there is one
  (``TOXIPROXY_URL``, or ``toxiproxy-server`` on PATH), else the embedded server.
- :class:`~harness.toxiproxy.client.ToxiproxyClient` — sync/async client over toxiproxy-python;
  :func:`~harness.toxiproxy.spec.validate_toxic_spec` for scenario files.

Known deviations of the embedded server from Toxiproxy 2.x (everything else is meant to match):
- A ``listen`` with an empty host binds 127.0.0.1, not every interface.
- Stricter input: negative attributes, slicer ``average_size`` < 1 and toxicity outside [0, 1]
  are 400s (Toxiproxy accepts them; a zero slicer size hangs it). JSON keys are case-sensitive,
  and the stored ``stream`` is lower-cased.
- Updating a toxic re-rolls toxicity on live connections only when the toxicity changed.
- Adding or updating a toxic never flushes data early out of other stages (Toxiproxy's interrupt
  lets an in-flight latency chunk skip the rest of its delay).
- Removing ``timeout`` closes only the connections where it was active (rolled in).
- ``reset_peer`` resets both sockets the moment it fires; data still inside later toxics is lost.
- With a page clock (in-process), ``latency``'s ``jitter`` is one draw per request and direction,
  seeded by the scenario's seed and the request's tags (``PageClock.request_key``), not one per
  chunk from the connection's generator: a run repeats its draws.
- ``GET /version`` answers ``{"version": "2.12.0"}``; error bodies are sent as application/json.
- No ``/metrics``, no ``-config`` file. Like Toxiproxy: no TCP half-close (an EOF closes the
  destination fully), the 403 body is ``User agent not allowed``, and ``populate`` stops at the
  first bind failure, keeping the proxies created before it.
"""
from __future__ import annotations

from harness.lazy import exported, lazy_attributes

# On first use: the scenario format imports the toxic classes (``spec``), not the server and aiohttp.
EXPORTS = {"harness.toxiproxy.server": ("EmbeddedToxiproxy", "ToxiproxyServer", "serve")}
__getattr__ = lazy_attributes(__name__, EXPORTS)
__all__ = exported(EXPORTS)
