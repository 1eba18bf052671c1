"""JUnit XML of a run: one testsuite per scenario, one testcase per judged guarantee.

A failed guarantee is a ``<failure>`` carrying its violations; a vacuous one is ``<skipped>``
(the scenario did not exercise it — a CI dashboard should show that, not a green tick);
a scenario that could not run is an ``<error>``.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.checker.guarantees import GUARANTEES
from harness.report.model import RunReport, ScenarioEntry, describe_meta


_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters (a payload label may hold any)."""
    return _NOT_XML.sub("\ufffd", text)


def _suite(parent: ET.Element, s: ScenarioEntry, props: dict[str, str]) -> dict[str, int]:
    suite = ET.SubElement(parent, "testsuite", name=s.name, time=f"{s.wall_s:.3f}")
    p = ET.SubElement(suite, "properties")
    for k, v in {**props, "sim_ms": str(s.sim_ms)}.items():
        ET.SubElement(p, "property", name=k, value=_clean(v))
    n = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    classname = f"tankharness.{s.name}"
    if s.error or s.verdict is None:
        case = ET.SubElement(suite, "testcase", classname=classname, name="scenario", time=f"{s.wall_s:.3f}")
        err = ET.SubElement(case, "error", message=_clean((s.error or "no verdict")[:500]), type="scenario")
        err.text = _clean(s.error or "the scenario produced no verdict")
        n["tests"] += 1
        n["errors"] += 1
    if s.verdict is not None:
        for gid, g in s.verdict.guarantees.items():
            if g.status == "not_judged":
                continue
            case = ET.SubElement(suite, "testcase", classname=classname, name=gid, time="0")
            n["tests"] += 1
            title = GUARANTEES.get(gid, gid)
            if g.status == "fail":
                f = ET.SubElement(case, "failure", type="violation",
                                  message=f"{title}: {len(g.violations)} violation(s) in {g.evidence} case(s)")
                f.text = _clean("\n".join(g.violations))
                n["failures"] += 1
            elif g.status == "vacuous":
                ET.SubElement(case, "skipped", message=_clean(f"vacuous: {g.note or 'not exercised by this scenario'}"))
                n["skipped"] += 1
            else:
                ET.SubElement(case, "system-out").text = f"{title}: {g.evidence} case(s) examined"
    for k, v in n.items():
        suite.set(k, str(v))
    return n


def to_junit(report: RunReport) -> ET.ElementTree:
    """The XML tree (``<testsuites>`` root)."""
    meta = describe_meta(report.meta)
    root = ET.Element("testsuites", name=f"tankharness {meta['build']}")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in report.scenarios:
        for k, v in _suite(root, s, meta).items():
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
