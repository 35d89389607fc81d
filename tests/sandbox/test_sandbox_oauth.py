"""The sandbox's OAuth 2.0 service over HTTP: both grants, rotation, RFC 6749/8628 errors, admin."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from sandbox_http import CW

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD
from anaplan_mcp.sandbox.oauth import CODE_CLIENT_ID, CODE_CLIENT_SECRET, DEVICE_CLIENT_ID
from anaplan_mcp.sandbox.seed_data import user_guid
from anaplan_mcp.sandbox.transport import sandbox_transport

REDIRECT = "http://127.0.0.1:8976/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

pytestmark = pytest.mark.anyio


def pkce(method: str = "S256") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def authorize(client: httpx2.AsyncClient, **params: str) -> httpx2.Response:
    query = {
        "response_type": "code",
        "client_id": CODE_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "scope": "openid profile email offline_access",
        **params,
    }
    return await client.get("/auth/authorize", params=query)


def form_user_code(page: httpx2.Response) -> str:
    found = re.search(r"name='user_code' value='([A-Z-]+)'", page.text)
    assert found, page.text
    return found.group(1)


async def approve(client: httpx2.AsyncClient, user_code: str, **extra: Any) -> dict[str, Any]:
    body = {"user_code": user_code, "username": "jane.roe@example.com", **extra}
    answer = await client.post("/_sandbox/oauth/approve", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def token(
    client: httpx2.AsyncClient, *, form: bool = False, **params: str
) -> httpx2.Response:
    if form:
        return await client.post("/oauth/token", data=params)
    return await client.post("/oauth/token", json=params)


async def code_sign_in(client: httpx2.AsyncClient, *, form: bool = False) -> dict[str, Any]:
    """The authorization code grant with S256 PKCE, the browser step done by the admin route."""
    verifier, challenge = pkce()
    page = await authorize(client, code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200
    redirect_to = (await approve(client, form_user_code(page)))["redirect_to"]
    assert redirect_to.startswith(REDIRECT + "?")
    sent = query_of(redirect_to)
    assert sent["state"] == "st-123"
    answer = await token(
        client, form=form, grant_type="authorization_code", code=sent["code"],
        client_id=CODE_CLIENT_ID, client_secret=CODE_CLIENT_SECRET, redirect_uri=REDIRECT,
        code_verifier=verifier,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def start_device(client: httpx2.AsyncClient) -> dict[str, Any]:
    answer = await client.post("/oauth/device/code", json={"client_id": DEVICE_CLIENT_ID})
    assert answer.status_code == 200, answer.text
    started: dict[str, Any] = answer.json()
    return started


async def poll(
    client: httpx2.AsyncClient, device_code: str, client_id: str = DEVICE_CLIENT_ID
) -> httpx2.Response:
    return await token(
        client, grant_type=DEVICE_GRANT, device_code=device_code, client_id=client_id
    )


def error_of(answer: httpx2.Response) -> str:
    assert answer.status_code in (400, 401), answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["error_description"]
    return str(body["error"])


async def refresh(client: httpx2.AsyncClient, refresh_token: str, **kw: Any) -> httpx2.Response:
    params = {"client_id": CODE_CLIENT_ID, "client_secret": CODE_CLIENT_SECRET, **kw}
    return await token(client, grant_type="refresh_token", refresh_token=refresh_token, **params)


async def me(client: httpx2.AsyncClient, access: str, scheme: str = "Bearer") -> httpx2.Response:
    return await client.get("/2/0/users/me", headers={"Authorization": f"{scheme} {access}"})


async def test_code_grant_through_the_login_form(client: httpx2.AsyncClient) -> None:
    verifier, challenge = pkce()
    page = await authorize(client, code_challenge=challenge, code_challenge_method="S256")
    assert page.status_code == 200 and "<form" in page.text
    form = {"user_code": form_user_code(page), "username": "Raj.Patel@example.com"}
    wrong = await client.post("/auth/authorize", data={**form, "password": "nope"})
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    answer = await client.post("/auth/authorize", data={**form, "password": SEEDED_PASSWORD})
    assert answer.status_code == 302
    sent = query_of(answer.headers["location"])
    assert sent["state"] == "st-123"
    exchanged = await token(
        client, form=True, grant_type="authorization_code", code=sent["code"],
        client_id=CODE_CLIENT_ID, client_secret=CODE_CLIENT_SECRET, redirect_uri=REDIRECT,
        code_verifier=verifier,
    )  # fmt: skip
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.headers["cache-control"] == "no-store"
    tokens = exchanged.json()
    assert tokens["expires_in"] == 2100 and tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "openid email offline_access"  # "profile" is dropped
    user = (await me(client, tokens["access_token"])).json()["user"]
    assert user["email"] == "raj.patel@example.com" and user["id"] == user_guid(user["email"])


@pytest.mark.parametrize("scheme", ["Bearer", "AnaplanAuthToken"])
async def test_access_tokens_open_cloudworks_and_integration_api(
    client: httpx2.AsyncClient, scheme: str
) -> None:
    access = (await code_sign_in(client))["access_token"]
    header = {"Authorization": f"{scheme} {access}"}
    assert (await client.get(CW, headers=header)).status_code == 200
    assert (await client.get("/2/0/workspaces", headers=header)).status_code == 200
    assert (await me(client, access, scheme)).json()["user"]["email"] == "jane.roe@example.com"
    assert (await client.get(CW, headers={"Authorization": "Bearer nope"})).status_code == 401


@pytest.mark.parametrize("form", [False, True])
async def test_device_grant_end_to_end(
    client: httpx2.AsyncClient, sandbox: Sandbox, form: bool
) -> None:
    if form:
        answer = await client.post("/oauth/device/code", data={"client_id": DEVICE_CLIENT_ID})
        started = answer.json()
    else:
        started = await start_device(client)
    assert started["expires_in"] == 900 and started["interval"] == 5
    assert started["verification_uri_complete"].endswith(started["user_code"])
    assert error_of(await poll(client, started["device_code"])) == "authorization_pending"
    listed = (await client.get("/_sandbox/oauth")).json()["pending"]
    assert [(p["user_code"], p["kind"]) for p in listed] == [(started["user_code"], "device")]
    await approve(client, started["user_code"].lower(), username=user_guid("raj.patel@example.com"))
    assert (await client.get("/_sandbox/oauth")).json()["pending"] == []
    sandbox.clock.advance(5)
    tokens = (await token(
        client, form=form, grant_type=DEVICE_GRANT, device_code=started["device_code"],
        client_id=DEVICE_CLIENT_ID,
    )).json()  # fmt: skip
    assert tokens["expires_in"] == 2100
    assert (await me(client, tokens["access_token"])).json()["user"][
        "email"
    ] == "raj.patel@example.com"
    sandbox.clock.advance(5)
    assert error_of(await poll(client, started["device_code"])) == "invalid_grant"
    renewed = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        client_id=DEVICE_CLIENT_ID,
    )  # fmt: skip
    assert renewed.status_code == 200, renewed.text


async def test_device_verification_page_approves(client: httpx2.AsyncClient) -> None:
    started = await start_device(client)
    page = await client.get(started["verification_uri_complete"])
    assert page.status_code == 200 and started["user_code"] in page.text
    form = {"user_code": started["user_code"], "username": "sandbox@example.com"}
    answer = await client.post("/auth/authorize", data={**form, "password": SEEDED_PASSWORD})
    assert answer.status_code == 200 and "approved" in answer.text
    tokens = (await poll(client, started["device_code"])).json()
    assert (await me(client, tokens["access_token"])).json()["user"][
        "email"
    ] == "sandbox@example.com"


async def test_device_slow_down_expired_and_denied(
    client: httpx2.AsyncClient, sandbox: Sandbox
) -> None:
    started = await start_device(client)
    assert error_of(await poll(client, started["device_code"])) == "authorization_pending"
    assert error_of(await poll(client, started["device_code"])) == "slow_down"
    sandbox.clock.advance(5)  # the interval is now 10 s, and counts from the last poll
    assert error_of(await poll(client, started["device_code"])) == "slow_down"
    sandbox.clock.advance(15)
    assert error_of(await poll(client, started["device_code"])) == "authorization_pending"
    sandbox.clock.advance(900)
    assert error_of(await poll(client, started["device_code"])) == "expired_token"
    assert (await client.get("/_sandbox/oauth")).json()["pending"] == []

    denied = await start_device(client)
    assert (await approve(client, denied["user_code"], deny=True))["approved"] is False
    assert error_of(await poll(client, denied["device_code"])) == "access_denied"


async def test_the_wrong_client_is_refused(client: httpx2.AsyncClient) -> None:
    unknown = await client.post("/oauth/device/code", json={"client_id": "f" * 32})
    assert error_of(unknown) == "invalid_client"
    code_client = await client.post("/oauth/device/code", json={"client_id": CODE_CLIENT_ID})
    assert error_of(code_client) == "unauthorized_client"
    started = await start_device(client)
    other = await poll(client, started["device_code"], client_id=CODE_CLIENT_ID)
    assert error_of(other) in ("invalid_client", "unauthorized_client")
    tokens = await code_sign_in(client)
    no_secret = await token(
        client, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
        client_id=CODE_CLIENT_ID,
    )  # fmt: skip
    assert error_of(no_secret) == "invalid_client"
    basic = base64.b64encode(f"{CODE_CLIENT_ID}:wrong".encode()).decode()
    with_basic = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert with_basic.status_code == 401 and error_of(with_basic) == "invalid_client"
    assert (await refresh(client, tokens["refresh_token"])).status_code == 200
    unsupported = await token(client, grant_type="client_credentials", client_id=DEVICE_CLIENT_ID)
    assert error_of(unsupported) == "unsupported_grant_type"
    assert error_of(await token(client, client_id=DEVICE_CLIENT_ID)) == "invalid_request"


@pytest.mark.parametrize(
    "params",
    [
        {"redirect_uri": "http://127.0.0.1:8976/elsewhere"},
        {"redirect_uri": "http://attacker.example/callback"},
        {"redirect_uri": "http://localhost:9000/callback"},
        {"redirect_uri": "http://127.0.0.1:8976/callback#frag"},
        {"redirect_uri": ""},
        {"client_id": "0" * 32},
        {"client_id": DEVICE_CLIENT_ID},
    ],
)
async def test_unknown_client_or_redirect_uri_is_a_page_not_a_redirect(
    client: httpx2.AsyncClient, params: dict[str, str]
) -> None:
    answer = await authorize(client, **params)
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert "text/html" in answer.headers["content-type"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:51234/callback",
        "http://[::1]:40000/callback",
        "http://localhost:8976/callback",
        "https://mcp.example.com/oauth/anaplan/callback",
    ],
)
async def test_loopback_ports_and_the_http_server_callback_are_accepted(
    client: httpx2.AsyncClient, redirect_uri: str
) -> None:
    verifier, challenge = pkce("plain")
    page = await authorize(
        client, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="plain"
    )
    assert page.status_code == 200
    redirect_to = (await approve(client, form_user_code(page)))["redirect_to"]
    assert redirect_to.startswith(redirect_uri + "?")
    code = query_of(redirect_to)["code"]
    exchange = {
        "grant_type": "authorization_code", "code": code, "client_id": CODE_CLIENT_ID,
        "client_secret": CODE_CLIENT_SECRET, "code_verifier": verifier,
    }  # fmt: skip
    # The token request must repeat the authorize request's redirect_uri exactly.
    assert error_of(await token(client, **exchange, redirect_uri=REDIRECT + "x")) == "invalid_grant"


async def test_redirectable_errors_and_denied_consent_go_back_with_state(
    client: httpx2.AsyncClient,
) -> None:
    wrong_type = await authorize(client, response_type="token")
    assert wrong_type.status_code == 302
    assert query_of(wrong_type.headers["location"])["error"] == "unsupported_response_type"
    bad_method = await authorize(client, code_challenge="x" * 43, code_challenge_method="S512")
    assert query_of(bad_method.headers["location"]) | {"error_description": ""} == {
        "error": "invalid_request", "state": "st-123", "error_description": "",
    }  # fmt: skip
    page = await authorize(client)
    denied = await client.post(
        "/auth/authorize", data={"user_code": form_user_code(page), "action": "deny"}
    )
    assert denied.status_code == 302
    assert query_of(denied.headers["location"]) == {"error": "access_denied", "state": "st-123"}
    again = await client.post(
        "/auth/authorize", data={"user_code": form_user_code(page), "action": "deny"}
    )
    assert again.status_code == 400  # that request is decided: it cannot be decided twice


async def test_wrong_verifier_and_a_replayed_code_are_invalid_grant(
    client: httpx2.AsyncClient,
) -> None:
    verifier, challenge = pkce()
    page = await authorize(client, code_challenge=challenge, code_challenge_method="S256")
    code = query_of((await approve(client, form_user_code(page)))["redirect_to"])["code"]
    exchange = {
        "grant_type": "authorization_code", "code": code, "client_id": CODE_CLIENT_ID,
        "client_secret": CODE_CLIENT_SECRET, "redirect_uri": REDIRECT,
    }  # fmt: skip
    assert error_of(await token(client, **exchange, code_verifier=pkce()[0])) == "invalid_grant"

    verifier, challenge = pkce()
    page = await authorize(client, code_challenge=challenge, code_challenge_method="S256")
    exchange["code"] = query_of((await approve(client, form_user_code(page)))["redirect_to"])[
        "code"
    ]
    tokens = (await token(client, **exchange, code_verifier=verifier)).json()
    assert (await me(client, tokens["access_token"])).status_code == 200
    assert error_of(await token(client, **exchange, code_verifier=verifier)) == "invalid_grant"
    # A replayed code revokes what it was exchanged for (RFC 6749 4.1.2).
    assert (await me(client, tokens["access_token"])).status_code == 401


async def test_rotation_and_reuse_revoke_the_whole_family(client: httpx2.AsyncClient) -> None:
    first = await code_sign_in(client, form=True)
    second = (await refresh(client, first["refresh_token"])).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    third = (await refresh(client, second["refresh_token"], form=True)).json()
    overview = (await client.get("/_sandbox/oauth")).json()
    assert (overview["refreshes"], overview["reuses"], overview["reuse_revokes_family"]) == (
        2, 0, True,
    )  # fmt: skip
    assert error_of(await refresh(client, first["refresh_token"])) == "invalid_grant"
    assert (await client.get("/_sandbox/oauth")).json()["reuses"] == 1
    assert error_of(await refresh(client, third["refresh_token"])) == "invalid_grant"
    assert (await me(client, third["access_token"])).status_code == 401
    other = await code_sign_in(client)  # another sign-in is not of that family
    assert (await refresh(client, other["refresh_token"])).status_code == 200


async def test_with_the_switch_off_only_the_reused_token_is_refused(
    client: httpx2.AsyncClient,
) -> None:
    switched = await client.post("/_sandbox/oauth/settings", json={"reuse_revokes_family": False})
    assert switched.json() == {"reuse_revokes_family": False}
    first = await code_sign_in(client)
    second = (await refresh(client, first["refresh_token"])).json()
    assert error_of(await refresh(client, first["refresh_token"])) == "invalid_grant"
    assert (await me(client, second["access_token"])).status_code == 200
    assert (await refresh(client, second["refresh_token"])).status_code == 200
    overview = (await client.get("/_sandbox/oauth")).json()
    assert (overview["refreshes"], overview["reuses"]) == (2, 1)
    bad = await client.post("/_sandbox/oauth/settings", json={"reuse_revokes_family": "no"})
    assert bad.status_code == 400


async def test_access_tokens_expire_by_clock_and_by_the_expire_route(
    client: httpx2.AsyncClient, sandbox: Sandbox
) -> None:
    tokens = await code_sign_in(client)
    sandbox.clock.advance(35 * 60 - 1)
    assert (await me(client, tokens["access_token"])).status_code == 200
    sandbox.clock.advance(1)
    assert (await me(client, tokens["access_token"])).status_code == 401
    renewed = (await refresh(client, tokens["refresh_token"])).json()
    assert (await me(client, renewed["access_token"])).status_code == 200
    assert (await client.post("/_sandbox/tokens/expire")).status_code == 200
    assert (await me(client, renewed["access_token"], "AnaplanAuthToken")).status_code == 401
    assert (await refresh(client, renewed["refresh_token"])).status_code == 200


async def test_admin_lists_clients_and_refuses_bad_approvals(client: httpx2.AsyncClient) -> None:
    overview = (await client.get("/_sandbox/oauth")).json()
    clients = {c["client_id"]: c for c in overview["clients"]}
    assert clients[CODE_CLIENT_ID]["client_secret"] == CODE_CLIENT_SECRET
    assert REDIRECT in clients[CODE_CLIENT_ID]["redirect_uris"]
    assert clients[DEVICE_CLIENT_ID]["client_secret"] is None
    started = await start_device(client)
    nobody = {"user_code": started["user_code"], "username": "nobody@example.com"}
    assert (await client.post("/_sandbox/oauth/approve", json=nobody)).status_code == 400
    unknown = {"user_code": "BCDF-GHJK", "username": "jane.roe@example.com"}
    assert (await client.post("/_sandbox/oauth/approve", json=unknown)).status_code == 404


async def test_reset_forgets_sign_ins(client: httpx2.AsyncClient) -> None:
    tokens = await code_sign_in(client)
    await client.post("/_sandbox/oauth/settings", json={"reuse_revokes_family": False})
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert (await me(client, tokens["access_token"])).status_code == 401
    assert error_of(await refresh(client, tokens["refresh_token"])) == "invalid_grant"
    overview = (await client.get("/_sandbox/oauth")).json()
    assert (overview["refreshes"], overview["reuse_revokes_family"]) == (0, True)


async def test_a_restarted_sandbox_honours_a_stored_refresh_token(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    first = make_sandbox(state_file=state)
    async with httpx2.AsyncClient(transport=sandbox_transport(first), base_url="http://s") as http:
        tokens = await code_sign_in(http)
        rotated = (await refresh(http, tokens["refresh_token"])).json()
    text = state.read_text()
    for name in ("access_token", "refresh_token"):
        assert tokens[name] not in text and rotated[name] not in text  # only digests are stored
    second = make_sandbox(state_file=state)
    async with httpx2.AsyncClient(transport=sandbox_transport(second), base_url="http://s") as http:
        assert (await me(http, rotated["access_token"])).json()["user"][
            "email"
        ] == "jane.roe@example.com"
        assert error_of(await refresh(http, tokens["refresh_token"])) == "invalid_grant"
        assert error_of(await refresh(http, rotated["refresh_token"])) == "invalid_grant"
    third = make_sandbox(state_file=state)  # the reuse above revoked the family, on disk too
    async with httpx2.AsyncClient(transport=sandbox_transport(third), base_url="http://s") as http:
        assert (await me(http, rotated["access_token"])).status_code == 401
        fresh = await code_sign_in(http)
    fourth = make_sandbox(state_file=state)
    async with httpx2.AsyncClient(transport=sandbox_transport(fourth), base_url="http://s") as http:
        assert (await refresh(http, fresh["refresh_token"])).status_code == 200


async def test_the_request_log_holds_no_token_or_secret(client: httpx2.AsyncClient) -> None:
    tokens = await code_sign_in(client)
    await refresh(client, tokens["refresh_token"])
    await client.get(
        f"/auth/authorize?code=abcdefghijklmnopqrstuvwxyz&state=s3cr3tstate&client_id={CODE_CLIENT_ID}"
    )
    log = json.dumps((await client.get("/_sandbox/requests")).json())
    for secret in (tokens["access_token"], tokens["refresh_token"], CODE_CLIENT_SECRET):
        assert secret not in log
    assert "abcdefghijklmnopqrstuvwxyz" not in log and "s3cr3tstate" not in log
    assert "/oauth/token" in log and CODE_CLIENT_ID in log
