"""MCP clients written by others (the MCP Inspector CLI, the official conformance suite) against
the server as users start it, and the official MCP Bundle tool (`mcpb`) on the bundle.

The clients live in `.tools/` (git-ignored), put there by `scripts/external-clients.sh` from the npm
registry. Without node/npm every test here skips; without the installed tools they skip too, unless
`CI` is set, in which case the session installs them once (a second install is a no-op).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.listening import wait_for_health

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "scripts" / "external-clients.sh"
# A cold install (node 22, the Inspector, the conformance suite) takes about 15 s on a 2-core
# machine; the bound leaves room for a slow registry without letting CI hang.
INSTALL_TIMEOUT_SECONDS = 300
CLIENT_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ExternalTools:
    """Paths of the installed clients and the environment they run in."""

    inspector: Path
    conformance: Path
    mcpb: Path
    node: Path
    env: dict[str, str]

    def run(self, program: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(program), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.env["HOME"],
            timeout=CLIENT_TIMEOUT_SECONDS,
            check=False,
        )

    def inspector_json(self, args: Sequence[str]) -> dict[str, Any]:
        """Runs `mcp-inspector --cli ... --format json` and returns its `result` object."""
        done = self.run(self.inspector, ["--cli", *args, "--format", "json"])
        assert done.returncode == 0, f"inspector exited {done.returncode}: {done.stderr[-2000:]}"
        answer = json.loads(done.stdout)
        assert "result" in answer, answer
        result: dict[str, Any] = answer["result"]
        return result


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _tools_dir() -> Path:
    return Path(os.environ.get("ANAPLAN_MCP_TOOLS_DIR", ROOT / ".tools"))


@pytest.fixture(scope="session")
def external_tools(tmp_path_factory: pytest.TempPathFactory) -> ExternalTools:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: the MCP Inspector and conformance suite need them")
    tools = _tools_dir()
    node_bin = tools / "node22" / "node_modules" / "node" / "bin"
    inspector = tools / "inspector" / "node_modules" / ".bin" / "mcp-inspector"
    conformance = tools / "conformance" / "node_modules" / ".bin" / "conformance"
    mcpb = tools / "mcpb" / "node_modules" / ".bin" / "mcpb"
    if _ci():
        # Always run it in CI: it installs what is missing or outdated and is a no-op otherwise.
        try:
            done = subprocess.run(
                ["bash", str(INSTALL_SCRIPT)],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{INSTALL_SCRIPT.name} took over {INSTALL_TIMEOUT_SECONDS} s")
        assert done.returncode == 0, f"{INSTALL_SCRIPT.name} failed:\n{done.stderr[-3000:]}"
    programs = (node_bin / "node", inspector, conformance, mcpb)
    missing = [path for path in programs if not path.exists()]
    if missing:
        pytest.skip(
            f"external MCP clients are not installed ({missing[0]} is missing): "
            f"run scripts/{INSTALL_SCRIPT.name}, or set CI=true to install them during the tests"
        )
    # The Inspector needs node >= 22.19 and its scripts start with `#!/usr/bin/env node`, so node 22
    # goes first on PATH. It writes ~/.mcp-inspector, hence a HOME of its own.
    home = tmp_path_factory.mktemp("external-home")
    env = {
        "PATH": os.pathsep.join((str(node_bin), os.environ.get("PATH", ""))),
        "HOME": str(home),
        "NO_COLOR": "1",
    }
    return ExternalTools(
        inspector=inspector, conformance=conformance, mcpb=mcpb, node=node_bin / "node", env=env
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def server_command() -> str:
    """The `anaplan-mcp` console script of the interpreter running the tests."""
    script = Path(sys.executable).with_name("anaplan-mcp")
    found = str(script) if script.exists() else shutil.which("anaplan-mcp")
    assert found, "the anaplan-mcp command is not installed next to this Python"
    return found


@pytest.fixture(scope="session")
def http_server_url(server_command: str) -> Iterator[str]:
    """`anaplan-mcp serve --transport http --sandbox` on a free loopback port; its MCP URL."""
    port = _free_port()
    process = subprocess.Popen(
        [server_command, "serve", "--sandbox", "--transport", "http", "--port", str(port)],
        env={"PATH": os.environ.get("PATH", "")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process)
        yield f"{base}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
