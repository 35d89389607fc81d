"""The diagnosis tests drive the server over the in-process sandbox with the server suite's fixtures.

Also here: what the tests that run the seeded sales import on a file of their own share.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.seed_data import SALES_GOOD_ROW, SALES_HEADER
from tests.server.conftest import make_server, sandbox  # noqa: F401  (re-exported fixtures)

HEADER = SALES_HEADER
GOOD = SALES_GOOD_ROW


@pytest.fixture
async def client(make_server: Callable[..., MCPServer]) -> AsyncIterator[Client]:  # noqa: F811
    async with Client(make_server()) as connected:
        yield connected


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def sales_file(rows: list[list[str]]) -> str:
    """A sales source file: the header, then `rows`."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([HEADER, *rows])
    return buffer.getvalue()


async def run_sales_import_on(sandbox: Sandbox, client: Client, path: str, content: str) -> str:  # noqa: F811
    """Put `content` into the sales bucket at `path`, point the import at it, run it; the run id."""
    sandbox.store.storage[f"s3:{seed.SALES_BUCKET}"]["objects"][path] = content
    await call(client, "update_integration", integration_id=seed.SALES_IMPORT_ID, path=path)
    outcome = await call(client, "run_integration", integration_id=seed.SALES_IMPORT_ID, wait=True)
    assert outcome["outcome"] == "partial_success", outcome
    return str(outcome["run_id"])
