"""The `anaplan-mcp` command as a person uses it (in-process, through `main`)."""

from __future__ import annotations

import json

import pytest

from anaplan_mcp.cli import build_parser, main
from anaplan_mcp.console import ArgumentsError, parse_arguments


@pytest.fixture(autouse=True)
def _no_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ANAPLAN_USERNAME",
        "ANAPLAN_PASSWORD",
        "ANAPLAN_TOKEN",
        "ANAPLAN_CERTIFICATE",
        "ANAPLAN_PRIVATE_KEY",
        "ANAPLAN_MCP_SANDBOX",
        "ANAPLAN_REGION",
        "ANAPLAN_OAUTH_CLIENT_ID",
    ):
        monkeypatch.delenv(name, raising=False)


def test_call_prints_the_structured_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "--sandbox", "list_connections", "limit=2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["items"]) == 2 and result["total"] >= 2


def test_call_with_a_bad_argument_fails_with_the_field_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["call", "--sandbox", "list_connections", "limit=0"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "limit" in captured.err


def test_tools_lists_every_tool_with_its_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--sandbox", "--read-only"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.split()[1] == "read" for line in lines)
    assert main(["tools", "--sandbox"]) == 0
    kinds = {line.split()[0]: line.split()[1] for line in capsys.readouterr().out.splitlines()}
    # A load overwrites data but is not a delete: it does not ask, a delete does.
    assert (kinds["run_integration"], kinds["delete_flow"]) == ("destructive", "delete")
    assert (kinds["create_flow"], kinds["who_am_i"]) == ("write", "read")


def test_check_passes_on_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "authentication" in out and "CloudWorks" in out


@pytest.mark.parametrize(
    ("env", "way_in"),
    [
        ({"ANAPLAN_MCP_TOKEN_PASSTHROUGH": "1"}, "token passthrough"),
        ({"ANAPLAN_MCP_OAUTH": "1", "ANAPLAN_OAUTH_CLIENT_ID": "a" * 32}, "serve --oauth"),
    ],
)
def test_check_without_a_sign_in_of_its_own_says_so_and_sends_nothing(
    env: dict[str, str],
    way_in: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No URL that could answer: a request sent would fail the check.
    monkeypatch.setenv("ANAPLAN_CLOUDWORKS_URL", "http://127.0.0.1:9/2/0")
    monkeypatch.setenv("ANAPLAN_AUTH_URL", "http://127.0.0.1:9")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "none of the server's own" in out and way_in in out
    assert "skip CloudWorks, Integration API" in out


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["tools"], {}, "no Anaplan credentials"),
        (["tools"], {"ANAPLAN_REGION": "mars1"}, "ANAPLAN_REGION"),
        (["tools", "--toolsets", "runs,nope"], {}, "ANAPLAN_MCP_TOOLSETS"),
        (["serve", "--token-passthrough"], {}, "--transport http"),
        (["serve"], {"ANAPLAN_MCP_TOKEN_PASSTHROUGH": "1"}, "--transport http"),
        (["login"], {}, "ANAPLAN_OAUTH_CLIENT_ID is not set"),
        (["login", "--device"], {"ANAPLAN_MCP_SANDBOX": "1"}, "the sandbox needs no sign-in"),
    ],
)
def test_a_wrong_setting_gives_one_line_and_status_2(
    argv: list[str],
    env: dict[str, str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]


def test_sandbox_flag_wins_over_credentials_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANAPLAN_USERNAME", "me@acme.com")
    monkeypatch.setenv("ANAPLAN_PASSWORD", "not-used")
    assert main(["tools", "--sandbox", "--toolsets", "connections"]) == 0
    captured = capsys.readouterr()
    assert "sandbox" in captured.err and "not-used" not in captured.err + captured.out


def test_every_subcommand_has_help() -> None:
    parser = build_parser()
    for command in ("serve", "tools", "call", "check", "demo", "login", "logout", "sandbox"):
        with pytest.raises(SystemExit) as exited:
            parser.parse_args([command, "--help"])
        assert exited.value.code == 0


@pytest.mark.parametrize(
    ("pairs", "raw", "expected"),
    [
        (
            ["limit=5", "name=Daily sales", "wait=true"],
            None,
            {"limit": 5, "name": "Daily sales", "wait": True},
        ),
        ([], '{"integration_id": "abc"}', {"integration_id": "abc"}),
    ],
)
def test_call_arguments_are_read_as_json_when_they_are_json(
    pairs: list[str], raw: str | None, expected: dict[str, object]
) -> None:
    assert parse_arguments(pairs, raw) == expected


@pytest.mark.parametrize(
    ("pairs", "raw"), [(["novalue"], None), ([], "[1]"), ([], "{bad"), (["a=1"], "{}")]
)
def test_unreadable_call_arguments_are_refused(pairs: list[str], raw: str | None) -> None:
    with pytest.raises(ArgumentsError):
        parse_arguments(pairs, raw)
