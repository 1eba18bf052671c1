"""JUnit XML of a run: one testsuite per scenario, one testcase per judged guarantee.

A failed guarantee is a ``<failure>`` carrying its violations; a vacuous one is ``<skipped>``
(the scenario did not exercise it — a CI dashboard should show that, not a green tick) unless
the run is ``--strict``, where it is a ``<failure>``; so are events pending after settle in a
strict run (testcase ``pending_after_settle``) unless the scenario declares ``expect_pending``.
A scenario that could not run is an ``<error>``. Times are real: a scenario's wall time is
shared evenly among its testcases, so the testcases of a suite add up to the scenario's time.
Names carry no paths or URLs: a file build is named by its file name; the build's SHA-256, the
scenario's seed and hash, the rerun command and why ``--strict`` failed a scenario
(``strict_failures``) are properties. A build whose profile declares deviations from the contract
gets one more testsuite, ``run``, with a testcase ``declared_deviations``: a ``<failure>`` naming
them under ``--deviations fail`` (the run exits 1 even when every guarantee held), passed under
``warn`` — so a CI dashboard shows the outcome the exit code gives.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePath

from harness.checker.guarantees import GUARANTEES
from harness.report.model import RunReport, ScenarioEntry, declared_deviations, describe_meta, deviation_failure

_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters (a payload label may hold any)."""
    return _NOT_XML.sub("\ufffd", text)


def _cases(s: ScenarioEntry) -> list[tuple[str, str, str, str]]:
    """(name, kind, message, text) per testcase; kind: error, failure, skipped, pass (or, for the
    run's own testcase, deviations: a failure of that type)."""
    cases = []
    if s.error or s.verdict is None:
        cases.append(("scenario", "error", (s.error or "no verdict")[:500], s.error or "the scenario produced no verdict"))
    if s.verdict is not None:
        for gid, g in s.verdict.guarantees.items():
            title = GUARANTEES.get(gid, gid)
            if g.status == "fail":
                cases.append((gid, "failure", f"{title}: {len(g.violations)} violation(s) in {g.evidence} case(s)",
                              "\n".join(g.violations)))
            elif g.status == "vacuous":
                note = f"vacuous: {g.note or 'not exercised by this scenario'}"
                cases.append((gid, "failure" if s.strict else "skipped", note, note))
            elif g.status == "pass":
                cases.append((gid, "pass", "", f"{title}: {g.evidence} case(s) examined"))
        pending = s.verdict.counts.get("pending", 0)
        if s.strict and pending and not s.expect_pending:
            reason = next(r for r in s.strict_failures() if "pending" in r)
            cases.append(("pending_after_settle", "failure", reason, reason))
    return cases


def _run_cases(meta: dict) -> list[tuple[str, str, str, str]]:
    """The run's own testcase: its profile's declared deviations, when it declares any and the
    run says how they count (``meta.run.deviations``)."""
    declared = declared_deviations(meta)
    run = meta.get("run")
    if not declared or not isinstance(run, dict) or not run.get("deviations"):
        return []
    listed = "\n".join(declared)
    failure = deviation_failure(meta)
    if failure:
        return [("declared_deviations", "deviations", failure.text, listed)]
    return [("declared_deviations", "pass", "", f"--deviations {run['deviations']}: listed, not failing the run\n{listed}")]


def _suite(parent: ET.Element, name: str, wall_s: float, cases: list[tuple[str, str, str, str]],
           props: dict[str, str]) -> dict[str, int]:
    suite = ET.SubElement(parent, "testsuite", name=name, time=f"{wall_s:.3f}")
    p = ET.SubElement(suite, "properties")
    for k, v in props.items():
        if v:
            ET.SubElement(p, "property", name=k, value=_clean(v))
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    share = wall_s / max(1, len(cases))
    classname = f"tankharness.{name}"
    for case_name, kind, message, text in cases:
        case = ET.SubElement(suite, "testcase", classname=classname, name=case_name, time=f"{share:.3f}")
        n["tests"] += 1
        if kind == "error":
            ET.SubElement(case, "error", message=_clean(message), type="scenario").text = _clean(text)
            n["errors"] += 1
        elif kind in ("failure", "deviations"):
            failure_type = "violation" if kind == "failure" else "deviations"
            ET.SubElement(case, "failure", message=_clean(message), type=failure_type).text = _clean(text)
            n["failures"] += 1
        elif kind == "skipped":
            ET.SubElement(case, "skipped", message=_clean(message))
            n["skipped"] += 1
        else:
            ET.SubElement(case, "system-out").text = _clean(text)
    for k, v in n.items():
        suite.set(k, str(v))
    return n


def _own(s: ScenarioEntry, meta: dict) -> dict[str, str]:
    """A scenario's own properties."""
    return {"sim_ms": str(s.sim_ms), "seed": "" if s.seed is None else str(s.seed), "scenario_sha256": s.sha256 or "",
            "strict_failures": "; ".join(s.strict_failures()), "rerun": s.rerun(meta) or ""}


def _build_name(meta: dict) -> str:
    """The build as a name: ``reference``, ``mutant:NAME`` or a file build's file name (no path)."""
    build = meta.get("build") if isinstance(meta.get("build"), dict) else {}
    name = str(build.get("name") or "?")
    if name.startswith("file:"):
        return PurePath(name[5:]).name or name
    return name


def to_junit(report: RunReport) -> ET.ElementTree:
    """The XML tree (``<testsuites>`` root)."""
    meta = describe_meta(report.meta)
    build = report.meta.get("build") if isinstance(report.meta.get("build"), dict) else {}
    props = {**meta, "build": _build_name(report.meta), "build_sha256": str(build.get("sha256") or ""),
             "strict": "true" if report.meta.get("strict") else "false"}
    root = ET.Element("testsuites", name=f"tankharness {_build_name(report.meta)}")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites = [(s.name, s.wall_s, _cases(s), {**props, **_own(s, report.meta)}) for s in report.scenarios]
    run_cases = _run_cases(report.meta)
    if run_cases:
        suites.append(("run", 0.0, run_cases, props))
    for name, wall_s, cases, suite_props in suites:
        for k, v in _suite(root, name, wall_s, cases, suite_props).items():
            total[k] += v
    for k, v in total.items():
        root.set(k, str(v))
    root.set("time", f"{sum(s.wall_s for s in report.scenarios):.3f}")
    return ET.ElementTree(root)


def write_junit(report: RunReport, path: Path | str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = to_junit(report)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
