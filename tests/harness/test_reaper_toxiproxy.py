"""A ``toxiproxy-server`` the harness started from PATH does not outlive a SIGKILLed harness: the
reaper armed before it starts kills it. The server here is a stand-in on PATH that answers
``GET /version`` like Toxiproxy (all the harness's start check needs) and writes its pid."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.harness.e2e import ROOT

FAKE = textwrap.dedent('''\
    #!{python}
    """Stand-in for toxiproxy-server: -host H -port P; answers GET /version."""
    import http.server, os, sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake.pid"), "w").write(str(os.getpid()))
    class Version(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{{"version": "2.12.0"}}'
            self.send_response(200 if self.path == "/version" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a):
            pass
    http.server.HTTPServer((args["-host"], int(args["-port"])), Version).serve_forever()
''')

HARNESS = textwrap.dedent('''\
    import asyncio
    from harness.toxiproxy.service import toxiproxy_service
    async def main():
        async with toxiproxy_service() as service:
            print("ready", service.kind, service.version, flush=True)
            await asyncio.sleep(3600)
    asyncio.run(main())
''')
REAP_S = 15.0  # the reaper notices the closed pipe at once; a busy 2-core box is slow to start Python


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_toxiproxy_server_from_path_dies_with_a_sigkilled_harness(tmp_path: Path) -> None:
    fake = tmp_path / "toxiproxy-server"
    fake.write_text(FAKE.format(python=sys.executable))
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}
    env.update(PATH=f"{tmp_path}{os.pathsep}{env.get('PATH', '')}", PYTHONUNBUFFERED="1")
    harness = subprocess.Popen([sys.executable, "-c", HARNESS], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    pid = None
    try:
        assert harness.stdout is not None
        line = harness.stdout.readline()
        assert line.startswith("ready real 2.12.0"), line + harness.stdout.read() if not line.startswith("ready") else line
        pid = int((tmp_path / "fake.pid").read_text())
        assert _alive(pid)
        harness.send_signal(signal.SIGKILL)
        harness.wait(timeout=10)
        deadline = time.monotonic() + REAP_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"the toxiproxy-server stand-in (pid {pid}) outlived the SIGKILLed harness"
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGKILL)
