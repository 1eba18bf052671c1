"""Last resort against orphans: a tiny process that cleans up after a harness that was killed.

SIGKILL gives the harness no chance to stop the PostgreSQL it started (a daemon: nobody's child).
The harness starts this reaper with a pipe on its stdin and sends it, as one JSON line, the
commands that stop what it started, the text that names its processes and the folder to remove.
It is armed BEFORE the thing it guards starts, so a harness killed halfway through a start
(initdb running, a postmaster without a pid file yet) leaves nothing either. The reaper then
blocks until the pipe closes — which happens however the harness ends — and runs the commands,
kills every process whose command line contains the text, removes the folder. After a normal
cleanup they find nothing to do.

    python -m harness.world.reaper
    (stdin: {"commands": [[argv…], …], "kill_mentioning": "/tmp/dir/", "remove": "/tmp/dir"})
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def start(commands: list[list[str]], remove: Path | None, kill_mentioning: str | None = None) -> subprocess.Popen[bytes]:
    """Start a reaper for these commands, processes and folder; close its stdin (or exit) to trigger it."""
    proc = subprocess.Popen([sys.executable, "-m", "harness.world.reaper"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    assert proc.stdin is not None
    spec = {"commands": commands, "remove": str(remove) if remove else None, "kill_mentioning": kill_mentioning}
    proc.stdin.write(json.dumps(spec).encode() + b"\n")
    proc.stdin.flush()
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """After a normal cleanup: let the reaper run (it finds nothing) and collect it."""
    if proc.stdin is not None and not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the harness
    spec = json.loads(sys.stdin.buffer.readline() or b"{}")
    sys.stdin.buffer.read()  # until the harness closes the pipe or dies
    for argv in spec.get("commands", []):
        try:
            subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        except (OSError, subprocess.SubprocessError):
            pass
    if spec.get("kill_mentioning"):
        kill_mentioning(spec["kill_mentioning"])
    if spec.get("remove"):
        shutil.rmtree(spec["remove"], ignore_errors=True)


def processes_mentioning(text: str) -> list[int]:
    """Live (not zombie) processes, other than this one, whose command line contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if text.encode() in cmd and state != "Z":
            found.append(int(entry))
    return found


def kill_mentioning(text: str) -> None:
    """SIGKILL every process whose command line contains ``text``, until none is left."""
    for _ in range(50):
        found = processes_mentioning(text)
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


if __name__ == "__main__":
    main()
