"""Bad input and faults of `serve --oauth` with Redis: registration, PKCE, replay, audience, Redis
stopped and restarted, a sign-in Anaplan no longer honours.

Two servers share one Redis and one ANAPLAN_MCP_STATE_KEY but have different public URLs, so a
token one issued is known to the other and must still be refused there (its audience is the
first). The OAuth steps are driven by hand here, to send what a correct client never would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest

from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.sandbox.oauth import CODE_CLIENT_ID, CODE_CLIENT_SECRET
from anaplan_mcp.sandbox.seed_data import user_guid
from anaplan_mcp.server.authorization.stores import Sealer
from tests.signing_in import (
    CLIENT_REDIRECT,
    RedisServer,
    needs_redis,
    redis_server,
    serving_oauth,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _common import free_port, sandbox_on_port

pytestmark = [
    pytest.mark.anyio,
    needs_redis,
]

JANE = "jane.roe@example.com"
STATE_KEY = secrets.token_urlsafe(32)
_USER_CODE = re.compile(r"name='user_code' value='([^']+)'")
PING = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "who_am_i"}}
MCP_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


@dataclass
class Deployment:
    sandbox: str
    a: str  # public URL of server A
    b: str  # public URL of server B (same Redis, another audience)
    redis: RedisServer
    logs: Path


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def deployment(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    folder = tmp_path_factory.mktemp("faults")
    redis_port, a_port, b_port = free_port(), free_port(), free_port()
    env = {
        "ANAPLAN_MCP_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ANAPLAN_MCP_STATE_KEY": STATE_KEY,
    }
    async with (
        sandbox_on_port() as sandbox,
        redis_server(folder, redis_port) as redis,
        serving_oauth(sandbox, a_port, folder / "a.log", **env),
        serving_oauth(sandbox, b_port, folder / "b.log", **env),
    ):
        yield Deployment(
            sandbox,
            f"http://127.0.0.1:{a_port}",
            f"http://127.0.0.1:{b_port}",
            redis,
            folder,
        )


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def _register(http: httpx2.AsyncClient, base: str, redirect: str) -> httpx2.Response:
    body = {
        "client_name": "faults",
        "redirect_uris": [redirect],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    return await http.post(f"{base}/register", json=body)


async def _code(
    http: httpx2.AsyncClient, d: Deployment, base: str, client_id: str, challenge: str, **extra: str
) -> str:
    """Our code for JANE: the authorize redirect, the sandbox's approval, the callback."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CLIENT_REDIRECT,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": f"{base}/mcp",
        **extra,
    }
    to_anaplan = await http.get(f"{base}/authorize?{urlencode(query)}")
    assert to_anaplan.status_code == 302, to_anaplan.text
    page = await http.get(to_anaplan.headers["location"])
    found = _USER_CODE.search(page.text)
    assert found, page.text
    approved = await http.post(
        f"{d.sandbox}/_sandbox/oauth/approve", json={"user_code": found.group(1), "username": JANE}
    )
    back = await http.get(approved.json()["redirect_to"])
    assert back.status_code == 302, back.text
    answer = parse_qs(urlsplit(back.headers["location"]).query)
    assert answer["state"] == ["s1"]
    return answer["code"][0]


async def _tokens(
    http: httpx2.AsyncClient, base: str, client_id: str, code: str, verifier: str
) -> httpx2.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": CLIENT_REDIRECT,
        "code_verifier": verifier,
        "resource": f"{base}/mcp",
    }
    return await http.post(f"{base}/token", data=form)


async def _signed_in(http: httpx2.AsyncClient, d: Deployment, base: str) -> dict[str, Any]:
    client_id = (await _register(http, base, CLIENT_REDIRECT)).json()["client_id"]
    verifier, challenge = _pkce()
    code = await _code(http, d, base, client_id, challenge)
    issued = await _tokens(http, base, client_id, code, verifier)
    assert issued.status_code == 200, issued.text
    return dict(issued.json()) | {"client_id": client_id}


async def _call(http: httpx2.AsyncClient, base: str, token: str) -> httpx2.Response:
    headers = MCP_HEADERS | {"Authorization": f"Bearer {token}"}
    return await http.post(f"{base}/mcp", json=PING, headers=headers)


def _who(answer: httpx2.Response) -> dict[str, Any]:
    return dict(_result(answer)["structuredContent"])


async def test_registration_refuses_a_redirect_uri_neither_loopback_nor_https(
    deployment: Deployment,
) -> None:
    async with httpx2.AsyncClient() as http:
        refused = await _register(http, deployment.a, "http://evil.example.com/callback")
        loopback = await _register(http, deployment.a, "http://127.0.0.1:7777/cb")
        https = await _register(http, deployment.a, "https://app.example.com/cb")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_redirect_uri"
    assert "http://evil.example.com/callback" in refused.json()["error_description"]
    assert loopback.status_code == 201 and https.status_code == 201


async def test_pkce_mismatch_and_replayed_code(deployment: Deployment) -> None:
    d = deployment
    async with httpx2.AsyncClient(timeout=30) as http:
        client_id = (await _register(http, d.a, CLIENT_REDIRECT)).json()["client_id"]
        verifier, challenge = _pkce()
        code = await _code(http, d, d.a, client_id, challenge)
        wrong = await _tokens(http, d.a, client_id, code, _pkce()[0])
        right = await _tokens(http, d.a, client_id, code, verifier)
        replay = await _tokens(http, d.a, client_id, code, verifier)
        after_replay = await _call(http, d.a, right.json()["access_token"])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # A wrong verifier does not burn the code: the rightful client still gets its tokens once.
    assert right.status_code == 200, right.text
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The replay revoked what the code gave (RFC 6749 4.1.2).
    assert after_replay.status_code == 401


async def test_token_is_refused_by_a_server_with_another_resource_url(
    deployment: Deployment,
) -> None:
    d = deployment
    async with httpx2.AsyncClient(timeout=30) as http:
        tokens = await _signed_in(http, d, d.a)
        home = await _call(http, d.a, tokens["access_token"])
        foreign = await _call(http, d.b, tokens["access_token"])
        client_id = (await _register(http, d.a, CLIENT_REDIRECT)).json()["client_id"]
        elsewhere = await http.get(
            f"{d.a}/authorize?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": CLIENT_REDIRECT,
                    "state": "s2",
                    "code_challenge": _pkce()[1],
                    "resource": f"{d.b}/mcp",
                }
            )
        )
    assert home.status_code == 200 and _who(home)["email"] == JANE
    assert foreign.status_code == 401
    assert f"{d.b}/.well-known/oauth-protected-resource/mcp" in foreign.headers["www-authenticate"]
    assert elsewhere.status_code == 302
    assert parse_qs(urlsplit(elsewhere.headers["location"]).query)["error"] == ["invalid_target"]


async def test_redis_stopped_gives_503_and_a_restart_recovers_everything_acknowledged(
    deployment: Deployment,
) -> None:
    d = deployment
    async with httpx2.AsyncClient(timeout=30) as http:
        tokens = await _signed_in(http, d, d.a)
        await d.redis.stop()
        down = await _call(http, d.a, tokens["access_token"])
        down_register = await _register(http, d.b, CLIENT_REDIRECT)
        await d.redis.start()
        back = await _call(http, d.a, tokens["access_token"])
        refreshed = await http.post(
            f"{d.a}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": tokens["client_id"],
            },
        )
    assert down.status_code == 503, down.text
    assert down.json()["error"] == "temporarily_unavailable" and down.headers["retry-after"]
    assert down_register.status_code == 503
    # Everything acknowledged before the stop is still there: the token, the person's Anaplan
    # sign-in, the client and its refresh token.
    assert back.status_code == 200, back.text
    assert _who(back)["email"] == JANE
    assert refreshed.status_code == 200, refreshed.text


async def test_a_sign_in_anaplan_no_longer_honours_ends_the_session_with_401(
    deployment: Deployment,
) -> None:
    d = deployment
    import redis.asyncio as aioredis

    async with httpx2.AsyncClient(timeout=30) as http:
        tokens = await _signed_in(http, d, d.a)
        assert (await _call(http, d.a, tokens["access_token"])).status_code == 200
        # Someone uses the person's Anaplan refresh token behind the server's back (the sandbox
        # then revokes the whole family on the server's next refresh) and the stored access
        # token is made due for refresh.
        store = aioredis.Redis(port=d.redis.port, decode_responses=True)
        sealer = Sealer(STATE_KEY)
        key = f"anaplan-mcp:signin:{user_guid(JANE)}"
        held = OAuthTokens.from_dict(
            json.loads(sealer.open(await store.get(key), "anaplan-tokens") or "")
        )
        stolen = await http.post(
            f"{d.sandbox}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": held.refresh_token,
                "client_id": CODE_CLIENT_ID,
                "client_secret": CODE_CLIENT_SECRET,
            },
        )
        assert stolen.status_code == 200, stolen.text
        due = OAuthTokens(held.access_token, held.refresh_token, 0.0, held.scope)
        await store.set(key, sealer.seal(json.dumps(due.to_dict()), "anaplan-tokens"), keepttl=True)
        ended = await _call(http, d.a, tokens["access_token"])
        gone = await store.exists(key)
        await store.aclose()
    assert ended.status_code == 401
    assert "resource_metadata=" in ended.headers["www-authenticate"]
    assert not gone  # the lost sign-in is forgotten: nothing stale to retry with


async def test_an_anaplan_token_refused_early_is_renewed_before_the_next_call(
    deployment: Deployment,
) -> None:
    d = deployment
    async with httpx2.AsyncClient(timeout=30) as http:
        tokens = await _signed_in(http, d, d.a)
        before = (await http.get(f"{d.sandbox}/_sandbox/oauth")).json()["refreshes"]
        (await http.post(f"{d.sandbox}/_sandbox/tokens/expire")).raise_for_status()
        refused = await _call(http, d.a, tokens["access_token"])
        again = await _call(http, d.a, tokens["access_token"])
        after = (await http.get(f"{d.sandbox}/_sandbox/oauth")).json()["refreshes"]
    assert refused.status_code == 200
    text = json.dumps(_result(refused))
    assert "Anaplan refused your sign-in: repeat the call" in text
    assert again.status_code == 200 and _who(again)["email"] == JANE
    assert after == before + 1  # renewed once, with the stored refresh token


def _result(answer: httpx2.Response) -> dict[str, Any]:
    data = next(
        json.loads(line[5:]) for line in answer.text.splitlines() if line.startswith("data:")
    )
    return dict(data["result"])
