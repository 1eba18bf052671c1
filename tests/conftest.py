"""Suite-wide options."""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ingest", choices=["memory", "postgres", "both"], default="both",
        help="where the end-to-end tests store events: the stub's memory, the PostgreSQL ingest, or both (default)",
    )
