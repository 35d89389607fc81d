"""The sandbox's seeded CA certificate and RSA key.

Both ship as PEM files in `anaplan_mcp/sandbox/data/`, so they are identical on every start and
on every machine. They are a demo key pair for the local emulator, not a secret: the sandbox
registers the certificate with its token service, and tests and demos sign certificate logins
(contract sheet §9.4) with the key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CERTIFICATE_FILE_NAME = "sandbox-cert.pem"
PRIVATE_KEY_FILE_NAME = "sandbox-key.pem"


def _read_data_file(name: str) -> bytes:
    return (resources.files("anaplan_mcp.sandbox") / "data" / name).read_bytes()


def seeded_certificate() -> tuple[bytes, bytes]:
    """Return `(certificate PEM, private key PEM)` of the sandbox's seeded certificate."""
    return _read_data_file(CERTIFICATE_FILE_NAME), _read_data_file(PRIVATE_KEY_FILE_NAME)


def write_seeded_certificate(directory: Path) -> tuple[Path, Path]:
    """Write `sandbox-cert.pem` and `sandbox-key.pem` into `directory`; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate_pem, private_key_pem = seeded_certificate()
    certificate_path = directory / CERTIFICATE_FILE_NAME
    private_key_path = directory / PRIVATE_KEY_FILE_NAME
    certificate_path.write_bytes(certificate_pem)
    private_key_path.write_bytes(private_key_pem)
    private_key_path.chmod(0o600)
    return certificate_path, private_key_path
