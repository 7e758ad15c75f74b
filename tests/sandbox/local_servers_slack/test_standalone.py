"""`python -m sandbox.local_servers.slack_api --port N` serves and logs calls."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_main_serves_and_logs_calls() -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "sandbox.local_servers.slack_api", "--port", str(port)]
    cmd += ["--token", "xoxb-cli"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/api/auth.test"
        deadline = time.monotonic() + 10
        while True:
            try:
                reply = httpx.post(url, headers={"Authorization": "Bearer xoxb-cli"}).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.05)
        assert reply["ok"] is True and reply["user_id"] == "U0BOT"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "auth.test ok" in err
