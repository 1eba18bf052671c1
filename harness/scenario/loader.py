"""Scenario files → validated ``Scenario`` objects, or one ``ScenarioError`` listing every problem.

Scenarios are data written by engineers reproducing a customer's report; the loader is strict
(unknown keys, wrong types and impossible step orders are errors) so a scenario that loads is
one the harness can run as written.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from harness.checker.guarantees import GUARANTEES
from harness.scenario.errors import Issues, ScenarioError, ScenarioIssue, did_you_mean
from harness.scenario.model import (
    DEFAULT_SETTLE_MS,
    DEFAULT_START,
    POLICY_FIELDS,
    VISITOR_ACTIONS,
    Scenario,
    Visitors,
)
from harness.scenario.reader import BROKEN, Bad, Reader, compose, join, line_of, misspelled
from harness.scenario.semantic import check_steps
from harness.scenario.steps import parse_step

NAME_PATTERN = r"[a-z0-9_]+"
TOP_KEYS = (
    "name", "description", "judges", "seed", "start", "tracker", "tracker_attrs", "policy", "settle", "heal",
    "tags", "ingest", "visitors", "steps",
)
_DEFAULT_START_MS = int(datetime.fromisoformat(DEFAULT_START).timestamp() * 1000)
_ATTR_NAME = r"[A-Za-z_:][A-Za-z0-9_:.\-]*"


def parse_scenario(text: str, filename: str) -> Scenario:
    """Validate YAML ``text``; ``filename`` is used in errors, in ``path`` and for the default name."""
    issues = Issues(filename)
    root = compose(text, issues)
    if root is None:  # compose has reported why
        raise ScenarioError(issues.items)
    r = Reader(issues)
    try:
        top = r.mapping(root, "", allowed=TOP_KEYS, what="a mapping of scenario settings (judges, steps, …)")
    except Bad as bad:
        issues.add(bad.line, bad.field or "scenario", bad.message)
        raise ScenarioError(issues.items) from None
    f: dict[str, Any] = {
        "name": r.collect(_name, r, top.get("name"), filename),
        "description": r.collect(r.string, top["description"], "description", nonempty=False) if "description" in top else "",
        "judges": r.collect(_judges, r, top.get("judges"), root) if "judges" in top or not misspelled(root, "judges", TOP_KEYS) else BROKEN,
        "seed": r.collect(r.integer, top["seed"], "seed", min=0) if "seed" in top else 0,
        "start_ms": r.collect(r.instant_ms, top["start"], "start") if "start" in top else _DEFAULT_START_MS,
        "tracker_attrs": _tracker_key(r, root, top),
        "policy": r.collect(_policy, r, top["policy"]) if "policy" in top else {},
        "settle_ms": r.collect(r.duration, top["settle"], "settle") if "settle" in top else DEFAULT_SETTLE_MS,
        "heal": r.collect(r.boolean, top["heal"], "heal") if "heal" in top else True,
        "tags": r.collect(_tags, r, top["tags"]) if "tags" in top else (),
        "ingest": r.collect(r.string, top["ingest"], "ingest", choices=("any", "postgres")) if "ingest" in top else "any",
        "path": filename,
    }
    f["visitors"] = r.collect(_visitors, r, top["visitors"], f["seed"]) if "visitors" in top else None
    steps_node = top.get("steps")
    if steps_node is None:
        if f["visitors"] is None and "visitors" not in top and not misspelled(root, "steps", TOP_KEYS):
            r.report(root, "steps", "'steps' is required (or `visitors:` for a many-visitor scenario)")
        f["steps"] = ()
    else:
        items = r.collect(r.sequence, steps_node, "steps", nonempty=f["visitors"] is None and "visitors" not in top)
        if items is BROKEN:
            f["steps"] = BROKEN
        else:
            parsed = [(parse_step(r, node, i), node) for i, node in enumerate(items)]
            f["steps"] = tuple(check_steps(r, parsed, f["ingest"]))
    issues.raise_if_any()
    return Scenario(**f)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    text = _read(path)
    return parse_scenario(text, str(path))


def load_scenarios(paths: str | Path | Iterable[str | Path]) -> list[Scenario]:
    """Load files and directories (a directory → its ``*.yaml``, sorted); names must be unique.

    Every problem in every file is reported in one ``ScenarioError``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    problems: list[ScenarioIssue] = []
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("*.yaml"))
            if not found:
                problems.append(ScenarioIssue(str(p), 0, "", "no *.yaml scenario files in this directory"))
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            problems.append(ScenarioIssue(str(p), 0, "", "no such file or directory"))
    scenarios: list[Scenario] = []
    seen_files: set[Path] = set()
    by_name: dict[str, Scenario] = {}
    for file in files:
        if file.resolve() in seen_files:
            continue
        seen_files.add(file.resolve())
        try:
            sc = load_scenario(file)
        except ScenarioError as exc:
            problems.extend(exc.errors)
            continue
        if sc.name in by_name:
            first = by_name[sc.name]
            problems.append(ScenarioIssue(sc.path, _name_line(sc.path), "name",
                                          f"duplicate scenario name '{sc.name}' (also in {first.path})"))
            continue
        by_name[sc.name] = sc
        scenarios.append(sc)
    if problems:
        raise ScenarioError(problems)
    return scenarios


# -- top-level fields ------------------------------------------------------------------------
def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([ScenarioIssue(str(path), 0, "", "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([ScenarioIssue(str(path), 0, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ScenarioError([ScenarioIssue(str(path), 0, "", f"cannot read: {exc.strerror or exc}")]) from None


def _name_line(path: str) -> int:
    """Line of the top-level ``name:`` key of a file that already loaded (1 when the name is the stem)."""
    root = compose(_read(path), Issues(path))
    if isinstance(root, MappingNode):
        for key_node, _ in root.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "name":
                return line_of(key_node)
    return 1


def _name(r: Reader, node: Node | None, filename: str) -> str:
    if node is not None:
        return r.string(node, "name", pattern=NAME_PATTERN, pattern_help="lowercase letters, digits and _ only")
    stem = Path(filename).stem
    if not re.fullmatch(NAME_PATTERN, stem):
        raise Bad(1, "name", f"the file name {stem!r} is not a valid scenario name (lowercase letters, digits and _); "
                             f"rename the file or add `name:`")
    return stem


def _judges(r: Reader, node: Node | None, root: Node) -> tuple[str, ...]:
    known = ", ".join(GUARANTEES)
    if node is None:
        raise Bad(root, "judges", f"'judges' is required: the guarantees this scenario judges (any of: {known})")
    out: list[str] = []
    for i, item in enumerate(r.sequence(node, "judges", nonempty=True)):
        gid = r.collect(r.string, item, join("judges", i))
        if gid is BROKEN:
            continue
        if gid not in GUARANTEES:
            r.report(item, join("judges", i), f"unknown guarantee '{gid}'{did_you_mean(gid, GUARANTEES)} (expected one of: {known})")
        elif gid in out:
            r.report(item, join("judges", i), f"'{gid}' is listed twice")
        else:
            out.append(gid)
    return tuple(out)


def _tracker_key(r: Reader, root: Node, top: dict[str, Node]) -> dict[str, str]:
    """``tracker:`` (or its long form ``tracker_attrs:``): extra script attributes."""
    if "tracker" in top and "tracker_attrs" in top:
        r.report(r.key_line(root, "tracker_attrs"), "tracker_attrs", "give tracker or tracker_attrs (the same thing), not both")
        return BROKEN
    key = "tracker" if "tracker" in top else "tracker_attrs"
    return r.collect(_tracker_attrs, r, top[key], key) if key in top else {}


def _tracker_attrs(r: Reader, node: Node, field: str) -> dict[str, str]:
    entries = r.mapping(node, field, what="a mapping of script attribute → value")
    out: dict[str, str] = {}
    for key, value in entries.items():
        where = join(field, key)
        if not re.fullmatch(_ATTR_NAME, key):
            r.report(r.key_line(node, key), where, f"{key!r} is not an HTML attribute name")
            continue
        text = r.collect(r.text, value, where)
        if text is not BROKEN:
            out[key] = text
    return out


def _policy(r: Reader, node: Node) -> dict[str, int | float]:
    entries = r.mapping(node, "policy", allowed=POLICY_FIELDS, what="a mapping of checker policy overrides")
    out: dict[str, int | float] = {}
    for key, value in entries.items():
        where = join("policy", key)
        if POLICY_FIELDS[key] == "duration":
            got = r.collect(r.duration, value, where)
        elif POLICY_FIELDS[key] == "fraction":
            got = r.collect(r.number, value, where, min=0, max=1)
        else:
            got = r.collect(r.integer, value, where, min=0)
        if got is not BROKEN:
            out[key] = got
    return out


def _tags(r: Reader, node: Node) -> tuple[str, ...]:
    out: list[str] = []
    for i, item in enumerate(r.sequence(node, "tags")):
        tag = r.collect(r.string, item, join("tags", i), pattern=r"[a-z0-9_\-]+", pattern_help="lowercase letters, digits, _ and -")
        if tag is not BROKEN and tag not in out:
            out.append(tag)
    return tuple(out)


def _visitors(r: Reader, node: Node, default_seed: object) -> Visitors:
    entries = r.mapping(node, "visitors", allowed=("count", "seed", "tabs_per_visitor", "actions"), required=("count",))
    count = r.collect(r.integer, entries["count"], "visitors.count", min=1) if "count" in entries else BROKEN
    seed = r.collect(r.integer, entries["seed"], "visitors.seed", min=0) if "seed" in entries else default_seed
    tabs = r.collect(r.integer, entries["tabs_per_visitor"], "visitors.tabs_per_visitor", min=1) if "tabs_per_visitor" in entries else 1
    actions: Any = ("view",)
    if "actions" in entries:
        items = r.collect(r.sequence, entries["actions"], "visitors.actions", nonempty=True)
        actions = BROKEN if items is BROKEN else tuple(
            r.collect(r.string, n, join("visitors.actions", i), choices=VISITOR_ACTIONS) for i, n in enumerate(items)
        )
    if BROKEN in (count, seed, tabs) or actions is BROKEN or BROKEN in actions:
        return BROKEN
    return Visitors(count=count, seed=seed, tabs_per_visitor=tabs, actions=actions)
