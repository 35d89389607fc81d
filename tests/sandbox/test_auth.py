"""The sandbox's auth service over HTTP: basic and certificate logins, refresh, validate, logout."""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sandbox_http import START

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER, TokenService
from anaplan_mcp.sandbox.certificates import seeded_certificate, write_seeded_certificate

LIFETIME_MS = 35 * 60 * 1000


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def login(client: httpx2.AsyncClient) -> dict[str, Any]:
    response = await client.post("/token/authenticate", headers=basic(SEEDED_USER, SEEDED_PASSWORD))
    assert response.status_code == 201, response.text
    token_info: dict[str, Any] = response.json()["tokenInfo"]
    return token_info


def token_header(value: str, scheme: str = "AnaplanAuthToken") -> dict[str, str]:
    return {"Authorization": f"{scheme} {value}"}


def certificate_login(
    data: bytes, *, cert_pem: bytes | None = None, key_pem: bytes | None = None, v2: bool = False
) -> tuple[dict[str, str], str]:
    seeded_cert, seeded_key = seeded_certificate()
    key = serialization.load_pem_private_key(key_pem or seeded_key, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA512())
    body: dict[str, str] = {
        "encodedData": base64.b64encode(data).decode(),
        "encodedSignedData": base64.b64encode(signature).decode(),
    }
    if v2:
        body["encodedDataFormat"] = "v2"
    header = {
        "Authorization": "CACertificate " + base64.b64encode(cert_pem or seeded_cert).decode(),
        "Content-Type": "application/json",
    }
    return header, json.dumps(body)


def v2_data(at: datetime, *, milliseconds: bool = False) -> bytes:
    stamp = int(at.timestamp() * 1000) if milliseconds else int(at.timestamp())
    return stamp.to_bytes(8, "big") + os.urandom(100)


def error_status(response: httpx2.Response) -> str:
    body: dict[str, Any] = response.json()
    assert set(body) == {"status", "statusMessage"}
    assert body["statusMessage"]
    return str(body["status"])


@pytest.mark.anyio
async def test_basic_login_issues_a_35_minute_token(client: httpx2.AsyncClient) -> None:
    response = await client.post("/token/authenticate", headers=basic(SEEDED_USER, "sandbox"))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "SUCCESS"
    assert body["statusMessage"] == "Login successful"
    assert body["meta"]["validationUrl"] == "http://sandbox.test/token/validate"
    info = body["tokenInfo"]
    uuid_pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.fullmatch(uuid_pattern, info["tokenId"])
    assert re.fullmatch(uuid_pattern, info["refreshTokenId"])
    assert info["expiresAt"] == int(START.timestamp() * 1000) + LIFETIME_MS
    second = await login(client)
    assert second["tokenValue"] != info["tokenValue"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("user", "password"), [(SEEDED_USER, "wrong"), ("someone@example.com", SEEDED_PASSWORD)]
)
async def test_wrong_credentials_are_401(
    client: httpx2.AsyncClient, user: str, password: str
) -> None:
    response = await client.post("/token/authenticate", headers=basic(user, password))

    assert response.status_code == 401
    assert error_status(response) == "FAILURE_BAD_CREDENTIAL"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "header",
    [None, "Basic", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode()],
)
async def test_malformed_authenticate_header_is_401(
    client: httpx2.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = await client.post("/token/authenticate", headers=headers)

    assert response.status_code == 401
    assert error_status(response) == "FAILURE_BAD_HEADER"


@pytest.mark.anyio
async def test_certificate_v1_login_signs_in_the_certificate_user(
    client: httpx2.AsyncClient,
) -> None:
    headers, body = certificate_login(os.urandom(150))
    response = await client.post("/token/authenticate", headers=headers, content=body)

    assert response.status_code == 201, response.text
    token = response.json()["tokenInfo"]["tokenValue"]
    validated = await client.get("/token/validate", headers=token_header(token))
    assert validated.json()["userInfo"]["userId"] == SEEDED_USER


@pytest.mark.anyio
@pytest.mark.parametrize("milliseconds", [False, True])
async def test_certificate_v2_login_accepts_seconds_and_milliseconds(
    client: httpx2.AsyncClient, milliseconds: bool
) -> None:
    data = v2_data(START - timedelta(seconds=30), milliseconds=milliseconds)
    headers, body = certificate_login(data, v2=True)

    response = await client.post("/token/authenticate", headers=headers, content=body)

    assert response.status_code == 201, response.text


@pytest.mark.anyio
async def test_replayed_v2_payload_is_401(client: httpx2.AsyncClient) -> None:
    headers, body = certificate_login(v2_data(START), v2=True)
    first = await client.post("/token/authenticate", headers=headers, content=body)
    replay = await client.post("/token/authenticate", headers=headers, content=body)

    assert first.status_code == 201
    assert replay.status_code == 401
    assert error_status(replay) == "FAILURE_BAD_CREDENTIAL"


@pytest.mark.anyio
@pytest.mark.parametrize("offset_minutes", [-10, 10])
async def test_v2_timestamp_outside_the_window_is_401(
    client: httpx2.AsyncClient, offset_minutes: int
) -> None:
    data = v2_data(START + timedelta(minutes=offset_minutes))
    headers, body = certificate_login(data, v2=True)

    response = await client.post("/token/authenticate", headers=headers, content=body)

    assert response.status_code == 401


@pytest.mark.anyio
async def test_unregistered_certificate_is_401(client: httpx2.AsyncClient) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SEEDED_USER)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(START - timedelta(days=1))
        .not_valid_after(START + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    headers, body = certificate_login(
        os.urandom(150),
        cert_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )

    response = await client.post("/token/authenticate", headers=headers, content=body)

    assert response.status_code == 401
    assert error_status(response) == "FAILURE_BAD_CREDENTIAL"


@pytest.mark.anyio
async def test_bad_signature_and_short_data_are_401(client: httpx2.AsyncClient) -> None:
    headers, body = certificate_login(os.urandom(150))
    tampered = json.loads(body)
    tampered["encodedData"] = base64.b64encode(os.urandom(150)).decode()
    short_headers, short_body = certificate_login(os.urandom(50))

    bad_signature = await client.post("/token/authenticate", headers=headers, json=tampered)
    short = await client.post("/token/authenticate", headers=short_headers, content=short_body)

    assert bad_signature.status_code == 401
    assert short.status_code == 401


@pytest.mark.anyio
async def test_refresh_keeps_the_value_and_extends_the_expiry(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    info = await login(client)
    sandbox.clock.advance(30 * 60)

    refreshed = await client.post("/token/refresh", headers=token_header(info["tokenValue"]))
    sandbox.clock.advance(30 * 60)  # 60 minutes after login: alive only because of the refresh
    validated = await client.get("/token/validate", headers=token_header(info["tokenValue"]))

    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body["statusMessage"] == "Token refreshed"
    assert body["tokenInfo"]["tokenValue"] == info["tokenValue"]
    assert body["tokenInfo"]["expiresAt"] == info["expiresAt"] + 30 * 60 * 1000
    assert validated.status_code == 200


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "path", "malformed_status"),
    [
        ("POST", "/token/refresh", 400),
        ("GET", "/token/validate", 400),
        ("POST", "/token/logout", 401),
    ],
)
async def test_token_routes_reject_bearer_and_malformed_headers(
    client: httpx2.AsyncClient, method: str, path: str, malformed_status: int
) -> None:
    info = await login(client)

    bearer = await client.request(method, path, headers=token_header(info["tokenValue"], "Bearer"))
    missing = await client.request(method, path)

    assert bearer.status_code == malformed_status
    assert error_status(bearer) == "FAILURE_BAD_HEADER"
    assert missing.status_code == malformed_status


@pytest.mark.anyio
async def test_validate_reports_token_and_user(client: httpx2.AsyncClient) -> None:
    info = await login(client)

    response = await client.get("/token/validate", headers=token_header(info["tokenValue"]))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "SUCCESS"
    assert body["tokenInfo"]["tokenId"] == info["tokenId"]
    assert body["tokenInfo"]["expiresAt"] == info["expiresAt"]
    user = body["userInfo"]
    assert user["userId"] == SEEDED_USER
    assert re.fullmatch(r"[0-9a-f]{32}", user["userGuid"])
    assert re.fullmatch(r"[0-9a-f]{32}", user["customerGuid"])
    unknown = await client.get("/token/validate", headers=token_header("not-a-token"))
    assert unknown.status_code == 401


@pytest.mark.anyio
async def test_logout_kills_the_token_at_once(client: httpx2.AsyncClient) -> None:
    info = await login(client)
    headers = token_header(info["tokenValue"])

    logout = await client.post("/token/logout", headers=headers)

    assert logout.status_code == 204
    assert logout.content == b""
    assert (await client.get("/token/validate", headers=headers)).status_code == 401
    assert (await client.get("/2/0/integrations", headers=headers)).status_code == 401
    assert (await client.post("/token/refresh", headers=headers)).status_code == 401


@pytest.mark.anyio
async def test_token_expires_when_the_clock_passes_35_minutes(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    headers = token_header((await login(client))["tokenValue"])

    sandbox.clock.advance(35 * 60 - 1)
    still_valid = await client.get("/token/validate", headers=headers)
    sandbox.clock.advance(2)
    expired = await client.get("/token/validate", headers=headers)

    assert still_valid.status_code == 200
    assert expired.status_code == 401
    assert (await client.get("/2/0/integrations", headers=headers)).status_code == 401


@pytest.mark.anyio
async def test_lifetime_is_settable(sandbox: Sandbox, client: httpx2.AsyncClient) -> None:
    sandbox.tokens.lifetime_seconds = 60

    info = await login(client)

    assert info["expiresAt"] == int(START.timestamp() * 1000) + 60_000


@pytest.mark.anyio
@pytest.mark.parametrize("scheme", ["AnaplanAuthToken", "Bearer"])
async def test_cloudworks_routes_accept_both_token_schemes(
    client: httpx2.AsyncClient, scheme: str
) -> None:
    info = await login(client)

    accepted = await client.get(
        "/2/0/integrations", headers=token_header(info["tokenValue"], scheme)
    )
    refused = await client.get("/2/0/integrations", headers=token_header("forged", scheme))

    assert accepted.status_code == 200
    assert refused.status_code == 401
    assert refused.json()["status"] == {"code": 401, "message": "Not Authorized"}


@pytest.mark.anyio
async def test_tokens_survive_a_state_round_trip(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    info = await login(client)
    restored = TokenService(sandbox.clock)

    restored.load_state(json.loads(json.dumps(sandbox.tokens.to_state())))
    sandbox.tokens.reset()
    sandbox.tokens.load_state(restored.to_state())

    response = await client.get("/token/validate", headers=token_header(info["tokenValue"]))
    assert response.status_code == 200


def test_seeded_certificate_is_stable_and_written_out(tmp_path: Any) -> None:
    certificate_pem, key_pem = seeded_certificate()

    cert_path, key_path = write_seeded_certificate(tmp_path / "certs")

    assert cert_path.read_bytes() == certificate_pem
    assert key_path.read_bytes() == key_pem
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert certificate.public_key() == key.public_key()
