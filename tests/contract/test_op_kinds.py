"""Every op the harness records is of a declared kind (``OpKind`` in harness/contract/vocabulary.py).

``ScenarioRun.op`` and ``Recorder.op`` take an ``OpKind``, so a type checker refuses a typo; this
test refuses it too, without one, by reading every ``.op(...)`` call in the harness."""
from __future__ import annotations

import ast
from pathlib import Path

from harness.contract.vocabulary import OP_KINDS

HARNESS = Path(__file__).resolve().parents[2] / "harness"


def op_kinds_written(source: str) -> list[tuple[int, str]]:
    """The string kinds given to ``<anything>.op(...)`` calls, with their lines (both arms of an ``x if c else y``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "op" and node.args:
            first = node.args[0]
            arms = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            found += [(a.lineno, a.value) for a in arms if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


def test_every_recorded_op_kind_is_declared() -> None:
    written = {(str(path.relative_to(HARNESS)), line, kind)
               for path in HARNESS.rglob("*.py") for line, kind in op_kinds_written(path.read_text(encoding="utf-8"))}
    assert len(written) >= 20  # the driver, the nemesis and the run record ops
    assert [w for w in written if w[2] not in OP_KINDS] == []
    assert {"open", "click", "offline", "online", "toxic", "fault", "db", "heal"} <= {w[2] for w in written}


def test_a_misspelt_kind_is_found() -> None:
    source = 'run.op("ofline" if gone else "online", session=s)\nrun.op("clik")\nrun.recorder.on_read("x")\n'
    assert [k for _, k in op_kinds_written(source) if k not in OP_KINDS] == ["ofline", "clik"]
