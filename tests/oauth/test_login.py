"""`anaplan-mcp login [--device]`, `logout` and `check` as a person runs them, against a sandbox
process over HTTP. The browser's part is played by the test: it opens the authorize URL that login
hands to `webbrowser.open`, approves the pending sign-in through `POST /_sandbox/oauth/approve`, and
follows the `redirect_to` it answers to login's loopback listener. Then `call` and `serve` (a real
stdio process) use the stored sign-in, with no password set, and see the user who approved."""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters

from anaplan_mcp.cli import main
from anaplan_mcp.oauth import login
from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.oauth.store import FileSignInStore, sign_in_key
from anaplan_mcp.sandbox.oauth import CODE_CLIENT_ID, CODE_CLIENT_SECRET, DEVICE_CLIENT_ID
from tests.listening import free_port, sandbox_process

APPROVER = (
    "jane.roe@example.com"  # not the sandbox's default user: whoever approves is who is signed in
)
WAIT = 30.0  # seconds any one step may take before the test fails instead of hanging


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    """`anaplan-mcp sandbox` on a free port, as a process of its own."""
    with sandbox_process() as base:
        yield base


@pytest.fixture
def env(sandbox: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A person's settings for the sandbox: an OAuth client, a token store, and no password."""
    httpx2.post(f"{sandbox}/_sandbox/reset").raise_for_status()
    for name in list(os.environ):
        if name.startswith("ANAPLAN_"):
            monkeypatch.delenv(name)
    values = {
        "ANAPLAN_OAUTH_URL": sandbox,
        "ANAPLAN_CLOUDWORKS_URL": f"{sandbox}/2/0",
        "ANAPLAN_API_URL": f"{sandbox}/2/0",
        "ANAPLAN_AUTH_URL": sandbox,
        "ANAPLAN_OAUTH_CLIENT_ID": CODE_CLIENT_ID,
        "ANAPLAN_OAUTH_CLIENT_SECRET": CODE_CLIENT_SECRET,
        "ANAPLAN_OAUTH_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
        "ANAPLAN_MCP_TOKEN_STORE": str(tmp_path / "sign-in.json"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BROWSER", "test-browser")  # a browser "exists": webbrowser.open is called
    return values


class Browser:
    """Stands in for `webbrowser.open` and for the person at the browser."""

    def __init__(self, sandbox: str) -> None:
        self.sandbox = sandbox
        self.opened: queue.Queue[str] = queue.Queue()
        self.redirects: list[str] = []

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.opened.put(url)
        return True

    def approve(self, *, deny: bool = False, state: str | None = None) -> httpx2.Response:
        """Open the authorize page, decide as APPROVER, and follow the redirect to the loopback."""
        page = httpx2.get(self.opened.get(timeout=WAIT), timeout=WAIT)
        assert page.status_code == 200, page.text
        match = re.search(r"name='user_code' value='([^']+)'", page.text)
        assert match, page.text
        decided = httpx2.post(
            f"{self.sandbox}/_sandbox/oauth/approve",
            json={"user_code": match[1], "username": APPROVER, "deny": deny},
        )
        redirect = decided.raise_for_status().json()["redirect_to"]
        self.redirects.append(redirect)
        if state is not None:  # a redirect that does not carry this login's state
            parts = urlsplit(redirect)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            redirect = urlunsplit(parts._replace(query=urlencode({**query, "state": state})))
        return httpx2.get(redirect, timeout=WAIT)


@pytest.fixture
def browser(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> Browser:
    stand_in = Browser(sandbox)
    monkeypatch.setattr("webbrowser.open", stand_in.open)
    return stand_in


def _in_background(argv: list[str]) -> tuple[threading.Thread, list[int]]:
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(main(argv)), daemon=True)
    thread.start()
    return thread, status


def _finished(thread: threading.Thread, status: list[int]) -> int:
    thread.join(WAIT)
    assert not thread.is_alive(), "login did not finish"
    return status[0]


def _secrets(env: dict[str, str], browser: Browser | None = None) -> list[str]:
    """Every secret the sign-in involved: the client secret, the codes, the stored tokens."""
    found = [CODE_CLIENT_SECRET]
    for redirect in browser.redirects if browser else []:
        found += parse_qs(urlsplit(redirect).query).get("code", [])
    store = Path(env["ANAPLAN_MCP_TOKEN_STORE"])

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, str) and len(value) >= 16:
            yield value

    if store.exists():
        found += list(strings(json.loads(store.read_text())))
    return found


def _assert_one_line_without_secrets(err: str, out: str, secrets: list[str], *words: str) -> None:
    lines = err.strip().splitlines()
    assert out == "" and lines, (out, err)
    assert all(word in lines[-1] for word in words), lines[-1]
    assert not [secret for secret in secrets if secret in out + err]


def test_browser_login_then_call_and_serve_use_the_sign_in(
    env: dict[str, str], browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    thread, status = _in_background(["login"])
    page = browser.approve()
    assert page.status_code == 200 and "go back to the terminal" in page.text
    assert _finished(thread, status) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"Signed in as Jane Roe <{APPROVER}>; the access token lasts")
    assert "/auth/authorize?" in captured.err  # printed for a person on a remote shell
    secrets = _secrets(env, browser)
    assert len(secrets) >= 4  # the secret, the code, the access and refresh tokens
    assert not [secret for secret in secrets if secret in captured.out + captured.err]

    assert main(["call", "who_am_i"]) == 0
    assert json.loads(capsys.readouterr().out)["email"] == APPROVER

    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert f"signed in as Jane Roe <{APPROVER}>" in out and "lasts until" in out
    assert f"| oauth {env['ANAPLAN_OAUTH_URL']} |" in out and "| auth " not in out
    assert "FAIL" not in out

    async def over_stdio() -> Any:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "anaplan_mcp", "serve"],
            env={**env, "PATH": os.environ.get("PATH", "")},
        )
        async with Client(params) as client:
            return (await client.call_tool("who_am_i", {})).structured_content

    assert anyio.run(over_stdio)["email"] == APPROVER


def test_device_login_then_logout(
    env: dict[str, str], sandbox: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("ANAPLAN_OAUTH_CLIENT_ID", DEVICE_CLIENT_ID)
    monkeypatch.delenv("ANAPLAN_OAUTH_CLIENT_SECRET")
    approved = threading.Event()

    async def until_approved(seconds: float) -> None:  # the poll interval passes once approved
        await anyio.to_thread.run_sync(approved.wait, WAIT)

    monkeypatch.setattr(
        login, "device_login", functools.partial(login.device_login, sleep=until_approved)
    )
    thread, status = _in_background(["login", "--device"])
    user_code = _pending_code(sandbox)
    httpx2.post(
        f"{sandbox}/_sandbox/oauth/approve", json={"user_code": user_code, "username": APPROVER}
    ).raise_for_status()
    approved.set()
    assert _finished(thread, status) == 0
    captured = capsys.readouterr()
    assert f"enter the code {user_code}" in captured.err
    assert captured.out.startswith(f"Signed in as Jane Roe <{APPROVER}>")
    assert not [secret for secret in _secrets(env) if secret in captured.out + captured.err]

    assert main(["call", "who_am_i"]) == 0
    assert json.loads(capsys.readouterr().out)["email"] == APPROVER
    assert main(["logout"]) == 0
    assert capsys.readouterr().out.startswith("Signed out")
    assert main(["logout"]) == 0  # nothing stored: said so, and not an error
    assert capsys.readouterr().out.startswith("No sign-in was stored")
    assert main(["call", "who_am_i"]) == 2
    assert "anaplan-mcp login" in capsys.readouterr().err


def _pending_code(sandbox: str) -> str:
    for _ in range(int(WAIT * 20)):
        pending = httpx2.get(f"{sandbox}/_sandbox/oauth").json()["pending"]
        if pending:
            return str(pending[0]["user_code"])
        anyio.run(anyio.sleep, 0.05)
    raise AssertionError("login --device started no device sign-in")


# -- what goes wrong: one line each, a non-zero status, no secret ----------------------------------


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ({"deny": True}, ("denied", "access_denied", "anaplan-mcp login")),
        ({"state": "forged-state"}, ("state", "anaplan-mcp login")),
    ],
)
def test_a_refused_or_forged_answer_is_one_line(
    how: dict[str, Any], words: tuple[str, ...], env: dict[str, str], browser: Browser, capsys: Any
) -> None:
    thread, status = _in_background(["login"])
    browser.approve(**how)
    assert _finished(thread, status) == 1
    captured = capsys.readouterr()
    _assert_one_line_without_secrets(captured.err, captured.out, _secrets(env, browser), *words)
    assert (
        not Path(env["ANAPLAN_MCP_TOKEN_STORE"]).exists()
        or "access" not in Path(env["ANAPLAN_MCP_TOKEN_STORE"]).read_text()
    )


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ANAPLAN_OAUTH_CLIENT_ID", "0" * 32, "ANAPLAN_OAUTH_CLIENT_ID"),
        ("ANAPLAN_OAUTH_REDIRECT_URI", "http://127.0.0.1:{port}/elsewhere", "REDIRECT_URI"),
    ],
)
def test_a_client_or_redirect_the_service_does_not_know_is_one_line_before_any_browser(
    variable: str,
    value: str,
    named: str,
    env: dict[str, str],
    browser: Browser,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    monkeypatch.setenv(variable, value.format(port=free_port()))
    assert main(["login"]) == 1
    captured = capsys.readouterr()
    _assert_one_line_without_secrets(
        captured.err, captured.out, _secrets(env), named, "OAuth Clients"
    )
    assert browser.opened.empty()


def test_a_wrong_device_client_and_an_expired_device_code_are_one_line(
    env: dict[str, str], sandbox: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("ANAPLAN_OAUTH_CLIENT_ID", "0" * 32)
    assert main(["login", "--device"]) == 1
    captured = capsys.readouterr()
    _assert_one_line_without_secrets(captured.err, captured.out, [], "ANAPLAN_OAUTH_CLIENT_ID")

    monkeypatch.setenv("ANAPLAN_OAUTH_CLIENT_ID", DEVICE_CLIENT_ID)

    async def past_expiry(seconds: float) -> None:  # nobody approves; the sandbox's time runs out
        async with httpx2.AsyncClient() as http:
            await http.post(f"{sandbox}/_sandbox/clock", json={"advance": 901})

    monkeypatch.setattr(
        login, "device_login", functools.partial(login.device_login, sleep=past_expiry)
    )
    assert main(["login", "--device"]) == 1
    captured = capsys.readouterr()
    last = captured.err.strip().splitlines()[-1]
    assert "expired" in last and "login --device" in last and captured.out == ""


def test_a_taken_redirect_port_is_one_line_naming_the_variable(
    env: dict[str, str], browser: Browser, capsys: Any
) -> None:
    port = urlsplit(env["ANAPLAN_OAUTH_REDIRECT_URI"]).port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port or 0))
        holder.listen(1)
        assert main(["login"]) == 1
    captured = capsys.readouterr()
    _assert_one_line_without_secrets(
        captured.err, captured.out, [], "in use", "ANAPLAN_OAUTH_REDIRECT_URI"
    )
    assert browser.opened.empty()


@pytest.mark.parametrize("command", [["login"], ["login", "--device"], ["logout"]])
def test_without_a_client_id_each_command_says_where_to_register_one(
    command: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("ANAPLAN_OAUTH_CLIENT_ID")
    assert main(command) == 2
    captured = capsys.readouterr()
    _assert_one_line_without_secrets(
        captured.err,
        captured.out,
        [CODE_CLIENT_SECRET],
        "ANAPLAN_OAUTH_CLIENT_ID",
        "Administration > Security > OAuth Clients",
    )


def test_no_answer_within_the_limit_is_one_line(env: dict[str, str], browser: Browser) -> None:
    from anaplan_mcp.settings import load_settings

    said: list[str] = []
    run: Callable[[], Any] = functools.partial(
        login.browser_login, load_settings(), said.append, limit=0.2
    )
    with pytest.raises(login.LoginError, match=r"no sign-in came back within .* login"):
        anyio.run(run)
    assert any("/auth/authorize?" in line for line in said)


def _store(env: dict[str, str]) -> FileSignInStore:
    key = sign_in_key(env["ANAPLAN_OAUTH_CLIENT_ID"], env["ANAPLAN_OAUTH_URL"])
    return FileSignInStore(Path(env["ANAPLAN_MCP_TOKEN_STORE"]), key)


def test_check_on_an_ended_sign_in_gives_its_one_fix(env: dict[str, str], capsys: Any) -> None:
    ended = OAuthTokens("A" * 40, "R" * 40, 0.0)  # expired, and a refresh token nobody issued
    anyio.run(_store(env).save, ended)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and "anaplan-mcp login` again" in failed[0], out
    assert " - fix:" not in failed[0]  # the message's own fix, not a second one
    assert "A" * 40 not in out and "R" * 40 not in out


def test_a_corrupt_store_is_one_line_in_check_and_logout_forgets_it(
    env: dict[str, str], capsys: Any
) -> None:
    path = Path(env["ANAPLAN_MCP_TOKEN_STORE"])
    path.write_text("{not json")
    assert main(["check"]) == 1
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and " - fix:" not in failed[0], failed
    assert "ANAPLAN_MCP_TOKEN_STORE" in failed[0] and "anaplan-mcp login" in failed[0]

    assert main(["logout"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Signed out") and "corrupt" in captured.out, captured
    assert not path.exists()
    assert main(["logout"]) == 0
    assert capsys.readouterr().out.startswith("No sign-in was stored")
