"""A history's repr is a summary (counts), whatever its size: pytest renders the objects a failing
assertion compares, and a full dataclass repr of a large history took minutes."""
from __future__ import annotations

from harness.contract.history import History, Op


def test_a_large_history_repr_is_short_and_counts_its_facts() -> None:
    h = History(scenario="soak", outbox_key="k", deadletter_key=None,
                ops=[Op(seq=i, t_page=i, t_wall=float(i), kind="advance") for i in range(5_000)])
    text = repr(h)
    assert len(text) < 300, text
    assert text.startswith("History(scenario='soak', ") and "ops=5000" in text and "at_rest=None" in text
