"""CA-certificate sign-in material: loading the certificate and key, and signing the payload.

Contract sheet §9.4: the `Authorization` header is `CACertificate base64(<PEM file bytes>)`; the
body carries random bytes and their SHA512withRSA (PKCS#1 v1.5) signature. Format v2 prefixes the
random bytes with an 8-byte big-endian timestamp in epoch seconds, and the signature covers both.
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    # Imported where used: only certificate sign-in needs `cryptography`, and importing it costs
    # every other start of the server (basic auth, token, sandbox) tens of milliseconds.
    from cryptography.hazmat.primitives.asymmetric import rsa

PayloadFormat = Literal["v1", "v2"]
_RANDOM_BYTES = 100  # the sign-in docs ask for at least 100 random bytes
_PEM_MARK = b"-----BEGIN"


_FILE_SUFFIXES = (".pem", ".crt", ".cer", ".key", ".p8")


def _read_pem(source: str | bytes | os.PathLike[str], what: str) -> bytes:
    """Accept PEM text (str or bytes) or a path to a PEM file."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str) and _PEM_MARK.decode() in source:
        data = source.encode()
    else:
        path = Path(source).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            # The value may be key material pasted wrongly rather than a path: name the file only
            # when it plainly is one, never echo the value itself.
            named = f" {path.name}" if path.suffix.lower() in _FILE_SUFFIXES else ""
            raise ValueError(
                f"cannot read the {what} file{named} ({exc.strerror}); it is neither PEM text "
                "nor a readable file"
            ) from None
    if _PEM_MARK not in data:
        raise ValueError(f"the {what} is not PEM text (no '-----BEGIN' line)")
    return data


def load_certificate(source: str | bytes | os.PathLike[str]) -> bytes:
    """The certificate as PEM bytes, from PEM text or a file path."""
    return _read_pem(source, "certificate")


def load_private_key(
    source: str | bytes | os.PathLike[str], password: str | bytes | None = None
) -> rsa.RSAPrivateKey:
    """The RSA private key, from PEM text or a file path, decrypted with `password` if given."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    data = _read_pem(source, "private key")
    secret = password.encode() if isinstance(password, str) else password
    try:
        key = serialization.load_pem_private_key(data, password=secret or None)
    except (ValueError, TypeError):
        # The library's message can quote the key material's structure; say only what to fix.
        raise ValueError(
            "cannot load the private key: wrong password, missing password, or not a PEM key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key must be an RSA key (SHA512withRSA signing)")
    return key


def certificate_header(certificate_pem: bytes) -> str:
    """The `Authorization` value for `/token/authenticate`."""
    return "CACertificate " + base64.b64encode(certificate_pem).decode("ascii")


def signed_payload(
    key: rsa.RSAPrivateKey,
    *,
    now: float,
    payload_format: PayloadFormat = "v2",
    random_bytes: bytes | None = None,
) -> dict[str, str]:
    """The JSON body for `/token/authenticate`: fresh data and its signature."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    data = random_bytes if random_bytes is not None else os.urandom(_RANDOM_BYTES)
    if payload_format == "v2":
        data = struct.pack(">Q", int(now)) + data
    signature = key.sign(data, padding.PKCS1v15(), hashes.SHA512())
    body = {
        "encodedData": base64.b64encode(data).decode("ascii"),
        "encodedSignedData": base64.b64encode(signature).decode("ascii"),
    }
    if payload_format == "v2":
        body["encodedDataFormat"] = "v2"
    return body
