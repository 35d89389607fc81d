"""The `anaplan-mcp` command at its edges: a reader that stops early, a port in use, a misspelt tool."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from anaplan_mcp.cli import main

COMMAND = str(Path(sys.executable).parent / "anaplan-mcp")


@pytest.fixture(autouse=True)
def _no_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("ANAPLAN_")]:
        monkeypatch.delenv(name)


def _env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("ANAPLAN_")}


@pytest.mark.parametrize("argv", [["tools", "--sandbox"], ["demo"]])
def test_a_reader_that_went_away_ends_the_command_quietly(argv: list[str]) -> None:
    # The reading end is closed before the command writes a byte: its first line meets a closed
    # pipe every time (with `| head -1` it depends on who is faster).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [COMMAND, *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=_env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    "argv", [["serve", "--sandbox", "--transport", "http"], ["sandbox"]], ids=["serve", "sandbox"]
)
def test_a_port_in_use_is_one_line_and_status_2(
    argv: list[str], taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--port", str(taken_port)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and f"port {taken_port} on 127.0.0.1 is in use" in lines[0], lines
    assert "http://" not in captured.err + captured.out  # nothing announced


@pytest.mark.parametrize(
    ("argv", "announced"),
    [
        (["serve", "--sandbox", "--transport", "http"], r"MCP at http://127\.0\.0\.1:(\d+)/mcp"),
        (["sandbox"], r"listening on http://127\.0\.0\.1:(\d+)"),
    ],
    ids=["serve", "sandbox"],
)
def test_the_announced_port_is_already_listening(argv: list[str], announced: str) -> None:
    with subprocess.Popen(
        [COMMAND, *argv, "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    ) as server:
        try:
            assert server.stderr is not None
            found = next(filter(None, (re.search(announced, line) for line in server.stderr)), None)
            assert found is not None, "nothing announced"
            # The first connection after the announcement is accepted: the socket listens already.
            with socket.create_connection(("127.0.0.1", int(found[1])), timeout=10):
                pass
        finally:
            server.terminate()


def test_call_of_a_misspelt_tool_says_what_it_may_mean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "--sandbox", "get_run_statu", "run_id=x"]) == 1
    assert "did you mean get_run_status" in capsys.readouterr().err


def test_the_progress_bar_stays_out_of_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    from anaplan_mcp.sandbox import seed_ids as seed

    argv = ["call", "--sandbox", "run_integration", f"integration_id={seed.FX_IMPORT_ID}"]
    assert main([*argv, "wait=true", "timeout_seconds=1"]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "[" not in captured.err, captured.err
