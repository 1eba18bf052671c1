"""A SIGTERM reaching a command run inside another program (pytest, a library) cleans up and is then
handed on to that program's own SIGTERM handling: a CI runner cancelling ``make test`` stops the
whole run, not only the test whose command caught the signal. The command's own process keeps its
exit code 143. Each case is a small interpreter that the test signals once it reports ready."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import asyncio, os, signal, sys
from harness.cli.common import own_process, run_async

async def command():
    try:
        print("ready", flush=True)
        await asyncio.sleep(120)
    finally:
        print("cleaned", flush=True)

{setup}
with own_process() if {own} else open(os.devnull):
    code = run_async(command())
print("returned", code, flush=True)
"""


def _signalled(setup: str = "", own: bool = False) -> tuple[int, list[str]]:
    """Run the program, SIGTERM it once ready; its exit status and the lines it printed."""
    source = PROGRAM.format(setup=textwrap.dedent(setup), own=own)
    with subprocess.Popen([sys.executable, "-c", source], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    return proc.returncode, ["ready", *out.split("\n")[:-1]]


def test_a_caller_with_the_default_handling_is_ended_by_the_signal_after_the_clean_up() -> None:
    code, lines = _signalled()
    assert code == -signal.SIGTERM, (code, lines)
    assert lines == ["ready", "cleaned"]


def test_a_callers_own_handler_is_called_after_the_clean_up() -> None:
    code, lines = _signalled("""
        def handler(signum, frame):
            print("caller's handler", signum, flush=True)
            os._exit(7)
        signal.signal(signal.SIGTERM, handler)
    """)
    assert code == 7, (code, lines)
    assert lines == ["ready", "cleaned", f"caller's handler {int(signal.SIGTERM)}"]


def test_the_callers_handler_is_put_back_after_a_run_without_a_signal() -> None:
    source = textwrap.dedent("""
        import asyncio, signal
        from harness.cli.common import run_async
        def handler(signum, frame): pass
        signal.signal(signal.SIGTERM, handler)
        async def command(): return 0
        run_async(command())
        print(signal.getsignal(signal.SIGTERM) is handler)
    """)
    out = subprocess.run([sys.executable, "-c", source], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out


def test_the_commands_own_process_exits_143() -> None:
    code, lines = _signalled(own=True)
    assert code == 0, (code, lines)
    assert lines == ["ready", "cleaned", "returned 143"]
