"""The OAuth wire client against MockTransport: bodies, error mapping, device polling, no retry."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from anaplan_mcp.cloudworks.errors import APIConnectionError
from anaplan_mcp.oauth.client import (
    DEVICE_GRANT,
    AnaplanOAuthClient,
    DeviceAuthorization,
    OAuthError,
    OAuthTokens,
    pkce_pair,
)

pytestmark = pytest.mark.anyio
URL = "https://us1a.app.anaplan.com"
TOKENS = {"access_token": "AT1", "refresh_token": "RT1", "expires_in": 2100, "scope": "openid"}


def client(handler: Any, *, secret: str | None = None, now: float = 1000.0) -> AnaplanOAuthClient:
    return AnaplanOAuthClient(
        URL, "cid", secret, transport=httpx2.MockTransport(handler), clock=lambda: now
    )


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    digest = hashlib.sha256(verifier.encode()).digest()
    assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert pkce_pair()[0] != verifier


def test_authorize_url_carries_the_pkce_challenge_and_state() -> None:
    oauth = client(lambda request: httpx2.Response(500))
    url = oauth.authorize_url(
        redirect_uri="http://127.0.0.1:8976/callback", state="s1", code_challenge="c"
    )
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert (parts.netloc, parts.path) == ("us1a.app.anaplan.com", "/auth/authorize")
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == "s1"
    assert query["client_id"] == "cid"
    assert "offline_access" in query["scope"]


async def test_code_exchange_sends_json_with_the_secret_and_verifier() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/oauth/token"
        assert request.headers["content-type"] == "application/json"
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=TOKENS)

    tokens = await client(handler, secret="shh").exchange_code(
        "code1", redirect_uri="http://127.0.0.1:8976/callback", code_verifier="v" * 43
    )
    assert seen == [
        {
            "grant_type": "authorization_code",
            "code": "code1",
            "redirect_uri": "http://127.0.0.1:8976/callback",
            "code_verifier": "v" * 43,
            "client_id": "cid",
            "client_secret": "shh",
        }
    ]
    assert tokens == OAuthTokens("AT1", "RT1", 1000.0 + 2100, "openid")
    assert "AT1" not in repr(tokens) and "RT1" not in repr(tokens)


async def test_refresh_of_a_public_client_sends_no_secret() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(json.loads(request.content))
        return httpx2.Response(200, json=TOKENS)

    await client(handler).refresh("RT0")
    assert seen == [{"grant_type": "refresh_token", "refresh_token": "RT0", "client_id": "cid"}]


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("invalid_grant", "anaplan-mcp login"),
        ("invalid_client", "ANAPLAN_OAUTH_CLIENT_ID"),
        ("unsupported_grant_type", "ANAPLAN_OAUTH_URL"),
        ("access_denied", "allow access"),
    ],
)
async def test_rfc_errors_become_oauth_errors_with_advice(error: str, advice: str) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(400, json={"error": error, "error_description": "said so"})

    with pytest.raises(OAuthError) as caught:
        await client(handler).refresh("RT-secret-value")
    assert caught.value.error == error
    assert caught.value.description == "said so"
    assert advice in str(caught.value)
    assert "RT-secret-value" not in str(caught.value)


async def test_an_answer_that_is_not_oauth_names_the_url_setting() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(404, text="<html>nginx</html>")

    with pytest.raises(OAuthError, match="ANAPLAN_OAUTH_URL"):
        await client(handler).refresh("RT0")


async def test_a_token_answer_without_a_refresh_token_is_refused() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"access_token": "AT", "expires_in": 2100})

    with pytest.raises(OAuthError, match="offline_access"):
        await client(handler).refresh("RT0")


async def test_a_lost_refresh_answer_is_not_sent_again() -> None:
    calls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.url.path)
        raise httpx2.ReadError("connection reset")

    with pytest.raises(APIConnectionError) as caught:
        await client(handler).refresh("RT0")
    assert calls == ["/oauth/token"]  # once: the service may already have rotated RT0
    assert caught.value.may_have_reached_server
    message = str(caught.value)
    assert "used up the sign-in's refresh token" in message and "login` again" in message
    assert "RT0" not in message and "\n" not in message


def device(now: float = 1000.0, *, interval: float = 5, lasts: float = 900) -> DeviceAuthorization:
    return DeviceAuthorization(
        "DC", "ABCD-EFGH", "https://x/activate", "https://x/activate?c", now + lasts, interval
    )


async def test_start_device_reads_the_answer() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/oauth/device/code"
        assert json.loads(request.content)["client_id"] == "cid"
        return httpx2.Response(
            200,
            json={
                "device_code": "DC",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://iam.anaplan.com/activate",
                "verification_uri_complete": "https://iam.anaplan.com/activate?user_code=ABCD-EFGH",
                "expires_in": 900,
                "interval": 5,
            },
        )

    started = await client(handler).start_device()
    assert (started.user_code, started.interval, started.expires_at) == ("ABCD-EFGH", 5.0, 1900.0)
    assert "DC" not in repr(started)


async def test_polling_waits_the_interval_and_slows_down_by_five_seconds() -> None:
    answers = ["authorization_pending", "slow_down", "authorization_pending", None]
    bodies: list[dict[str, Any]] = []
    waits: list[float] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        error = answers.pop(0)
        if error:
            return httpx2.Response(400, json={"error": error})
        return httpx2.Response(200, json=TOKENS)

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    tokens = await client(handler).poll_device(device(), sleep=sleep)
    assert tokens.access_token == "AT1"
    assert waits == [5, 5, 10, 10]
    assert bodies[0] == {"grant_type": DEVICE_GRANT, "device_code": "DC", "client_id": "cid"}


@pytest.mark.parametrize(
    ("error", "advice"), [("expired_token", "--device"), ("access_denied", "allow")]
)
async def test_polling_ends_on_expiry_and_denial(error: str, advice: str) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(400, json={"error": error})

    async def sleep(seconds: float) -> None:
        pass

    with pytest.raises(OAuthError, match=advice) as caught:
        await client(handler).poll_device(device(), sleep=sleep)
    assert caught.value.error == error


async def test_polling_stops_at_the_device_codes_expiry_without_asking() -> None:
    now = [1000.0]
    polls: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        polls.append(1)
        return httpx2.Response(400, json={"error": "authorization_pending"})

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    oauth = AnaplanOAuthClient(
        URL, "cid", transport=httpx2.MockTransport(handler), clock=lambda: now[0]
    )
    with pytest.raises(OAuthError) as caught:
        await oauth.poll_device(device(lasts=12), sleep=sleep)
    assert caught.value.error == "expired_token"
    assert len(polls) == 2  # at 1005 and 1010; at 1015 the code has expired


def test_tokens_round_trip_and_refuse_a_bad_shape() -> None:
    tokens = OAuthTokens("a", "r", 12.5, "s")
    assert OAuthTokens.from_dict(tokens.to_dict()) == tokens
    for bad in (
        {},
        {"access_token": "a", "refresh_token": "r"},
        {"access_token": "a", "refresh_token": "", "expires_at": 1},
    ):
        with pytest.raises(ValueError, match="sign-in record"):
            OAuthTokens.from_dict(bad)
