"""Two versions of the harness measured in one invocation, runs interleaved (figures, never asserted).

This box is a VM whose speed drifts by ±25% over an evening: a figure of the old code taken at one
minute and of the new code at another says more about the host than about the change. Here each
version is extracted (``git archive``) into a temporary directory, and the SAME bench file — the
head's ``bench/pagetime.py``, copied into each tree — runs against each tree's harness and
scenario files in a subprocess, alternating per round (``abba``: A B, B A, A B …, so a steady drift
weighs on both sides alike; ``ab``: always A first). Each run's figures are read from the bench's
``--json`` lines (``FIGURES {…}``), and for every figure the table gives each side's median with
its spread (min–max) and the ratio of the medians, head / base; the load average before each run is
listed with it. Anything after the options below is passed to the bench unchanged::

    PYTHONPATH=. python bench/ab.py --base c226d82 [--head HEAD] --rounds 3 --part storm --storm-build reference
    PYTHONPATH=. python bench/ab.py --base main --part soak --visitors 10
    PYTHONPATH=. python bench/ab.py --base main --part matrix --no-serial

``--head`` defaults to this checkout as it is on disk when ab.py starts (uncommitted and untracked
files included, ignored ones not; copied, so later edits do not reach its runs). The
temporary trees are removed on success, failure, Ctrl-C and SIGTERM; a running bench is stopped
first (SIGINT, so its worlds close their browsers and databases; then SIGTERM, then SIGKILL).
Each run's whole output, and the table, are kept in ``--log-dir`` when given.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path("bench") / "pagetime.py"
PREFIX = "FIGURES "  # bench/pagetime.py FIGURES_PREFIX (not imported: the bench imports the harness)
SIDES = ("base", "head")
STOP_WAIT_S = (60.0, 20.0)  # after SIGINT, after SIGTERM
INPUT_DIRS = ("scenarios", "bench")  # scenario files each side reads from its own tree


@dataclass
class Run:
    """One bench run of one side: its load average before it started, and the figures it printed."""

    side: str
    round: int
    load: float
    records: list[dict] = field(default_factory=list)
    returncode: int = 0
    wall_s: float = 0.0


@dataclass
class Row:
    """One figure of one labelled record (e.g. storm / reference / cpu_s) across both sides' runs."""

    part: str
    label: str
    figure: str
    values: dict[str, list]


def parse_figures(text: str) -> list[dict]:
    """The ``FIGURES {json}`` records in a bench run's output, in order; other lines are prose."""
    records = []
    for line in text.splitlines():
        if line.startswith(PREFIX):
            record = json.loads(line[len(PREFIX):])
            if not isinstance(record, dict) or "part" not in record or "label" not in record:
                raise ValueError(f"a FIGURES line without part and label: {line[:120]}")
            records.append(record)
    return records


def rows(runs: list[Run]) -> list[Row]:
    """Every figure of every (part, label), with each side's values in run order (a run that printed
    no such record adds nothing)."""
    table: dict[tuple[str, str, str], dict[str, list]] = {}
    for run in runs:
        for record in run.records:
            for name, value in record.items():
                if name in ("part", "label"):
                    continue
                values = table.setdefault((record["part"], record["label"], name), {s: [] for s in SIDES})
                values[run.side].append(value)
    return [Row(part, label, name, values) for (part, label, name), values in table.items()]


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(x: float) -> str:
    return f"{x:.0f}" if isinstance(x, int) or abs(x) >= 100 else f"{x:.2f}"


def describe(values: list) -> str:
    """``median [min–max]`` of numbers; other values (a verdict, an error) as the distinct values seen."""
    if not values:
        return "-"
    if all(_number(v) for v in values):
        med = statistics.median(values)
        if all(isinstance(v, int) for v in values) and float(med).is_integer():
            med = int(med)  # counts stay counts: the median of [0, 0] reads 0, not 0.00
        return _fmt(med) if min(values) == max(values) else f"{_fmt(med)} [{_fmt(min(values))}-{_fmt(max(values))}]"
    seen = list(dict.fromkeys("-" if v is None else str(v) for v in values))
    return " / ".join(s[:40] for s in seen)


def ratio(row: Row) -> str:
    """head median / base median, when both sides have numbers and the base's is not zero."""
    base, head = row.values["base"], row.values["head"]
    if not base or not head or not all(_number(v) for v in base + head):
        return ""
    b = statistics.median(base)
    return f"{statistics.median(head) / b:.3f}" if b else ""


def table(runs: list[Run], names: dict[str, str]) -> str:
    """The summary: one line per figure, then the runs in the order they ran with their loads."""
    out = [f"{'part':7} {'label':22} {'figure':22} {'base ' + names['base']:>26} {'head ' + names['head']:>26}  head/base"]
    for row in rows(runs):
        out.append(f"{row.part:7} {row.label:22} {row.figure:22} {describe(row.values['base']):>26} "
                   f"{describe(row.values['head']):>26}  {ratio(row)}")
    out.append("runs (in order; load average before each, the bench's wall including world start):")
    out.extend(f"  round {r.round} {r.side}: load {r.load:.1f}, {r.wall_s:.0f} s"
               + (f", exit {r.returncode}" if r.returncode else "") + ("" if r.records else ", no figures")
               for r in runs)
    return "\n".join(out)


def schedule(rounds: int, order: str) -> list[tuple[int, str]]:
    """(round, side) in the order to run: ``ab`` base first every round; ``abba`` alternates the first."""
    plan = []
    for i in range(rounds):
        first = SIDES if order == "ab" or i % 2 == 0 else SIDES[::-1]
        plan.extend((i + 1, side) for side in first)
    return plan


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def extract(commit: str, into: Path) -> None:
    """The tracked files of ``commit`` into ``into`` (``git archive``: no worktree to unregister)."""
    with subprocess.Popen(["git", "-C", str(ROOT), "archive", "--format=tar", commit], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            tar.extractall(into, filter="data")
    if proc.returncode:
        raise SystemExit(f"git archive {commit} failed (exit {proc.returncode})")


def snapshot(into: Path) -> None:
    """This checkout's files as they are now — tracked and untracked, not ignored — into ``into``:
    edits made while the runs go on do not reach the head's later runs."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in dict.fromkeys(n for n in listed if n):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted on disk is listed too
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def check_imports(tree: Path) -> None:
    """The tree's own ``harness`` must be the one imported (an installed copy must not win)."""
    got = subprocess.run([sys.executable, "-c", "import harness, sys; sys.stdout.write(harness.__file__)"],
                         cwd=tree, env=_env(tree), capture_output=True, text=True, check=True).stdout
    if not Path(got).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"in {tree} the harness imported is {got}, not the tree's: the measurement would be wrong")


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def stop(proc: subprocess.Popen) -> None:
    """Stop a bench run and what it started: SIGINT (its worlds close), then SIGTERM, then SIGKILL.
    A second Ctrl-C or a SIGTERM while waiting kills it at once (then goes on unwinding): the bench
    runs in its own session, and left alone it would outlive ab.py with its browsers."""
    try:
        for sig, wait_s in zip((signal.SIGINT, signal.SIGTERM), STOP_WAIT_S):
            if proc.poll() is not None:
                return
            proc.send_signal(sig)
            try:
                proc.communicate(timeout=wait_s)  # read what it still prints: a full pipe would hold it up
                return
            except subprocess.TimeoutExpired:
                continue
    except (KeyboardInterrupt, SystemExit):
        proc.kill()
        proc.wait()
        raise
    proc.kill()
    proc.wait()


def run_bench(tree: Path, side: str, rnd: int, bench_args: list[str], log_dir: Path | None) -> Run:
    """One run of the bench in ``tree``, its output echoed with the side's name."""
    run = Run(side, rnd, os.getloadavg()[0])
    print(f"[{side} {rnd}] load {run.load:.1f}: python {BENCH} --json {' '.join(bench_args)}", flush=True)
    t0 = time.monotonic()
    lines = []
    proc = subprocess.Popen([sys.executable, str(BENCH), "--json", *bench_args], cwd=tree, env=_env(tree),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True,  # Ctrl-C reaches ab.py only; it sends the bench one SIGINT
                            preexec_fn=_hear_sigint)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if not line.startswith(PREFIX):
                print(f"[{side} {rnd}] {line}", end="", flush=True)
        proc.wait()
    finally:
        stop(proc)
    run.wall_s, run.returncode = time.monotonic() - t0, proc.returncode
    text = "".join(lines)
    if log_dir is not None:
        (log_dir / f"round{rnd}-{side}.log").write_text(text)
    run.records = parse_figures(text)
    return run


def _hear_sigint() -> None:
    """In the bench's process before it starts: SIGINT as Python's KeyboardInterrupt, even when
    ab.py was started with it ignored (a background job of a non-interactive shell), where the
    bench would inherit that and ``stop`` could not end it gently."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def differing_inputs(trees: dict[str, Path]) -> list[str]:
    """Scenario files the two sides do not share byte for byte: each side runs its own tree's, so
    a figure of such a scenario compares two different scenarios, not two harnesses."""
    def files(tree: Path) -> dict[str, bytes]:
        return {str(f.relative_to(tree)): f.read_bytes() for d in INPUT_DIRS for f in sorted((tree / d).glob("*.yaml"))}
    a, b = (files(trees[side]) for side in SIDES)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds: the running bench is stopped and the trees removed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                 allow_abbrev=False)
    ap.add_argument("--base", required=True, help="commit-ish of the old version (e.g. c226d82, main)")
    ap.add_argument("--head", help="commit-ish of the new version (default: a copy of this checkout as it is on disk)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--order", choices=["abba", "ab"], default="abba", help="who runs first in each round")
    ap.add_argument("--log-dir", type=Path, help="keep each run's whole output here")
    args, bench_args = ap.parse_known_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # heard even if started with it ignored
    names = {"base": args.base, "head": args.head or "worktree"}
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tank-ab-") as tmp:
        trees = {}
        for side, ref in (("base", args.base), ("head", args.head)):
            trees[side] = Path(tmp) / side
            trees[side].mkdir()
            if ref is None:
                snapshot(trees[side])
                continue
            commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
            names[side] = f"{ref} ({commit[:7]})" if not commit.startswith(ref) else commit[:7]
            extract(commit, trees[side])
        bench = (trees["head"] / BENCH).read_bytes()
        for side in SIDES:
            (trees[side] / BENCH).write_bytes(bench)  # both measured by the head's bench file
            check_imports(trees[side])
        for name in differing_inputs(trees):
            print(f"warning: {name} differs between base and head (or exists on one side only): figures of "
                  "that scenario compare two scenarios", flush=True)
        print(f"base {names['base']} in {trees['base']}; head {names['head']} in {trees['head']}; "
              f"bench file: the head's {BENCH}; {args.rounds} round(s), order {args.order}", flush=True)
        runs = [run_bench(trees[side], side, rnd, bench_args, args.log_dir) for rnd, side in
                schedule(args.rounds, args.order)]
    summary = table(runs, names)
    print(summary)
    if args.log_dir:
        (args.log_dir / "summary.txt").write_text(summary + "\n")
    return 1 if any(r.returncode or not r.records for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
