"""`GET /2/0/users/me` on the sandbox: the user the token belongs to, with the GUID notification
configs and `/token/validate` use for them (contract sheet §13)."""

from __future__ import annotations

import base64
import json
import os
import re
from datetime import timedelta

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sandbox_http import START, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio

ME = "/2/0/users/me"


async def test_the_seeded_user_is_described_with_their_notification_guid(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    answer = await cw.get(ME)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"meta", "status", "user"}
    assert body["status"] == {"code": 200, "message": "Success."}
    user = body["user"]
    assert set(user) == {
        *("id", "active", "email", "emailOptIn", "firstName", "lastName", "lastLoginDate"),
    }
    assert user["id"] == seed.SANDBOX_USER_GUID
    assert re.fullmatch(r"[0-9a-f]{32}", user["id"])
    assert (user["email"], user["firstName"], user["lastName"]) == (
        "sandbox@example.com",
        "Sandbox",
        "User",
    )
    assert user["active"] is True
    assert user["lastLoginDate"] == START.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    # One GUID per person, wherever the sandbox names them.
    assert user["id"] == cw_sandbox.store.users["sandbox@example.com"]["userGuid"]
    validated = await cw.get("/token/validate")
    assert validated.json()["userInfo"]["userGuid"] == user["id"]


async def test_no_token_no_user(cw_sandbox: Sandbox) -> None:
    transport = httpx2.ASGITransport(app=cw_sandbox.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox") as anonymous:
        answer = await anonymous.get(ME)
    assert status_message(answer) == (401, "Not Authorized")


def _certificate_of(user: str) -> tuple[bytes, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(START - timedelta(days=1))
        .not_valid_after(START + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key


async def test_the_answer_follows_the_token_not_the_seeded_user(cw_sandbox: Sandbox) -> None:
    pem, key = _certificate_of("jane.roe@example.com")
    cw_sandbox.tokens.register_certificate(pem)
    data = os.urandom(150)
    body = {
        "encodedData": base64.b64encode(data).decode(),
        "encodedSignedData": base64.b64encode(
            key.sign(data, padding.PKCS1v15(), hashes.SHA512())
        ).decode(),
    }
    transport = httpx2.ASGITransport(app=cw_sandbox.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        login = await http.post(
            "/token/authenticate",
            headers={"Authorization": "CACertificate " + base64.b64encode(pem).decode()},
            content=json.dumps(body),
        )
        assert login.status_code == 201, login.text
        token = login.json()["tokenInfo"]["tokenValue"]
        answer = await http.get(ME, headers={"Authorization": f"AnaplanAuthToken {token}"})
    user = answer.json()["user"]
    assert (user["email"], user["firstName"], user["lastName"]) == (
        "jane.roe@example.com",
        "Jane",
        "Roe",
    )
    assert user["id"] == cw_sandbox.store.users["jane.roe@example.com"]["userGuid"]
    assert user["id"] != seed.SANDBOX_USER_GUID
