"""One YAML file → the entries of its top-level mapping, read the same way for every format the
harness reads (scenarios, build profiles), so each says what is wrong with file, line and field.

The file is bounded in size, must be UTF-8, holds one document, and is composed with a depth and
an alias budget (``bounds``) before anything looks at it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.scenario import bounds
from harness.scenario.errors import Issues, ScenarioError, ScenarioIssue
from harness.scenario.reader import TAG, Bad, Reader, line_of


@dataclass(frozen=True)
class Kind:
    """What a file holds, in the words its errors use."""

    noun: str  # "scenario": "one scenario per file", and the field of a top level that is no mapping
    keys: tuple[str, ...]  # the top-level keys it may have
    top: str  # what its top level must be: "a mapping of scenario settings (judges, steps, …)"
    needs: str  # what an empty file lacks: "at least `judges` and `steps`"


@dataclass(frozen=True)
class Top:
    """A file's top-level entries by key, with the reader that goes on reporting into ``issues``."""

    issues: Issues
    reader: Reader
    root: Node
    entries: dict[str, Node]


def read_file(path: str | Path, kind: Kind) -> str:
    """The text of ``path``; a file too big, not UTF-8 or unreadable is a ``ScenarioError`` naming it."""
    def problem(message: str) -> ScenarioError:
        return ScenarioError([ScenarioIssue(str(path), 0, "", message)])

    try:
        with Path(path).open("rb") as fh:
            data = fh.read(bounds.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise problem("no such file") from None
    except OSError as exc:
        raise problem(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > bounds.MAX_FILE_BYTES:
        raise problem(_too_big(kind))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_top(text: str, filename: str, kind: Kind) -> Top:
    """Compose ``text`` and read its top-level mapping; a file that is no mapping of ``kind.keys``
    at all raises ``ScenarioError`` at once, other issues wait in ``Top.issues``."""
    issues = Issues(filename)
    root = compose(text, issues, kind)
    if root is None:  # compose has reported why
        raise ScenarioError(issues.items)
    reader = Reader(issues)
    try:
        entries = reader.mapping(root, "", allowed=kind.keys, what=kind.top)
    except Bad as bad:
        issues.add(bad.line, bad.field or kind.noun, bad.message)
        raise ScenarioError(issues.items) from None
    return Top(issues, reader, root, entries)


def compose(text: str, issues: Issues, kind: Kind) -> Node | None:
    """The single YAML document in ``text`` as a node tree; YAML errors become issues."""
    if len(text) > bounds.MAX_FILE_BYTES or len(text.encode("utf-8", "replace")) > bounds.MAX_FILE_BYTES:
        issues.add(0, "", _too_big(kind))
        return None
    try:
        docs = list(yaml.compose_all(text, Loader=BoundedLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        problem = exc.problem or "syntax error"
        context = f" ({exc.context})" if exc.context else ""
        issues.add(line, "yaml", f"not valid YAML: {problem}{context}")
        return None
    except yaml.YAMLError as exc:
        issues.add(0, "yaml", f"not valid YAML: {exc}")
        return None
    if len(docs) > 1:
        issues.add(line_of(docs[1]), "yaml", f"one {kind.noun} per file: found a second YAML document")
    if not docs or (isinstance(docs[0], ScalarNode) and docs[0].tag == TAG + "null"):
        issues.add(1, "", f"the file is empty; a {kind.noun} needs {kind.needs}")
        return None
    problem = expansion_problem(docs[0])
    if problem:
        issues.add(problem[0], "yaml", problem[1])
        return None
    return docs[0]


def _too_big(kind: Kind) -> str:
    return f"the file is larger than {bounds.MAX_FILE_BYTES // 1000} KB; a {kind.noun} is a few KB"


class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer with a depth and an alias budget (``bounds``): a 20,000-deep document
    would exhaust Python's recursion, and a few lines of nested aliases expand to gigabytes."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        depth = getattr(self, "_tank_depth", 0)
        if self.check_event(yaml.AliasEvent):
            self._tank_aliases = getattr(self, "_tank_aliases", 0) + 1
            if self._tank_aliases > bounds.MAX_ALIASES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {bounds.MAX_ALIASES} aliases (*name); write the values out",
                    self.peek_event().start_mark)
        if depth >= bounds.MAX_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {bounds.MAX_DEPTH} levels deep", self.peek_event().start_mark)
        self._tank_depth = depth + 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._tank_depth = depth


if getattr(yaml, "__with_libyaml__", False):  # libyaml parses ~10x faster; composing stays in Python
    from yaml._yaml import CParser

    class BoundedLoader(_BoundedComposer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # pragma: no cover - PyYAML without libyaml
    class BoundedLoader(_BoundedComposer, yaml.SafeLoader):  # type: ignore[no-redef]
        pass


class _Oversized(Exception):
    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.line = line_of(node)


def expansion_problem(root: Node) -> tuple[int, str] | None:
    """Why the tree is too big once aliases are expanded (values, depth, or an alias that contains
    itself, which no JSON value can), or None. Nodes shared by aliases are measured once."""
    measured: dict[int, tuple[int, int]] = {}  # id → (values, height)
    on_path: set[int] = set()

    def measure(node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in on_path:
            raise _Oversized("an alias (*name) refers to a value that contains it; write the values out", node)
        if key in measured:
            values, height = measured[key]
        else:
            if depth > bounds.MAX_DEPTH:
                raise _Oversized(f"nested more than {bounds.MAX_DEPTH} levels deep once aliases are expanded", node)
            on_path.add(key)
            children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else (
                node.value if isinstance(node, SequenceNode) else [])
            values, height = 1, 0
            for child in children:
                v, h = measure(child, depth + 1)
                values, height = values + v, max(height, h + 1)
            on_path.discard(key)
            measured[key] = (values, height)
        if depth + height > bounds.MAX_DEPTH:
            raise _Oversized(f"nested more than {bounds.MAX_DEPTH} levels deep once aliases are expanded", node)
        if values > bounds.MAX_NODES:
            raise _Oversized(f"more than {bounds.MAX_NODES} values once aliases are expanded; write a smaller scenario", node)
        return values, height

    try:
        measure(root, 0)
    except _Oversized as exc:
        return exc.line, str(exc)
    return None
