"""The ingest pipeline: the PostgreSQL store, its migrations, and the tap store (upstream Sync)."""
from server_stub.ingest.store import IngestDatabaseUnavailable, IngestStats, PostgresStore
from server_stub.ingest.tap import TapStore

__all__ = ["IngestDatabaseUnavailable", "IngestStats", "PostgresStore", "TapStore"]
