"""`serve --oauth`'s own tokens, in process against a real Redis: expiry, refresh, revocation,
PKCE required, what Redis holds, shutdown, and Redis killed in the middle of a request.

The app is the one `serve --transport http --oauth` runs (create_server + http_app), driven by
Starlette's TestClient. No Anaplan is needed: a person's sign-in is put in the store as the
callback would put it, and the calls made (`ping`, /token, /revoke) never reach Anaplan.
Redis is killed from inside a store operation (a wrapped `RedisStore` method), so the kill
lands exactly between two steps of one request; it restarts from its append-only file.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import redis as sync_redis
from starlette.testclient import TestClient

from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.authorization import TeamAuthorization, records, team_authorization
from anaplan_mcp.server.authorization.provider import AnaplanDelegatingProvider
from anaplan_mcp.server.authorization.redis_store import RedisStore
from anaplan_mcp.server.http import http_app
from anaplan_mcp.settings import load_settings
from tests.signing_in import needs_redis

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _common import free_port

pytestmark = needs_redis

PUBLIC = "http://127.0.0.1"
OAUTH_URL = "http://127.0.0.1:9"  # Anaplan: never called by these tests
PERSON, EMAIL = "8a81b01c-person", "jane.roe@example.com"
ANAPLAN_ACCESS, ANAPLAN_REFRESH = "anaplan-access-" + "a" * 24, "anaplan-refresh-" + "r" * 24
PING = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
REDIRECT = "http://127.0.0.1:7/callback"


class Redis:
    """redis-server on a loopback port, every write fsync'd to its append-only file."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def team(redis: Redis, monkeypatch: pytest.MonkeyPatch) -> TeamAuthorization:
    for name in [name for name in __import__("os").environ if name.startswith("ANAPLAN_")]:
        monkeypatch.delenv(name)
    env = {
        "ANAPLAN_MCP_PUBLIC_URL": PUBLIC,
        "ANAPLAN_OAUTH_CLIENT_ID": "server-client",
        "ANAPLAN_OAUTH_URL": OAUTH_URL,
        "ANAPLAN_MCP_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "ANAPLAN_MCP_STATE_KEY": secrets.token_urlsafe(32),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return team_authorization(load_settings(oauth=True))


@pytest.fixture
def web(team: TeamAuthorization) -> Iterator[TestClient]:
    settings = load_settings(oauth=True)
    app = http_app(
        create_server(settings, authorization=team), host="127.0.0.1", authorization=team
    )
    with TestClient(app, base_url=PUBLIC) as client:
        yield client


def _provider(team: TeamAuthorization) -> AnaplanDelegatingProvider:
    return team.verifier._provider


def _signed_in(web: TestClient, team: TeamAuthorization) -> dict[str, Any]:
    """A registered public client holding tokens for PERSON, whose Anaplan sign-in is kept."""
    registered = web.post(
        "/register",
        json={
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        },
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    provider = _provider(team)

    async def seed() -> Any:
        fresh = OAuthTokens(ANAPLAN_ACCESS, ANAPLAN_REFRESH, time.time() + 3600)
        await provider.signins.of(PERSON).save(fresh)
        token, _ = await provider._issue(client_id, [], PERSON, EMAIL)
        return token

    assert web.portal is not None
    token = web.portal.call(seed)
    return {"client_id": client_id, **token.model_dump()}


def _ping(web: TestClient, access_token: str) -> Any:
    return web.post(
        "/mcp", json=PING, headers=MCP_HEADERS | {"Authorization": f"Bearer {access_token}"}
    )


def _refresh(web: TestClient, tokens: dict[str, Any]) -> Any:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": tokens["client_id"],
    }
    return web.post("/token", data=form)


def _refused(answer: Any) -> bool:
    challenge = answer.headers.get("www-authenticate", "")
    metadata = f'resource_metadata="{PUBLIC}/.well-known/oauth-protected-resource/mcp"'
    return bool(answer.status_code == 401 and metadata in challenge)


def test_an_expired_token_is_refused_with_the_resource_metadata(
    web: TestClient, team: TeamAuthorization
) -> None:
    tokens = _signed_in(web, team)
    assert _ping(web, tokens["access_token"]).status_code == 200
    provider = _provider(team)
    provider.clock = lambda: time.time() + records.ACCESS_SECONDS + 1
    assert _refused(_ping(web, tokens["access_token"]))
    assert _refused(_ping(web, "not-a-token-this-server-issued"))


def test_a_refresh_gives_a_working_token_and_spends_the_old_pair(
    web: TestClient, team: TeamAuthorization
) -> None:
    tokens = _signed_in(web, team)
    renewed = _refresh(web, tokens)
    assert renewed.status_code == 200, renewed.text
    assert _ping(web, renewed.json()["access_token"]).status_code == 200
    assert _refused(_ping(web, tokens["access_token"]))  # the old access token went with it
    again = _refresh(web, tokens)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoking_either_token_ends_the_session(
    web: TestClient, team: TeamAuthorization, which: str
) -> None:
    tokens = _signed_in(web, team)
    revoked = web.post("/revoke", data={"token": tokens[which], "client_id": tokens["client_id"]})
    assert revoked.status_code == 200, revoked.text
    assert _refused(_ping(web, tokens["access_token"]))
    refreshed = _refresh(web, tokens)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "pkce",
    [{}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}],
    ids=["no challenge", "plain"],
)
def test_authorize_requires_a_pkce_s256_challenge(
    web: TestClient, team: TeamAuthorization, pkce: dict[str, str]
) -> None:
    client_id = _signed_in(web, team)["client_id"]
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "s",
    }
    answer = web.get(f"/authorize?{urlencode(query | pkce)}", follow_redirects=False)
    assert answer.status_code in (302, 400), answer.text
    location = answer.headers.get("location", "")
    assert not location.startswith(OAUTH_URL)  # nobody was sent to sign in
    if answer.status_code == 302:
        assert parse_qs(urlsplit(location).query)["error"] == ["invalid_request"]


def test_redis_holds_no_token_in_clear(
    web: TestClient, team: TeamAuthorization, redis: Redis
) -> None:
    tokens = _signed_in(web, team)
    assert _refresh(web, tokens).status_code == 200
    dump = sync_redis.Redis(port=redis.port, decode_responses=True)
    text = " ".join(f"{key} {dump.get(key)}" for key in dump.keys("anaplan-mcp:*"))
    dump.close()
    assert "anaplan-mcp:signin:" in text
    for secret in (
        ANAPLAN_ACCESS,
        ANAPLAN_REFRESH,
        tokens["access_token"],
        tokens["refresh_token"],
    ):
        assert secret not in text


def _kill_on(
    monkeypatch: pytest.MonkeyPatch, redis: Redis, method: str, key_prefix: str
) -> list[str]:
    """Kill Redis the first time `RedisStore.<method>` is called for a key with `key_prefix`,
    just before the command goes out: the request has done its earlier steps."""
    original = getattr(RedisStore, method)
    killed: list[str] = []

    async def killing(self: RedisStore, key: str, *args: Any, **kwargs: Any) -> Any:
        if key.startswith(key_prefix) and not killed:
            killed.append(key)
            redis.kill()
        return await original(self, key, *args, **kwargs)

    monkeypatch.setattr(RedisStore, method, killing)
    return killed


def test_redis_killed_between_the_token_check_and_the_sign_in_read_is_a_503_then_recovers(
    web: TestClient, team: TeamAuthorization, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = _signed_in(web, team)
    killed = _kill_on(monkeypatch, redis, "get", "signin:")
    down = _ping(web, tokens["access_token"])
    assert killed == [f"signin:{PERSON}"]  # the access token had been read and accepted
    assert down.status_code == 503, down.text
    assert down.json()["error"] == "temporarily_unavailable" and down.headers["retry-after"]
    redis.start()
    assert _ping(web, tokens["access_token"]).status_code == 200


def test_redis_killed_in_the_middle_of_a_refresh_loses_no_token(
    web: TestClient, team: TeamAuthorization, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = _signed_in(web, team)
    killed = _kill_on(monkeypatch, redis, "put", "")
    down = _refresh(web, tokens)
    assert killed and down.status_code == 503, down.text
    redis.start()
    # The refresh token the client holds was not spent by the failed request: its repeat works.
    renewed = _refresh(web, tokens)
    assert renewed.status_code == 200, renewed.text
    assert _ping(web, renewed.json()["access_token"]).status_code == 200


def test_shutdown_closes_redis_and_the_anaplan_clients(team: TeamAuthorization) -> None:
    closed: list[str] = []

    def recorded(close: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def closing() -> None:
            closed.append(type(getattr(close, "__self__", None)).__name__)
            await close()

        return closing

    team.closers = [recorded(close) for close in team.closers]
    settings = load_settings(oauth=True)
    app = http_app(
        create_server(settings, authorization=team), host="127.0.0.1", authorization=team
    )
    with TestClient(app, base_url=PUBLIC) as client:
        assert client.get("/healthz").status_code == 200
        assert closed == []
    assert sorted(closed) == ["AnaplanOAuthClient", "CloudWorksClient", "RedisStore"]
    assert _provider(team).oauth._http.is_closed
