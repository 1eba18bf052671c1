"""Checks across steps: tabs used before they are open or after they closed, seeding a running
context, toxics removed before they were added, database steps without a database.

Each of these would otherwise surface minutes into a run as a confusing Playwright or Toxiproxy
error. A step that failed validation makes what it touches "unknown" so one typo does not
cascade into a page of follow-up errors.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, replace

from yaml.nodes import MappingNode, Node, ScalarNode

from harness.scenario import toxics
from harness.scenario.errors import did_you_mean
from harness.scenario.model import Db, Hook, Open, RestartBrowser, SeedOutbox, Step, Storage, Toxic
from harness.scenario.reader import Reader, join, line_of
from harness.scenario.steps import BrokenStep, Parsed


@dataclass
class _Closed:
    line: int
    how: str  # "closed", "crashed", "restart_browser"


def _find_line(node: Node, *keys: str) -> int:
    """Line of the deepest key of ``keys`` found under ``node`` (the step line if none is)."""
    line = line_of(node)
    for key in keys:
        if not isinstance(node, MappingNode):
            break
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                line, node = line_of(key_node), value_node
                break
        else:
            break
    return line


class _Checker:
    """What the steps so far have done to tabs, contexts and toxics."""

    def __init__(self, r: Reader) -> None:
        self.r = r
        self.open_tabs: dict[tuple[str, str], int] = {}  # → line of the open
        self.closed: dict[tuple[str, str], _Closed] = {}
        self.unknown_tabs: set[tuple[str, str]] = set()
        self.all_unknown = False
        self.first_open: dict[str, int] = {}  # context → line
        self.toxics: dict[str, Toxic] = {}
        self.toxics_unknown = False

    def broken(self, step: BrokenStep) -> None:
        """A step that failed validation: forget what it may have changed."""
        key = (step.context, step.tab)
        if step.kinds is None:
            self.all_unknown = self.toxics_unknown = True
        for kind in step.kinds or ():
            if kind == "restart_browser":
                self.unknown_tabs |= {k for k in self.open_tabs if k[0] == step.context}
            elif kind == "toxic":
                self.toxics_unknown = True
            elif kind in ("open", "close", "crash"):
                self.unknown_tabs.add(key)
                if kind == "open":
                    self.first_open.setdefault(step.context, step.line)

    def tab_step(self, step: Step, field: str) -> None:
        key = (step.context, step.tab)
        where = f"tab '{step.tab}' in context '{step.context}'"
        if isinstance(step, Open):
            if key in self.open_tabs and key not in self.unknown_tabs and not self.all_unknown:
                self.r.report(step.line, field, f"{where} is already open (line {self.open_tabs[key]}); use navigate, or close it first")
            self.open_tabs[key] = step.line
            self.closed.pop(key, None)
            self.unknown_tabs.discard(key)
            self.first_open.setdefault(step.context, step.line)
            return
        if key not in self.open_tabs and key not in self.unknown_tabs and not self.all_unknown:
            gone = self.closed.get(key)
            if gone is None:
                self.r.report(step.line, field, f"{where} is not open yet; add an `open` step for it before this one")
            elif gone.how == "restart_browser":
                self.r.report(step.line, field, f"{where} was closed by restart_browser at line {gone.line}; `open` it again first")
            else:
                self.r.report(step.line, field, f"{where} was {gone.how} at line {gone.line}; `open` it again first")
        if step.KIND in ("close", "crash"):
            self.open_tabs.pop(key, None)
            self.closed[key] = _Closed(step.line, "closed" if step.KIND == "close" else "crashed")
            self.unknown_tabs.discard(key)

    def restart(self, step: RestartBrowser) -> None:
        """Every tab of the step's context is gone."""
        for key in [k for k in self.open_tabs if k[0] == step.context]:
            del self.open_tabs[key]
            self.closed[key] = _Closed(step.line, "restart_browser")
        self.unknown_tabs -= {k for k in self.unknown_tabs if k[0] == step.context}

    def toxic(self, step: Toxic, field: str, node: Node) -> Toxic:
        name = step.name or ""
        if step.op == "add":
            if name in self.toxics:
                self.r.report(step.line, field, f"a toxic named '{name}' is already added (line {self.toxics[name].line}); remove it first or use update")
            self.toxics[name] = step
            return step
        added = self.toxics.get(name)
        if added is None:
            if not self.toxics_unknown:
                known = ", ".join(self.toxics) or "none"
                self.r.report(_find_line(node, "toxic", step.op), join(field, step.op),
                              f"no toxic named '{name}' is in place{did_you_mean(name, self.toxics)} (in place: {known})")
            return step
        if step.op == "remove":
            del self.toxics[name]
        else:
            allowed = toxics.TOXIC_ATTRIBUTES[added.type or ""]
            for attr in step.attributes:
                if attr not in allowed:
                    line = _find_line(node, "toxic", "update", "attributes", attr)
                    self.r.report(line, join(field, f"update.attributes.{attr}"),
                                  f"a {added.type} toxic has no attribute '{attr}'{did_you_mean(attr, allowed)} (it has: {', '.join(allowed)})")
        return replace(step, type=added.type, stream=added.stream)


def resolve_hook(target: str) -> str | None:
    """Import a hook's module and find its function now, before any browser starts; why not, or None."""
    module_name, _, func_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any import failure is the scenario author's to fix
        first = str(exc).splitlines()[0] if str(exc) else ""
        return f"cannot import {module_name!r}: {type(exc).__name__}: {first}"
    func = getattr(module, func_name, None)
    if not callable(func):
        names = [n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n, None))]
        return f"{module_name!r} has no function {func_name!r}{did_you_mean(func_name, names)}"
    return None


def _opened_contexts(parsed: list[tuple[Parsed, Node]]) -> set[str] | None:
    """Every context some ``open`` step opens (None when a broken step may have opened one)."""
    opened: set[str] = set()
    for step, _ in parsed:
        if isinstance(step, BrokenStep):
            if step.kinds is None or "open" in step.kinds:
                return None
        elif isinstance(step, Open):
            opened.add(step.context)
    return opened


def check_steps(r: Reader, parsed: list[tuple[Parsed, Node]], ingest: object, visitors: int = 0) -> list[Step]:
    """Report cross-step problems; return the steps with toxic remove/update completed."""
    c = _Checker(r)
    out: list[Step] = []
    opened = _opened_contexts(parsed)
    generated = {f"visitor{i + 1}" for i in range(visitors)}
    for index, (step, node) in enumerate(parsed):
        if isinstance(step, BrokenStep):
            c.broken(step)
            continue
        field = join(f"steps[{index}]", step.KIND)
        names_context = step.SCOPE == "context" or (isinstance(step, Hook) and step.context != "main")
        if names_context and opened is not None and step.context not in opened | generated:
            known = sorted(opened | ({"visitor1…"} if generated else set()))
            r.report(step.line, join(f"steps[{index}]", "context"),
                     f"no `open` step ever opens context '{step.context}'{did_you_mean(step.context, opened)} "
                     f"(opened: {', '.join(known) or 'none'})")
        if isinstance(step, Hook):
            problem = resolve_hook(step.target)
            if problem:
                r.report(step.line, field, problem)
            if (step.context, step.tab) != ("main", "main") and step.tab != "main":
                c.tab_step(step, field)
        if step.SCOPE == "tab":
            c.tab_step(step, field)
        elif isinstance(step, SeedOutbox) and step.context in c.first_open:
            r.report(step.line, field, f"seed_outbox must come before the first `open` in context '{step.context}' "
                                       f"(line {c.first_open[step.context]}): the running build would race the seeding")
        elif isinstance(step, Storage) and step.mode == "private" and step.context in c.first_open:
            r.report(step.line, field, f"storage: private must come before the first `open` in context '{step.context}' "
                                       f"(line {c.first_open[step.context]}): it applies to pages opened afterwards")
        elif isinstance(step, RestartBrowser):
            c.restart(step)
        elif isinstance(step, Db) and ingest == "any":
            r.report(step.line, field, "db steps need a real database: add `ingest: postgres` at the top")
        elif isinstance(step, Toxic):
            step = c.toxic(step, field, node)
        out.append(step)
    return out
