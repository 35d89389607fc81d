"""A person signing in to `serve --oauth` with the official SDK client's OAuth support.

`person_client` gives an `mcp.Client` whose HTTP client carries `mcp.client.auth`'s
`OAuthClientProvider`: it discovers the metadata, registers, and sends the person to /authorize.
`Browser` plays the person's browser there: it follows the server's redirect to the sandbox's
Anaplan sign-in page, approves as a seeded user through `POST /_sandbox/oauth/approve`, follows
`redirect_to` back to the server's Anaplan callback, and hands the client the code the server
redirects to. Also the processes these tests run: a Redis server and `serve --oauth`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)

from anaplan_mcp.sandbox.oauth import CODE_CLIENT_ID, CODE_CLIENT_SECRET

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
# Never listened on: the browser below stops at this redirect and reads the code from it.
CLIENT_REDIRECT = "http://127.0.0.1:9/callback"
_USER_CODE = re.compile(r"name='user_code' value='([^']+)'")


class MemoryStorage:
    """The client's `TokenStorage`: what it registered and the tokens it holds."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


@dataclass
class Browser:
    """The person's browser: signs `username` in at the sandbox when the client sends it there."""

    sandbox: str
    username: str
    result: AuthorizationCodeResult | None = None
    visited: list[str] = field(default_factory=list)

    async def go(self, authorize_url: str) -> None:
        async with httpx2.AsyncClient(timeout=30.0, follow_redirects=False) as http:
            to_anaplan = await http.get(authorize_url)
            assert to_anaplan.status_code == 302, to_anaplan.text
            self.visited.append(to_anaplan.headers["location"])
            page = await http.get(to_anaplan.headers["location"])
            found = _USER_CODE.search(page.text)
            assert found, page.text
            approved = await http.post(
                f"{self.sandbox}/_sandbox/oauth/approve",
                json={"user_code": found.group(1), "username": self.username},
            )
            approved.raise_for_status()
            callback = await http.get(approved.json()["redirect_to"])
            assert callback.status_code == 302, callback.text
            back = callback.headers["location"]
        assert back.startswith(CLIENT_REDIRECT), back
        query = parse_qs(urlsplit(back).query)
        self.result = AuthorizationCodeResult(
            code=query["code"][0],
            state=query.get("state", [None])[0],
            iss=query.get("iss", [None])[0],  # checked by the client: the server advertises it
        )

    async def code(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


def oauth_provider(
    mcp_url: str, browser: Browser, storage: MemoryStorage | None = None
) -> OAuthClientProvider:
    return OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="anaplan-mcp tests",
            redirect_uris=[CLIENT_REDIRECT],  # type: ignore[list-item]
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage or MemoryStorage(),
        redirect_handler=browser.go,
        callback_handler=browser.code,
    )


@asynccontextmanager
async def person_client(
    mcp_url: str, sandbox: str, username: str, *, storage: MemoryStorage | None = None
) -> AsyncIterator[Client]:
    """An MCP client signed in as `username` (a seeded sandbox user) through the OAuth dance."""
    browser = Browser(sandbox, username)
    http = httpx2.AsyncClient(
        auth=oauth_provider(mcp_url, browser, storage), timeout=httpx2.Timeout(30.0, read=120.0)
    )
    async with http, Client(streamable_http_client(mcp_url, http_client=http)) as client:
        yield client


def oauth_env(sandbox: str, public_url: str, **extra: str) -> dict[str, str]:
    """The environment of `serve --transport http --oauth` against the sandbox at `sandbox`."""
    import os

    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return env | {
        "ANAPLAN_CLOUDWORKS_URL": f"{sandbox}/2/0",
        "ANAPLAN_API_URL": f"{sandbox}/2/0",
        "ANAPLAN_AUTH_URL": sandbox,
        "ANAPLAN_OAUTH_URL": sandbox,
        "ANAPLAN_OAUTH_CLIENT_ID": CODE_CLIENT_ID,
        "ANAPLAN_OAUTH_CLIENT_SECRET": CODE_CLIENT_SECRET,
        "ANAPLAN_MCP_PUBLIC_URL": public_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


async def wait_until_answers(url: str, process: anyio.abc.Process, seconds: float = 60.0) -> None:
    with anyio.fail_after(seconds):
        async with httpx2.AsyncClient(timeout=2.0) as http:
            while True:
                assert process.returncode is None, f"exited with {process.returncode}"
                try:
                    await http.get(url)
                    return
                except httpx2.TransportError:
                    await anyio.sleep(0.05)


@asynccontextmanager
async def serving_oauth(
    sandbox: str, port: int, log: Path, **extra: str
) -> AsyncIterator[anyio.abc.Process]:
    """`anaplan-mcp serve --transport http --oauth` on `port`; stderr in `log`."""
    public = f"http://{LOOPBACK}:{port}"
    command = [sys.executable, "-m", "anaplan_mcp", "serve", "--transport", "http", "--oauth"]
    command += ["--host", LOOPBACK, "--port", str(port)]
    async with AsyncExitStack() as stack:
        out = stack.enter_context(log.open("ab"))
        process = await anyio.open_process(
            command,
            cwd=REPO,
            env=oauth_env(sandbox, extra.pop("public_url", public), **extra),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
        stack.push_async_callback(_stop, process)
        await wait_until_answers(f"{public}/healthz", process)
        yield process


# Redis comes from scripts/install-redis.sh: where it is missing a developer's run skips the tests
# that need it, and CI (CI set) fails them instead.
needs_redis = pytest.mark.skipif(
    shutil.which("redis-server") is None and not os.environ.get("CI"),
    reason="redis-server is not installed (bash scripts/install-redis.sh); CI is not set",
)


class RedisServer:
    """redis-server on loopback `port`, its append-only file in `folder` (fsync'd on every write,
    so a restart keeps everything it acknowledged); `stop()` and `start()` again at will."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.process: anyio.abc.Process | None = None

    async def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", LOOPBACK]
        command += ["--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always"]
        command += ["--save", ""]
        self.process = await anyio.open_process(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        with anyio.fail_after(30):
            while True:
                try:
                    socket_to(self.port).close()
                    return
                except OSError:
                    assert self.process.returncode is None, "redis-server exited"
                    await anyio.sleep(0.05)

    async def stop(self) -> None:
        if self.process is not None:
            await _stop(self.process)
            self.process = None


@asynccontextmanager
async def redis_server(folder: Path, port: int) -> AsyncIterator[RedisServer]:
    """A started `RedisServer`, stopped at the end of the block whatever state it is in."""
    server = RedisServer(folder, port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def socket_to(port: int) -> socket.socket:
    return socket.create_connection((LOOPBACK, port), timeout=1)


async def _stop(process: anyio.abc.Process) -> None:
    with anyio.CancelScope(shield=True):
        if process.returncode is None:
            process.terminate()
            with anyio.move_on_after(10):
                await process.wait()
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()
