"""How a refused or failed tool call reads: the tool named once, "did you mean" for a misspelt tool,
and words a person would write ("an AzureBlob connection")."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.console import call_tool
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.server.errors import a_or_an
from tests.server.conftest import text_of

pytestmark = pytest.mark.anyio
MISSING_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("AzureBlob", "an AzureBlob"),
        ("AmazonS3", "an AmazonS3"),
        ("GoogleBigQuery", "a GoogleBigQuery"),
        ("hourly", "an hourly"),
        ("daily", "a daily"),
        ("weekly", "a weekly"),
    ],
)
def test_the_article_follows_the_sound(word: str, expected: str) -> None:
    assert a_or_an(word) == expected


async def test_a_misspelt_tool_gets_the_names_it_may_mean(client: Client) -> None:
    result = await client.call_tool("list_flowz", {})
    assert result.is_error
    assert text_of(result).startswith("Unknown tool: list_flowz; did you mean list_flows")


async def test_a_name_like_no_tool_gets_the_plain_answer(client: Client) -> None:
    result = await client.call_tool("xyzzy", {})
    assert result.is_error and text_of(result) == "Unknown tool: xyzzy"


@pytest.mark.parametrize(
    ("tool", "arguments", "starts"),
    [
        # A refusal written by a helper that names its tool itself.
        (
            "create_connection",
            {"type": "AzureBlob", "name": "x", "bucket_name": "b"},
            "create_connection: bucket_name: not for an AzureBlob connection, which takes ",
        ),
        # CloudWorks' own failure, translated.
        ("get_integration", {"integration_id": MISSING_ID}, "get_integration: GET /2/0/"),
        # A refusal whose text does not name the tool.
        (
            "create_flow",
            {"name": "f", "steps": [{"integration_id": seed.FX_IMPORT_ID, "skipped": True}]},
            "create_flow: ",
        ),
    ],
)
async def test_a_tool_error_names_the_tool_once(
    client: Client, tool: str, arguments: dict[str, object], starts: str
) -> None:
    result = await client.call_tool(tool, arguments)
    text = text_of(result)
    assert result.is_error and text.startswith(starts), text
    assert "Error executing tool" not in text and text.count(f"{tool}:") == 1, text


async def test_a_schedule_of_another_type_reads_an_hourly(client: Client) -> None:
    result = await client.call_tool(
        "schedule_integration",
        {
            "integration_id": seed.FX_IMPORT_ID,
            "type": "hourly",
            "timezone": "UTC",
            "time": "02:00",
            "from_time": "08:00",
            "to_time": "18:00",
            "repeat_every": 2,
        },
    )
    assert result.is_error and "not for an hourly schedule" in text_of(result), text_of(result)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_the_progress_bar_is_drawn_on_a_terminal_only(
    make_server: Callable[..., MCPServer], sandbox: Sandbox
) -> None:
    arguments = {"integration_id": seed.FX_IMPORT_ID, "wait": True}
    into_file, out = io.StringIO(), io.StringIO()
    assert await call_tool(make_server(), "run_integration", arguments, out, into_file) == 0
    assert into_file.getvalue() == ""

    terminal, out = Terminal(), io.StringIO()
    assert await call_tool(make_server(), "run_integration", arguments, out, terminal) == 0
    run_id = out.getvalue().split('"run_id": "')[1].split('"')[0]
    frames = terminal.getvalue().rstrip("\n").split("\r")[1:]
    assert frames and all(f"run {run_id}: " in frame for frame in frames)  # the whole id
    assert "running" in frames[0] and " s " in frames[0]  # the state and the elapsed time
    assert frames[-1].startswith("[####################] 100%"), frames[-1]
