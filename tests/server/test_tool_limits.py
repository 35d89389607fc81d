"""Free-text arguments over their limit or off a service's naming rule: one line, nothing sent."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from test_tools_connections import AZURE, GOOGLE_KEY, S3, refused

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio

HUGE = "n" * 120_000
BQ = {"type": "GoogleBigQuery", "name": "Warehouse", "dataset": "sales"} | {
    "service_account_key": GOOGLE_KEY
}
IMPORT = {
    "kind": "import",
    "name": "Limits import",
    "workspace_id": seed.WORKSPACE_ID,
    "model_id": seed.SALES_MODEL_ID,
    "connection_id": seed.SALES_S3_CONNECTION_ID,
    "path": "in/products.csv",
    "action_id": "112000000002",
    "file_id": "113000000002",
}
STEPS = [{"integration_id": seed.SALES_IMPORT_ID}, {"integration_id": seed.GL_IMPORT_ID}]
DAILY = {"integration_id": seed.WORKFORCE_PROCESS_ID, "type": "daily", "timezone": "UTC"}


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        ("create_connection", S3 | {"name": HUGE}, "name: expected at most 255 characters"),
        ("create_connection", S3 | {"bucket_name": "bad bucket!!"}, "bucket_name: expected 3-63"),
        ("create_connection", S3 | {"bucket_name": "b" * 64}, "bucket_name: expected 3-63"),
        ("create_connection", S3 | {"access_key_id": HUGE}, "access_key_id: expected at most"),
        ("create_connection", S3 | {"secret_access_key": HUGE}, "secret_access_key: expected"),
        ("create_connection", AZURE | {"container_name": "a--b"}, "container_name: expected"),
        ("create_connection", AZURE | {"storage_account_name": "x"}, "storage_account_name: exp"),
        ("create_connection", BQ | {"dataset": "no spaces"}, "dataset: expected 1-1024"),
        (
            "update_connection",
            {"connection_id": seed.SALES_S3_CONNECTION_ID, "bucket_name": "bad bucket!!"},
            "bucket_name: expected 3-63",
        ),
        ("create_integration", IMPORT | {"name": HUGE}, "name: expected at most 255 characters"),
        ("create_integration", IMPORT | {"path": HUGE}, "path: expected at most 1024 characters"),
        ("list_integrations", {"name": HUGE}, "name: expected at most 255 characters"),
        ("create_flow", {"name": HUGE, "steps": STEPS}, "name: expected at most 255 characters"),
        ("schedule_integration", DAILY | {"time": "03:00", "name": HUGE}, "name: expected at most"),
    ],
)
async def test_over_long_or_misnamed_text_is_refused_in_one_line(
    client: Client, sandbox: Sandbox, tool: str, args: dict[str, Any], expected: str
) -> None:
    message = await refused(client, sandbox, tool, args)
    assert expected in message
    assert "\n" not in message and len(message) < 300
    assert HUGE not in message and "bad bucket" not in message


async def test_the_longest_valid_values_are_accepted(client: Client) -> None:
    args = S3 | {"name": "n" * 255, "bucket_name": "b" * 63}
    result = await client.call_tool("create_connection", args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["bucket_name"] == "b" * 63
