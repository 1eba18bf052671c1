"""Shared worlds for the fidelity tests (the same fixtures as the end-to-end tests)."""
from tests.harness.conftest import explain, memory_world  # noqa: F401 - re-exported fixtures
