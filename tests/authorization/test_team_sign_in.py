"""`serve --transport http --oauth` end to end with the official SDK client's OAuth support.

A sandbox process is Anaplan (its OAuth service and CloudWorks); the server runs as its own process
with the in-memory store. The SDK client discovers the metadata, registers, sends the person to
/authorize; the test plays the browser (tests/signing_in.py). Tool calls then run as that person.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx2
import pytest

from anaplan_mcp.sandbox.seed_data import user_guid
from anaplan_mcp.sandbox.seed_ids import PRODUCTS_IMPORT_ID
from tests.signing_in import MemoryStorage, person_client, serving_oauth

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from _common import free_port, sandbox_on_port

pytestmark = pytest.mark.anyio

JANE, RAJ = "jane.roe@example.com", "raj.patel@example.com"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[str]:
    async with sandbox_on_port() as base:
        yield base


@pytest.fixture(scope="module")
async def server(
    sandbox: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, Path]]:
    """The server's base URL and its log."""
    port = free_port()
    log = tmp_path_factory.mktemp("oauth") / "serve.log"
    async with serving_oauth(sandbox, port, log):
        yield f"http://127.0.0.1:{port}", log


async def _who(mcp_url: str, sandbox: str, username: str) -> dict[str, object]:
    storage = MemoryStorage()
    async with person_client(mcp_url, sandbox, username, storage=storage) as client:
        result = await client.call_tool("who_am_i", {})
        assert not result.is_error, result.content
        assert result.structured_content is not None
        # A second call rides on the same token: no second sign-in.
        listed = await client.call_tool("list_integrations", {"limit": 3})
        assert not listed.is_error, listed.content
    # The client holds this server's token only: Anaplan does not take it.
    assert storage.tokens is not None
    async with httpx2.AsyncClient(base_url=sandbox) as http:
        me = await http.get(
            "/2/0/users/me", headers={"Authorization": f"Bearer {storage.tokens.access_token}"}
        )
    assert me.status_code == 401
    return dict(result.structured_content)


async def test_two_people_sign_in_in_parallel_and_each_is_themselves(
    server: tuple[str, Path], sandbox: str
) -> None:
    base, log = server
    seen: dict[str, dict[str, object]] = {}

    async def sign_in(username: str) -> None:
        seen[username] = await _who(f"{base}/mcp", sandbox, username)

    async with anyio.create_task_group() as group:
        group.start_soon(sign_in, JANE)
        group.start_soon(sign_in, RAJ)
    assert seen[JANE]["email"] == JANE and seen[JANE]["user_id"] == user_guid(JANE)
    assert seen[RAJ]["email"] == RAJ and seen[RAJ]["user_id"] == user_guid(RAJ)
    text = log.read_text()
    assert "run it as ONE replica" in text
    assert f"signed in {JANE}" in text and f"signed in {RAJ}" in text


async def test_a_write_is_audited_under_the_person_who_made_it(
    server: tuple[str, Path], sandbox: str
) -> None:
    base, log = server
    async with person_client(f"{base}/mcp", sandbox, RAJ) as client:
        started = await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    assert not started.is_error, started.content
    run_id = (started.structured_content or {})["run_id"]
    audited = [line for line in log.read_text().splitlines() if f"run_id={run_id}" in line]
    assert len(audited) == 1 and audited[0].endswith(f"person={RAJ}"), audited


async def test_metadata_and_unauthenticated_call(server: tuple[str, Path]) -> None:
    base, _ = server
    async with httpx2.AsyncClient(base_url=base) as http:
        refused = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        resource = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
        server_meta = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert refused.status_code == 401
    challenge = refused.headers["www-authenticate"]
    assert f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert resource["resource"] == f"{base}/mcp"
    assert resource["authorization_servers"] == [base]
    assert server_meta["issuer"] == base
    assert server_meta["client_id_metadata_document_supported"] is True
    assert server_meta["code_challenge_methods_supported"] == ["S256"]
    assert server_meta["registration_endpoint"] == f"{base}/register"
    assert server_meta["revocation_endpoint"] == f"{base}/revoke"
