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
from harness.scenario import bounds
from harness.scenario import spec as S
from harness.scenario.document import Kind, compose, read_file, read_top
from harness.scenario.durations import format_ms
from harness.scenario.errors import Issues, ScenarioError, ScenarioIssue, did_you_mean
from harness.scenario.model import (
    DEFAULT_SETTLE_MS,
    DEFAULT_START,
    Advance,
    Scenario,
    Visitors,
)
from harness.scenario.reader import BROKEN, Bad, Reader, join, line_of, misspelled
from harness.scenario.semantic import check_steps
from harness.scenario.steps import parse_step

NAME_PATTERN = S.NAME.pattern
TOP_KEYS = tuple(S.TOP)
SCENARIO = Kind("scenario", TOP_KEYS, "a mapping of scenario settings (judges, steps, …)", "at least `judges` and `steps`")
_DEFAULT_START_MS = int(datetime.fromisoformat(DEFAULT_START).timestamp() * 1000)


def parse_scenario(text: str, filename: str) -> Scenario:
    """Validate YAML ``text``; ``filename`` is used in errors, in ``path`` and for the default name."""
    doc = read_top(text, filename, SCENARIO)
    issues, r, root, top = doc.issues, doc.reader, doc.root, doc.entries
    f: dict[str, Any] = {
        "name": r.collect(_name, r, top.get("name"), filename),
        "description": _top(r, top, "description", ""),
        "judges": r.collect(_judges, r, top.get("judges"), root) if "judges" in top or not misspelled(root, "judges", TOP_KEYS) else BROKEN,
        "seed": _top(r, top, "seed", 0),
        "start_ms": _top(r, top, "start", _DEFAULT_START_MS),
        "tracker_attrs": _tracker_key(r, root, top),
        "policy": r.collect(_policy, r, top["policy"]) if "policy" in top else {},
        "settle_ms": _top(r, top, "settle", DEFAULT_SETTLE_MS),
        "heal": _top(r, top, "heal", True),
        "expect_pending": _top(r, top, "expect_pending", False),
        "tags": r.collect(_tags, r, top["tags"]) if "tags" in top else (),
        "ingest": _top(r, top, "ingest", "any"),
        "path": filename,
    }
    f["visitors"] = r.collect(_visitors, r, top["visitors"], f["seed"]) if "visitors" in top else None
    steps_node = top.get("steps")
    if steps_node is None:
        if f["visitors"] is None and "visitors" not in top and not misspelled(root, "steps", TOP_KEYS):
            r.report(root, "steps", "'steps' is required (or `visitors:` for a many-visitor scenario)")
        f["steps"] = ()
    else:
        items = r.collect(r.sequence, steps_node, "steps", nonempty=f["visitors"] is None and "visitors" not in top,
                          max_items=S.TOP["steps"].max_items)
        if items is BROKEN:
            f["steps"] = BROKEN
        else:
            parsed = [(parse_step(r, node, i), node) for i, node in enumerate(items)]
            n_visitors = f["visitors"].count if isinstance(f["visitors"], Visitors) else 0
            f["steps"] = tuple(check_steps(r, parsed, f["ingest"], n_visitors))
    if not issues:
        check_page_time(r, f, top)
    issues.raise_if_any()
    return Scenario(**f)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    return parse_scenario(read_file(path, SCENARIO), str(path))


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
def _top(r: Reader, top: dict[str, Node], key: str, default: Any) -> Any:
    """A top-level leaf as declared in ``spec.TOP`` (``default`` when the key is not given)."""
    return r.collect(r.read, top[key], key, S.TOP[key]) if key in top else default


def check_page_time(r: Reader, f: dict[str, Any], top: dict[str, Node]) -> None:
    """The page time a scenario covers (advances, jumps, settle) is bounded, and so is the clock's
    end: a run must neither go on for months of timers nor cross the year 9999."""
    total, start = 0, f["start_ms"]
    moves = [(s.ms, s.line, f"steps[{i}].{s.KIND if s.mode == 'run' else 'jump'}")
             for i, s in enumerate(f["steps"]) if isinstance(s, Advance)]
    if "settle" in top or f["settle_ms"]:
        moves.append((f["settle_ms"], line_of(top["settle"]) if "settle" in top else 0, "settle"))
    for ms, line, field in moves:
        total += ms
        if total > bounds.MAX_SPAN_MS:
            r.report(line, field, f"the scenario's page time reaches {format_ms(total)} here; "
                                  f"at most {format_ms(bounds.MAX_SPAN_MS)} (advances, jumps and settle) are allowed")
            return
        if start + total > bounds.MAX_INSTANT_MS:
            r.report(line, field, f"the page clock passes the year {bounds.MAX_YEAR} here (start + {format_ms(total)})")
            return


def _name_line(path: str) -> int:
    """Line of the top-level ``name:`` key of a file that already loaded (1 when the name is the stem)."""
    root = compose(read_file(path, SCENARIO), Issues(path), SCENARIO)
    if isinstance(root, MappingNode):
        for key_node, _ in root.value:
            if isinstance(key_node, ScalarNode) and key_node.value == "name":
                return line_of(key_node)
    return 1


def _name(r: Reader, node: Node | None, filename: str) -> str:
    if node is not None:
        return r.read(node, "name", S.NAME)
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
    decl = S.TOP["judges"]
    for i, item in enumerate(r.sequence(node, "judges", nonempty=True, max_items=decl.max_items)):
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
    entries = r.keys(node, field, S.TRACKER, what="a mapping of script attribute → value")
    out: dict[str, str] = {}
    for key, value in entries.items():
        where = join(field, key)
        if not re.fullmatch(S.TRACKER.key_pattern or "", key):
            r.report(r.key_line(node, key), where, f"{key!r} is not an HTML attribute name")
            continue
        text = r.collect(r.read, value, where, S.TRACKER.values)
        if text is not BROKEN:
            out[key] = text
    return out


def _policy(r: Reader, node: Node) -> dict[str, int | float]:
    entries = r.keys(node, "policy", S.POLICY, what="a mapping of checker policy overrides")
    out: dict[str, int | float] = {}
    for key, value in entries.items():
        got = r.collect(r.read, value, join("policy", key), S.POLICY.keys[key])
        if got is not BROKEN:
            out[key] = got
    return out


def _tags(r: Reader, node: Node) -> tuple[str, ...]:
    out: list[str] = []
    decl = S.TOP["tags"]
    for i, item in enumerate(r.sequence(node, "tags", max_items=decl.max_items)):
        tag = r.collect(r.read, item, join("tags", i), decl.item)
        if tag is not BROKEN and tag not in out:
            out.append(tag)
    return tuple(out)


def _visitors(r: Reader, node: Node, default_seed: object) -> Visitors:
    entries = r.keys(node, "visitors", S.VISITORS)
    got = {k: r.collect(r.read, v, join("visitors", k), S.VISITORS.keys[k]) for k, v in entries.items()}
    count = got.get("count", BROKEN)
    seed, tabs = got.get("seed", default_seed), got.get("tabs_per_visitor", 1)
    actions: Any = tuple(got["actions"]) if isinstance(got.get("actions"), list) else got.get("actions", ("view",))
    if BROKEN in (count, seed, tabs) or actions is BROKEN or BROKEN in actions:
        return BROKEN
    if count * tabs > bounds.MAX_VISITOR_TABS:
        raise Bad(entries["count"], "visitors.count", f"{count} visitors × {tabs} tabs is more than the "
                                                      f"{bounds.MAX_VISITOR_TABS} pages a run may open")
    return Visitors(count=count, seed=seed, tabs_per_visitor=tabs, actions=actions)
