"""`serve --oauth` refuses a wrong setup in one line; client ID metadata documents are checked.

The settings cases run `cli.main` in process (nothing listens: each stops before the socket). The
document cases serve documents from an `httpx2.MockTransport`, as the client's URL would.
"""

from __future__ import annotations

import json
import os

import httpx2
import pytest

from anaplan_mcp.cli import main
from anaplan_mcp.server.authorization.client_documents import ClientDocuments, redirect_uri_problem
from anaplan_mcp.server.authorization.stores import MemoryStore, Sealer

BASE_ENV = {
    "ANAPLAN_MCP_OAUTH": "1",
    "ANAPLAN_MCP_PUBLIC_URL": "https://mcp.example.com",
    "ANAPLAN_OAUTH_CLIENT_ID": "client-1",
    "ANAPLAN_MCP_TOKEN_STORE": "/nonexistent/anaplan-mcp-test-store.json",
}


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, [], "--oauth (ANAPLAN_MCP_OAUTH) needs --transport http"),
        (
            {"ANAPLAN_MCP_PUBLIC_URL": ""},
            ["--transport", "http"],
            "ANAPLAN_MCP_PUBLIC_URL is needed",
        ),
        (
            {"ANAPLAN_OAUTH_CLIENT_ID": ""},
            ["--transport", "http"],
            "ANAPLAN_OAUTH_CLIENT_ID is needed",
        ),
        (
            {"ANAPLAN_MCP_REDIS_URL": "redis://127.0.0.1:1/0"},
            ["--transport", "http"],
            "ANAPLAN_MCP_STATE_KEY is needed with ANAPLAN_MCP_REDIS_URL",
        ),
        (
            {"ANAPLAN_MCP_PUBLIC_URL": "http://mcp.example.com"},
            ["--transport", "http"],
            "ANAPLAN_MCP_PUBLIC_URL: is http on a non-loopback host",
        ),
        (
            {"ANAPLAN_MCP_REDIS_URL": "http://user:secret@redis"},
            ["--transport", "http"],
            "ANAPLAN_MCP_REDIS_URL: is not a Redis URL",
        ),
        (
            {"ANAPLAN_MCP_SANDBOX": "1"},
            ["--transport", "http"],
            "cannot be combined with --sandbox",
        ),
    ],
)
def test_a_wrong_oauth_setup_is_one_line_naming_the_setting(
    env: dict[str, str],
    args: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in [name for name in os.environ if name.startswith("ANAPLAN_")]:
        monkeypatch.delenv(name)
    for name, value in (BASE_ENV | env).items():
        if value:
            monkeypatch.setenv(name, value)
    status = main(["serve", "--port", "0", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert status != 0
    assert expected in err[-1], err
    # One line, after the usual note when --sandbox overrides the credentials.
    assert len(err) == 1 or (len(err) == 2 and "--sandbox is set" in err[0]), err
    assert "secret" not in err[-1]


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("https://app.example.com/cb", True),
        ("http://127.0.0.1:33418/cb", True),
        ("http://localhost/cb", True),
        ("http://[::1]:9/cb", True),
        ("http://app.example.com/cb", False),
        ("myapp://callback", False),
        ("https://app.example.com/cb#frag", False),
    ],
)
def test_redirect_uris_must_be_https_or_loopback(uri: str, allowed: bool) -> None:
    assert (redirect_uri_problem(uri) is None) is allowed


DOC_URL = "https://client.example.com/oauth/metadata.json"


def _documents(body: object, status: int = 200) -> tuple[ClientDocuments, list[str]]:
    fetched: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        fetched.append(str(request.url))
        return httpx2.Response(status, content=json.dumps(body).encode())

    async def public(host: str) -> list[str]:
        return ["93.184.215.14"]

    documents = ClientDocuments(
        MemoryStore(), transport=httpx2.MockTransport(answer), resolve=public
    )
    return documents, fetched


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://127.0.0.1/doc", []),
        ("https://[::1]/doc", []),
        ("https://10.0.0.7/doc", []),
        ("https://169.254.169.254/latest/meta-data", []),
        ("https://intranet.example.com/doc", ["192.168.1.20"]),
        ("https://mixed.example.com/doc", ["93.184.215.14", "10.1.2.3"]),
        ("https://unknown.example.com/doc", None),
    ],
)
async def test_a_client_document_on_a_non_public_address_is_never_fetched(
    url: str, addresses: list[str] | None
) -> None:
    fetched: list[str] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        fetched.append(str(request.url))
        return httpx2.Response(200, content=b"{}")

    async def resolve(host: str) -> list[str]:
        if addresses is None:
            raise OSError("unknown host")
        return addresses

    documents = ClientDocuments(
        MemoryStore(), transport=httpx2.MockTransport(answer), resolve=resolve
    )
    assert await documents.client(url) is None
    assert fetched == []


pytestmark = pytest.mark.anyio


async def test_a_client_id_metadata_document_becomes_a_public_client_fetched_once() -> None:
    documents, fetched = _documents(
        {
            "client_id": DOC_URL,
            "client_name": "Example",
            "redirect_uris": ["https://client.example.com/cb"],
            "token_endpoint_auth_method": "client_secret_basic",
        }
    )
    assert documents.is_document_id(DOC_URL) and not documents.is_document_id("abc-123")
    client = await documents.client(DOC_URL)
    again = await documents.client(DOC_URL)
    assert client is not None and again is not None
    assert client.client_id == DOC_URL and client.token_endpoint_auth_method == "none"
    assert fetched == [DOC_URL]  # the second came from the store


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": "https://other.example.com/doc", "redirect_uris": ["https://a.example/cb"]},
        {"client_id": DOC_URL, "redirect_uris": ["http://evil.example.com/cb"]},
        {"client_id": DOC_URL, "redirect_uris": ["https://a.example/cb"], "client_secret": "x"},
        {"client_id": DOC_URL},
        ["not", "an", "object"],
    ],
)
async def test_a_document_that_does_not_describe_itself_properly_is_refused(body: object) -> None:
    documents, _ = _documents(body)
    assert await documents.client(DOC_URL) is None


async def test_a_document_that_cannot_be_fetched_is_refused() -> None:
    documents, _ = _documents({}, status=404)
    assert await documents.client(DOC_URL) is None


def test_sealed_values_open_only_with_the_same_key_and_purpose() -> None:
    sealed = Sealer("k" * 32).seal("tokens", "anaplan-tokens")
    assert Sealer("k" * 32).open(sealed, "anaplan-tokens") == "tokens"
    assert Sealer("k" * 32).open(sealed, "other") is None
    assert Sealer("j" * 32).open(sealed, "anaplan-tokens") is None
    assert "tokens" not in sealed
