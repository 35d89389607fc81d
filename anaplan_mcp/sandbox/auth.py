"""The sandbox's Anaplan authentication service (contract sheet §9).

Routes: `POST /token/authenticate` (Basic, or `CACertificate` with a signed payload),
`POST /token/refresh`, `GET /token/validate` and `POST /token/logout`. Tokens expire on the
sandbox clock (35 minutes by default). `authorize()` is the check the CloudWorks routes use: it
accepts `AnaplanAuthToken` and `Bearer` (contract sheet §1.2), while the token routes themselves
accept only `AnaplanAuthToken` (§9.3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.seed_data import user_guid

SEEDED_USER = "sandbox@example.com"
SEEDED_PASSWORD = "sandbox"
SEEDED_CUSTOMER_GUID = uuid.uuid5(uuid.NAMESPACE_DNS, "customer.sandbox.example.com").hex

# How far a v2 certificate payload's timestamp may be from the sandbox clock (contract sheet §9.4).
CERTIFICATE_TIMESTAMP_WINDOW_SECONDS = 5 * 60
MINIMUM_ENCODED_DATA_BYTES = 100
_MILLISECONDS_THRESHOLD = 100_000_000_000  # above this an epoch value must be in milliseconds


@dataclass
class IssuedToken:
    """One token the service has handed out."""

    token_id: str
    token_value: str
    refresh_token_id: str
    user_id: str
    expires_at: float  # epoch seconds on the sandbox clock

    def token_info(self) -> dict[str, Any]:
        return {
            "tokenId": self.token_id,
            "tokenValue": self.token_value,
            "expiresAt": int(self.expires_at * 1000),
            "refreshTokenId": self.refresh_token_id,
        }


class AuthFailure(Exception):
    """An auth-service error answer: HTTP status plus the auth error body (contract sheet §9.2)."""

    def __init__(self, http_status: int, status: str, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.message = message

    def response(self) -> Response:
        body = {"status": self.status, "statusMessage": self.message}
        return JSONResponse(body, status_code=self.http_status)


def _bad_header(http_status: int, message: str) -> AuthFailure:
    return AuthFailure(http_status, "FAILURE_BAD_HEADER", message)


def _bad_credential(message: str) -> AuthFailure:
    return AuthFailure(401, "FAILURE_BAD_CREDENTIAL", message)


def _split_authorization(request: Request) -> tuple[str, str] | None:
    scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
    credentials = credentials.strip()
    if not scheme or not credentials:
        return None
    return scheme.lower(), credentials


def bearer_token(request: Request) -> str | None:
    """The token of an `AnaplanAuthToken` or `Bearer` header, the schemes the APIs accept."""
    parts = _split_authorization(request)
    if parts is None or parts[0] not in ("anaplanauthtoken", "bearer"):
        return None
    return parts[1]


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class TokenService:
    """Issues, refreshes, validates and revokes sandbox tokens; verifies certificate logins."""

    def __init__(self, clock: Clock, *, lifetime_seconds: float = 35 * 60) -> None:
        self.clock = clock
        self.lifetime_seconds = lifetime_seconds
        self._tokens: dict[str, IssuedToken] = {}
        self._certificates: dict[bytes, str] = {}  # DER bytes -> user id
        self._used_v2_payloads: dict[bytes, float] = {}  # sha256 -> when it may be forgotten

    # --- interface used by the app, admin routes and tests
    def routes(self) -> list[BaseRoute]:
        """The four auth-service routes under `/token/`."""
        return [
            Route("/token/authenticate", self._authenticate, methods=["POST"]),
            Route("/token/refresh", self._refresh, methods=["POST"]),
            Route("/token/validate", self._validate, methods=["GET"]),
            Route("/token/logout", self._logout, methods=["POST"]),
        ]

    def authorize(self, request: Request) -> str | None:
        """The user id behind a valid `AnaplanAuthToken`/`Bearer` token, else None."""
        value = bearer_token(request)
        token = self._live_token(value) if value else None
        return token.user_id if token else None

    def register_certificate(self, pem: bytes) -> None:
        """Allow certificate logins with this certificate (its CN becomes the user id)."""
        certificate = x509.load_pem_x509_certificate(pem)
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        user_id = str(names[0].value) if names else SEEDED_USER
        self._certificates[certificate.tbs_certificate_bytes] = user_id

    def expire_all(self) -> None:
        """Make every issued token expired as of now."""
        now = self.clock.timestamp()
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)

    def reset(self) -> None:
        """Forget issued tokens and used payloads; registered certificates stay."""
        self._tokens.clear()
        self._used_v2_payloads.clear()

    def to_state(self) -> dict[str, Any]:
        """The issued tokens, for the sandbox state file."""
        return {"tokens": [asdict(token) for token in self._tokens.values()]}

    def load_state(self, data: dict[str, Any]) -> None:
        """Restore tokens written by `to_state()`."""
        self._tokens = {item["token_value"]: IssuedToken(**item) for item in data.get("tokens", [])}

    # --- token bookkeeping
    def _issue(self, user_id: str) -> IssuedToken:
        token = IssuedToken(
            token_id=str(uuid.uuid4()),
            token_value=secrets.token_urlsafe(48),
            refresh_token_id=str(uuid.uuid4()),
            user_id=user_id,
            expires_at=self.clock.timestamp() + self.lifetime_seconds,
        )
        self._tokens[token.token_value] = token
        return token

    def _live_token(self, value: str) -> IssuedToken | None:
        token = self._tokens.get(value)
        if token is None or token.expires_at <= self.clock.timestamp():
            return None
        return token

    def _token_from_header(self, request: Request, *, malformed_status: int) -> IssuedToken:
        parts = _split_authorization(request)
        # The token routes reject Bearer (contract sheet §9.3): it counts as a malformed header.
        if parts is None or parts[0] != "anaplanauthtoken":
            raise _bad_header(malformed_status, "Authorization header must be AnaplanAuthToken")
        token = self._live_token(parts[1])
        if token is None:
            raise _bad_credential("Token is invalid, expired or logged out")
        return token

    def _success(self, token: IssuedToken, request: Request, message: str) -> dict[str, Any]:
        validation_url = str(request.url.replace(path="/token/validate", query=""))
        return {
            "meta": {"validationUrl": validation_url},
            "status": "SUCCESS",
            "statusMessage": message,
            "tokenInfo": token.token_info(),
        }

    # --- route handlers
    async def _authenticate(self, request: Request) -> Response:
        try:
            parts = _split_authorization(request)
            if parts is None:
                raise _bad_header(401, "Missing or malformed Authorization header")
            scheme, credentials = parts
            if scheme == "basic":
                user_id = self._check_basic(credentials)
            elif scheme == "cacertificate":
                user_id = self._check_certificate(credentials, await request.body())
            else:
                raise _bad_header(401, "Unsupported authorization scheme")
        except AuthFailure as failure:
            return failure.response()
        body = self._success(self._issue(user_id), request, "Login successful")
        return JSONResponse(body, status_code=201)

    async def _refresh(self, request: Request) -> Response:
        try:
            token = self._token_from_header(request, malformed_status=400)
        except AuthFailure as failure:
            return failure.response()
        # Live behaviour: the same tokenValue comes back with a later expiry (contract sheet §9.3).
        token.expires_at = self.clock.timestamp() + self.lifetime_seconds
        return JSONResponse(self._success(token, request, "Token refreshed"))

    async def _validate(self, request: Request) -> Response:
        try:
            token = self._token_from_header(request, malformed_status=400)
        except AuthFailure as failure:
            return failure.response()
        body = self._success(token, request, "Token validated")
        body["tokenInfo"] = {"expiresAt": int(token.expires_at * 1000), "tokenId": token.token_id}
        body["userInfo"] = {
            "userGuid": user_guid(token.user_id),
            "userId": token.user_id,
            "customerGuid": SEEDED_CUSTOMER_GUID,
        }
        return JSONResponse(body)

    async def _logout(self, request: Request) -> Response:
        try:
            token = self._token_from_header(request, malformed_status=401)
        except AuthFailure as failure:
            return failure.response()
        del self._tokens[token.token_value]
        return Response(status_code=204)

    # --- credential checks
    def _check_basic(self, credentials: str) -> str:
        try:
            user_id, colon, password = _b64decode(credentials).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _bad_header(401, "Malformed Basic credentials") from None
        if not colon:
            raise _bad_header(401, "Malformed Basic credentials")
        if user_id != SEEDED_USER or not secrets.compare_digest(password, SEEDED_PASSWORD):
            raise _bad_credential("Invalid username or password")
        return user_id

    def _check_certificate(self, credentials: str, raw_body: bytes) -> str:
        try:
            certificate = x509.load_pem_x509_certificate(_b64decode(credentials))
        except (binascii.Error, ValueError):
            raise _bad_header(401, "Malformed CACertificate header") from None
        user_id = self._certificates.get(certificate.tbs_certificate_bytes)
        if user_id is None:
            raise _bad_credential("Certificate is not registered")
        now = self.clock.now()
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise _bad_credential("Certificate is not valid at this time")
        data, signature, is_v2 = self._read_signed_payload(raw_body)
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise _bad_credential("Certificate key is not RSA")
        try:
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA512())
        except InvalidSignature:
            raise _bad_credential("Signature verification failed") from None
        if is_v2:
            self._check_v2_freshness(data)
        return user_id

    @staticmethod
    def _read_signed_payload(raw_body: bytes) -> tuple[bytes, bytes, bool]:
        try:
            body = json.loads(raw_body or b"null")
            encoded_data, encoded_signature = body["encodedData"], body["encodedSignedData"]
            data, signature = _b64decode(encoded_data), _b64decode(encoded_signature)
            data_format = body.get("encodedDataFormat")
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise _bad_credential(
                "Body must be JSON with base64 encodedData and encodedSignedData"
            ) from None
        if data_format not in (None, "v1", "v2"):
            raise _bad_credential(f"Unsupported encodedDataFormat {data_format!r}")
        if len(data) < MINIMUM_ENCODED_DATA_BYTES:
            raise _bad_credential(
                f"encodedData must be at least {MINIMUM_ENCODED_DATA_BYTES} bytes"
            )
        return data, signature, data_format == "v2"

    def _check_v2_freshness(self, data: bytes) -> None:
        # v2 data starts with an 8-byte big-endian epoch; Anaplan's example is in seconds, one
        # public client sends milliseconds, so both are accepted (contract sheet §9.4).
        stamp = int.from_bytes(data[:8], "big")
        sent_at = stamp / 1000 if stamp > _MILLISECONDS_THRESHOLD else float(stamp)
        now = self.clock.timestamp()
        if abs(now - sent_at) > CERTIFICATE_TIMESTAMP_WINDOW_SECONDS:
            raise _bad_credential("encodedData timestamp is outside the allowed window")
        self._used_v2_payloads = {
            digest: until for digest, until in self._used_v2_payloads.items() if until > now
        }
        digest = hashlib.sha256(data).digest()
        if digest in self._used_v2_payloads:
            raise _bad_credential("encodedData has already been used")
        self._used_v2_payloads[digest] = sent_at + 2 * CERTIFICATE_TIMESTAMP_WINDOW_SECONDS
