"""A Markdown summary of a run (``--markdown FILE``; appended to ``$GITHUB_STEP_SUMMARY`` when set):
one row per scenario naming its failing and vacuous guarantees, then per failed scenario its
violations and the command that reruns it."""
from __future__ import annotations

import os
from pathlib import Path

from harness.checker.guarantees import GUARANTEES
from harness.report.model import RunReport, ScenarioEntry, describe_meta

MAX_VIOLATIONS = 5


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _by_status(s: ScenarioEntry, status: str) -> str:
    if s.verdict is None:
        return ""
    return ", ".join(f"`{gid}`" for gid, g in s.verdict.guarantees.items() if g.status == status)


def to_markdown(report: RunReport) -> str:
    m = describe_meta(report.meta)
    failed = [s for s in report.scenarios if not s.passed]
    verdict = ("✅ " if report.passed else "❌ ") + _cell(report.headline())  # the exit code's outcome
    strict = " · strict" if report.meta.get("strict") else ""
    # Copies the browser re-sent by itself: a column only when a scenario had any (not the build's)
    copies_head = " browser copies |" if any(s.verdict and s.verdict.counts.get("browser_copies")
                                             for s in report.scenarios) else ""
    lines = [f"## tankharness — {_cell(m['build'])}", "",
             f"**{verdict}** · browser {_cell(m['browser'])} · store {_cell(m['store'])} · seed {_cell(m['seed'])}{strict}", "",
             "| scenario | verdict | failed | vacuous | passed | lost | duplicated | pending |" + copies_head,
             "| --- | --- | --- | --- | --- | ---: | ---: | ---: |" + " ---: |" * bool(copies_head)]
    for s in report.scenarios:
        c = s.verdict.counts if s.verdict else {}
        lines.append(f"| {_cell(s.name)} | {'PASS' if s.passed else '**FAIL**'} | {_by_status(s, 'fail')} | "
                     f"{_by_status(s, 'vacuous')} | {_by_status(s, 'pass')} | {c.get('lost', 0)} | "
                     f"{c.get('duplicated', 0)} | {c.get('pending', 0)} |"
                     + (f" {c.get('browser_copies', 0)} |" if copies_head else ""))
    for failure in report.failures():  # why the run fails beyond its scenarios, every detail
        lines += ["", f"### ❌ the run: {failure.kind}", "", f"- {_cell(failure.text)}"]
    for s in failed:
        lines += ["", f"### ❌ {s.name}", ""]
        if s.error:
            lines.append(f"- scenario error: {_cell(s.error)}")
        lines += [f"- strict: {_cell(r)}" for r in s.strict_failures()]
        for gid, g in (s.verdict.guarantees.items() if s.verdict else ()):
            if g.status != "fail":
                continue
            lines.append(f"- **{gid}** — {GUARANTEES.get(gid, gid)} ({len(g.violations)} violation(s))")
            lines += [f"  - {_cell(v)}" for v in g.violations[:MAX_VIOLATIONS]]
            if len(g.violations) > MAX_VIOLATIONS:
                lines.append(f"  - … {len(g.violations) - MAX_VIOLATIONS} more in the JSON report")
        rerun = s.rerun(report.meta)
        if rerun:
            lines += ["", "```sh", rerun, "```"]
        if s.artifacts:
            lines.append(f"trace, screenshots, console: `{s.artifacts}`")
    return "\n".join(lines) + "\n"


def write_markdown(report: RunReport, path: Path | str | None) -> None:
    """Write ``path`` (when given) and append to ``$GITHUB_STEP_SUMMARY`` (when set)."""
    text = to_markdown(report)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(text)
