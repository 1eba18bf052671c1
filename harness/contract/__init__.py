"""The contract shared by the harness, the Sync stub and the ingest service.

It imports none of them: the outbox_v2 envelope, the history model, the adapter that says how a
build is embedded. Everything that crosses a process or package boundary is declared here once.
"""
