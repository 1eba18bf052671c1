"""The Sync stub (SPEC §5) and the test site.

- ``app.StubServer``: site, Sync and control apps on three loopback ports (start/stop as one).
- ``sync_app``: the Sync endpoint; ``sync_protocol``: the §5 body rules; ``cors``: its headers.
- ``fault_spec``: the fault dict spelling (``parse_fault``); ``faults``: ``FaultPlan`` (re-exports it).
- ``journal`` / ``journal_codec``: every request received, in memory and as JSONL.
- ``store``: the ``Store`` seam; ``memory_store.MemoryStore``: the default, idempotent by eid.
- ``site_app`` / ``pages``: the test pages with the tracker tag; ``control_app``: /__control/….

Kept import-free so ``server_stub.store`` can be imported without starting anything.
"""
