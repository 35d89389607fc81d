"""A person who starts `anaplan-mcp` with a wrong setting gets one line: what is wrong, how to fix it.

The commands run as real processes, as a person types them. The wrong password is tried against the
sandbox served on a loopback port, reached through the three URL overrides, as a tenant would be.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_USER

SANDBOX_DATA = Path(__file__).resolve().parents[1] / "anaplan_mcp" / "sandbox" / "data"
# Names the certificate tests can look for without depending on the exact wording.
CERTIFICATE_FIX = "ANAPLAN_CERTIFICATE"


@dataclass(frozen=True)
class Ran:
    status: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in (self.stdout + self.stderr).splitlines() if line.strip()]

    def fail_line(self) -> str:
        """The one `FAIL` line, after checking there is exactly one and no traceback."""
        assert "Traceback" not in self.stderr, self.stderr
        failed = [line for line in self.lines if line.startswith("FAIL")]
        assert len(failed) == 1, "\n".join(self.lines)
        return failed[0]


def _environment(given: dict[str, str]) -> dict[str, str]:
    # A clean environment: only what the test gives, so the developer's own ANAPLAN_* cannot leak in.
    return {"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"} | given


def run_all(commands: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, Ran]:
    """Run every command at once (each is a cold Python start) and collect what each printed."""
    started = {
        name: subprocess.Popen(
            [sys.executable, "-m", "anaplan_mcp", *argv],
            env=_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (argv, env) in commands.items()
    }
    finished = {}
    try:
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=60)
            finished[name] = Ran(process.returncode, stdout, stderr)
    finally:
        for process in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return finished


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The sandbox on a free loopback port, answering before this fixture returns."""
    # The socket is bound and listening before uvicorn starts, so the first connection waits in the
    # backlog instead of being refused: no polling for readiness.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(Sandbox().app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@pytest.fixture(scope="module")
def missing_certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certificates") / "no-such-certificate.pem"


@pytest.fixture(scope="module")
def outcome(sandbox_url: str, missing_certificate: Path) -> dict[str, Ran]:
    """What each wrong (and one right) setting prints, all run together to save cold starts."""
    tenant = {  # the URL overrides that point every client call at the sandbox
        "ANAPLAN_CLOUDWORKS_URL": f"{sandbox_url}/2/0",
        "ANAPLAN_API_URL": f"{sandbox_url}/2/0",
        "ANAPLAN_AUTH_URL": sandbox_url,
    }
    basic = {"ANAPLAN_USERNAME": SEEDED_USER, "ANAPLAN_PASSWORD": "sandbox"}
    certificate = {
        "ANAPLAN_CERTIFICATE": str(missing_certificate),
        "ANAPLAN_PRIVATE_KEY": str(SANDBOX_DATA / "sandbox-key.pem"),
    }
    return run_all(
        {
            "right password": (["check"], tenant | basic),
            "wrong password": (["check"], tenant | basic | {"ANAPLAN_PASSWORD": "not-it"}),
            "bad region": (["check"], tenant | basic | {"ANAPLAN_REGION": "mars1"}),
            "check certificate": (["check"], tenant | certificate),
            "serve certificate": (["serve"], certificate),
            "serve region": (["serve"], {"ANAPLAN_REGION": "mars1"}),
        }
    )


def test_check_passes_with_the_right_password(outcome: dict[str, Ran]) -> None:
    # The baseline: the same setup with the right password passes, so a FAIL below is the setting's.
    ran = outcome["right password"]
    assert ran.status == 0, "\n".join(ran.lines)
    assert not any(line.startswith("FAIL") for line in ran.lines)


def test_check_with_a_wrong_password_names_it_and_the_fix(outcome: dict[str, Ran]) -> None:
    ran = outcome["wrong password"]
    assert ran.status != 0
    line = ran.fail_line()
    assert "401" in line or "password" in line.lower(), line
    assert "ANAPLAN_PASSWORD" in line, line
    assert "not-it" not in ran.stdout + ran.stderr, "the password was echoed"


def test_check_with_a_bad_region_names_it_and_the_valid_ones(outcome: dict[str, Ran]) -> None:
    ran = outcome["bad region"]
    assert ran.status != 0
    line = ran.fail_line()
    assert "ANAPLAN_REGION" in line and "us1" in line and "eu1" in line, line


def test_check_with_an_unreadable_certificate_names_the_file_and_the_fix(
    outcome: dict[str, Ran], missing_certificate: Path
) -> None:
    ran = outcome["check certificate"]
    assert ran.status != 0
    line = ran.fail_line()
    assert missing_certificate.name in line and CERTIFICATE_FIX in line, line


def test_serve_with_an_unreadable_certificate_says_so_in_one_line(
    outcome: dict[str, Ran], missing_certificate: Path
) -> None:
    ran = outcome["serve certificate"]
    assert ran.status != 0
    assert ran.stdout == "", "stdout belongs to the protocol"
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert missing_certificate.name in lines[0] and CERTIFICATE_FIX in lines[0], lines[0]


def test_serve_with_a_bad_region_says_so_in_one_line(outcome: dict[str, Ran]) -> None:
    ran = outcome["serve region"]
    assert ran.status != 0
    assert ran.stdout == ""
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANAPLAN_REGION" in lines[0] and "us1" in lines[0], ran.stderr
