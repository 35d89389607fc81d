"""A person who starts `anaplan-mcp` with a wrong setting gets one line: what is wrong, how to fix it.

The commands run as real processes, as a person types them. The wrong password is tried against the
sandbox served on a loopback port, reached through the three URL overrides, as a tenant would be.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anaplan_mcp.cli import main
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_USER
from tests.listening import listening

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
    with listening(Sandbox().app) as url:
        yield url


@pytest.fixture(scope="module")
def missing_certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("certificates") / "no-such-certificate.pem"


@pytest.fixture(scope="module")
def silent_auth() -> Iterator[str]:
    """An auth URL whose port accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def outcome(sandbox_url: str, missing_certificate: Path, silent_auth: str) -> dict[str, Ran]:
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
    once = {"ANAPLAN_MAX_RETRIES": "0"}
    refused = f"http://127.0.0.1:{_closed_port()}"
    unresolvable = "https://auth.anaplan-mcp.invalid"  # .invalid never resolves (RFC 2606)
    return run_all(
        {
            "right password": (["check"], tenant | basic),
            "wrong password": (["check"], tenant | basic | {"ANAPLAN_PASSWORD": "not-it"}),
            "bad region": (["check"], tenant | basic | {"ANAPLAN_REGION": "mars1"}),
            "check certificate": (["check"], tenant | certificate),
            "serve certificate": (["serve"], certificate),
            "serve region": (["serve"], {"ANAPLAN_REGION": "mars1"}),
            # Sign-in that cannot reach the auth service, once each way (no retries: one attempt).
            "sign-in refused": (["check"], tenant | basic | once | {"ANAPLAN_AUTH_URL": refused}),
            "sign-in dns": (["check"], tenant | basic | once | {"ANAPLAN_AUTH_URL": unresolvable}),
            "sign-in silent": (
                ["check"],
                tenant | basic | once | {"ANAPLAN_AUTH_URL": silent_auth, "ANAPLAN_TIMEOUT": "0.3"},
            ),
            "check url": (["check"], basic | {"ANAPLAN_CLOUDWORKS_URL": "notaurl"}),
            "serve url": (["serve"], basic | {"ANAPLAN_CLOUDWORKS_URL": "notaurl"}),
            "tools url": (["tools"], basic | {"ANAPLAN_CLOUDWORKS_URL": "notaurl"}),
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


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("sign-in refused", ": connection refused;"),
        ("sign-in dns", ": the host name does not resolve (DNS);"),
        ("sign-in silent", "timed out (no answer within 0.3 s);"),
    ],
)
def test_check_when_sign_in_cannot_reach_the_auth_service_names_host_cause_and_settings(
    outcome: dict[str, Ran], case: str, cause: str
) -> None:
    ran = outcome[case]
    assert ran.status == 1, "\n".join(ran.lines)  # a failed check, not a wrong setting
    line = ran.fail_line()
    assert line.startswith("FAIL authentication: "), line
    assert cause in line and "ANAPLAN_REGION / ANAPLAN_AUTH_URL and the network" in line, line
    # Signing in again does no harm: no warning about a request the server may have acted on.
    assert "broke" not in line and "acted on" not in line, line
    if case != "sign-in silent":
        assert "could not connect to " in line and "POST /token/authenticate" in line, line


@pytest.mark.parametrize("command", ["check", "serve", "tools"])
def test_a_malformed_url_override_stops_the_command_in_one_line(
    outcome: dict[str, Ran], command: str
) -> None:
    ran = outcome[f"{command} url"]
    assert ran.status == 2 and ran.stdout == "", ran.stdout
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert "ANAPLAN_CLOUDWORKS_URL" in lines[0] and "https://" in lines[0], lines[0]


# --- every setting, every command -------------------------------------------------------------

# One wrong value per setting, with a word its line must carry besides the variable's name (the
# valid forms, or the entry that is wrong).
WRONG_VALUES = {
    "ANAPLAN_CLOUDWORKS_URL": ("notaurl", "https://"),
    "ANAPLAN_AUTH_URL": ("http://auth.example.com:port", "https://auth.anaplan.com"),
    "ANAPLAN_API_URL": ("http://127.0.0.1:8899", "/2/0"),
    "ANAPLAN_MCP_SANDBOX": ("maybe", "true"),
    "ANAPLAN_MCP_READ_ONLY": ("yes please", "false"),
    "ANAPLAN_MCP_TOKEN_PASSTHROUGH": ("2", "0"),
    "ANAPLAN_TIMEOUT": ("-1", "above 0"),
    "ANAPLAN_MAX_RETRIES": ("2.5", "whole number"),
    "ANAPLAN_MCP_WAIT_SECONDS": ("forever", "3600"),
    "ANAPLAN_MCP_TOOLSETS": ("runs,flow", "did you mean flows"),
    "ANAPLAN_REGION": ("eu11", "us1"),
}
COMMANDS = {
    "serve": ["serve"],
    "tools": ["tools"],
    "call": ["call", "who_am_i"],
    "check": ["check"],
    "demo": ["demo"],
}
CANARY_PASSWORD = "canary-password-0d1f"


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("ANAPLAN_"):
            monkeypatch.delenv(name)
    return monkeypatch


# The demo is always the sandbox, read-only off, every toolset: it sets these three itself.
DEMO_SETS = {"ANAPLAN_MCP_SANDBOX", "ANAPLAN_MCP_READ_ONLY", "ANAPLAN_MCP_TOOLSETS"}


@pytest.mark.parametrize(
    ("variable", "command"),
    [
        (variable, command)
        for variable in WRONG_VALUES
        for command in COMMANDS
        if not (command == "demo" and variable in DEMO_SETS)
    ],
)
def test_each_wrong_setting_stops_each_command_with_one_line_and_status_2(
    variable: str,
    command: str,
    clean_environment: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    value, expected = WRONG_VALUES[variable]
    clean_environment.setenv(variable, value)
    # Credentials beside the wrong setting: the line must not carry them.
    clean_environment.setenv("ANAPLAN_USERNAME", "me@example.com")
    clean_environment.setenv("ANAPLAN_PASSWORD", CANARY_PASSWORD)
    assert main(COMMANDS[command]) == 2
    captured = capsys.readouterr()
    assert captured.out == "", "nothing starts: no output for a person or the protocol"
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert variable in lines[0] and expected in lines[0], lines[0]
    assert "pydantic" not in lines[0] and "Input should" not in lines[0], lines[0]
    assert CANARY_PASSWORD not in captured.err


def test_a_url_with_a_password_in_it_is_refused_without_repeating_it(
    clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environment.setenv("ANAPLAN_CLOUDWORKS_URL", f"https://me:{CANARY_PASSWORD}@h/2/0")
    assert main(["tools", "--sandbox"]) == 2
    err = capsys.readouterr().err
    assert "ANAPLAN_CLOUDWORKS_URL" in err and "password" in err and CANARY_PASSWORD not in err


def test_two_assignments_in_one_variable_are_named_as_such(
    clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `ANAPLAN_CLOUDWORKS_URL=ANAPLAN_API_URL=http://...` in a shell sets only the first variable.
    clean_environment.setenv("ANAPLAN_CLOUDWORKS_URL", "ANAPLAN_API_URL=http://127.0.0.1:8899/2/0")
    assert main(["tools"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("anaplan-mcp: ANAPLAN_CLOUDWORKS_URL:"), line
    assert "ANAPLAN_API_URL=" in line and "on its own" in line, line


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " 0 ", "false", ""])
def test_the_switch_values_the_readme_gives_are_accepted(
    value: str, clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_environment.setenv("ANAPLAN_MCP_READ_ONLY", value)
    assert main(["tools", "--sandbox", "--toolsets", "runs"]) == 0
    kinds = {line.split()[1] for line in capsys.readouterr().out.splitlines()}
    assert (kinds == {"read"}) == (value.strip().lower() in ("1", "true"))


def test_an_empty_variable_counts_as_unset(
    clean_environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ANAPLAN_REGION", "ANAPLAN_TIMEOUT", "ANAPLAN_CLOUDWORKS_URL"):
        clean_environment.setenv(name, "")
    assert main(["tools", "--sandbox", "--toolsets", "runs"]) == 0
    assert capsys.readouterr().err == ""
