"""`anaplan-mcp sandbox` as a real process on a loopback port."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2

from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER

READY_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_sandbox_command_serves_cloudworks_over_http(tmp_path: Path) -> None:
    port = free_port()
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "anaplan_mcp",
                "sandbox",
                "--port",
                str(port),
                "--state",
                str(tmp_path / "state.json"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        basic = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
        with httpx2.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + READY_TIMEOUT_SECONDS
            while True:
                try:
                    login = client.post(
                        "/token/authenticate", headers={"Authorization": f"Basic {basic}"}
                    )
                    break
                except httpx2.TransportError:
                    assert process.poll() is None, stderr_path.read_text()
                    assert time.monotonic() < deadline, "the sandbox did not start"
                    time.sleep(0.05)
            token = login.json()["tokenInfo"]["tokenValue"]
            answer = client.get(
                "/2/0/integrations", headers={"Authorization": f"AnaplanAuthToken {token}"}
            )
        assert answer.status_code == 200
        assert answer.json()["meta"]["paging"]["totalSize"] == 12
        assert (tmp_path / "state.json").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = stderr_path.read_text()
    urls = f"ANAPLAN_CLOUDWORKS_URL={base}/2/0 ANAPLAN_API_URL={base}/2/0"
    assert f"  export {urls}\n" in logged  # a line a shell runs as it is
    assert SEEDED_USER in logged
