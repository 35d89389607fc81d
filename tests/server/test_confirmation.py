"""Only a person confirms a deletion: every destructive tool, on both protocol eras.

A client that can ask its user (elicitation) gets the question whatever the call carries, and only
the user's answer counts: `confirm=<id>`, which the model writes, is ignored there. A client that
cannot ask needs `confirm=<id>`, and without it gets a refusal that says so. Whether something was
deleted is checked through the listing tools, as a person would check it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ElicitRequestParams, ElicitResult

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.server.conftest import call, requests_to, text_of

pytestmark = pytest.mark.anyio

MakeServer = Callable[..., MCPServer]


async def _new_connection(client: Client) -> str:
    created = await call(
        client,
        "create_connection",
        {
            "type": "AmazonS3",
            "name": "Doomed bucket",
            "access_key_id": "AKIADOOMED",
            "secret_access_key": "s3cr3t",
            "bucket_name": "doomed",
        },
    )
    return str(created["connection_id"])


async def _connection_exists(client: Client, ident: str) -> bool:
    page = await call(client, "list_connections", {"limit": 200})
    return ident in {item["connection_id"] for item in page["items"]}


async def _integration_exists(client: Client, ident: str) -> bool:
    page = await call(client, "list_integrations", {"limit": 50})
    return ident in {item["integration_id"] for item in page["items"]}


async def _flow_exists(client: Client, ident: str) -> bool:
    page = await call(client, "list_flows", {"limit": 200})
    return ident in {item["flow_id"] for item in page["items"]}


async def _schedule_exists(client: Client, ident: str) -> bool:
    view = await call(client, "get_integration", {"integration_id": ident})
    return view["schedule"] is not None


async def _notification_id(client: Client) -> str:
    config = await call(client, "get_notification_config", {"integration_id": seed.SALES_IMPORT_ID})
    return str(config["notification_id"])


async def _notification_exists(client: Client, ident: str) -> bool:
    config = await call(client, "get_notification_config", {"integration_id": seed.SALES_IMPORT_ID})
    return config["notification_id"] == ident


@dataclass(frozen=True)
class Case:
    tool: str
    argument: str
    target: Callable[[Client], Awaitable[str]]  # makes or finds what is to be deleted
    exists: Callable[[Client, str], Awaitable[bool]]


def _seeded(ident: str) -> Callable[[Client], Awaitable[str]]:
    async def target(client: Client) -> str:
        return ident

    return target


CASES = [
    Case("delete_connection", "connection_id", _new_connection, _connection_exists),
    Case(
        "delete_integration",
        "integration_id",
        _seeded(seed.SALES_EXPORT_ID),  # idle, in no flow
        _integration_exists,
    ),
    Case("delete_flow", "flow_id", _seeded(seed.WORKFORCE_FLOW_ID), _flow_exists),
    Case("delete_schedule", "integration_id", _seeded(seed.SALES_IMPORT_ID), _schedule_exists),
    Case("delete_notification_config", "notification_id", _notification_id, _notification_exists),
]
BY_TOOL = {case.tool: case for case in CASES}
TOOLS = list(BY_TOOL)


class User:
    """A person behind an elicitation-capable client, who answers every question the same way."""

    def __init__(self, action: str, ticked: bool = True) -> None:
        self.action = action
        self.ticked = ticked
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        content = {"confirm": self.ticked} if self.action == "accept" else None
        return ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]


def _deletes(sandbox: Sandbox) -> list[str]:
    return [record.path for record in requests_to(sandbox) if record.method == "DELETE"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tool", TOOLS)
async def test_a_declining_user_wins_over_a_confirm_argument(
    make_server: MakeServer, sandbox: Sandbox, tool: str, mode: str
) -> None:
    case, user = BY_TOOL[tool], User("decline")
    async with Client(make_server(), mode=mode, elicitation_callback=user) as client:
        ident = await case.target(client)
        sandbox.faults.clear_requests()
        result = await client.call_tool(tool, {case.argument: ident, "confirm": ident})
        assert result.is_error
        assert len(user.asked) == 1 and ident in user.asked[0]
        assert "the user did not confirm" in text_of(result)
        assert "confirm=" not in text_of(result)  # no way round the user is suggested
        assert _deletes(sandbox) == []
        assert await case.exists(client, ident)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tool", TOOLS)
async def test_an_accepting_user_deletes(
    make_server: MakeServer, sandbox: Sandbox, tool: str, mode: str
) -> None:
    case, user = BY_TOOL[tool], User("accept")
    async with Client(make_server(), mode=mode, elicitation_callback=user) as client:
        ident = await case.target(client)
        assert await case.exists(client, ident)
        result = await client.call_tool(tool, {case.argument: ident})
        assert not result.is_error, text_of(result)
        assert len(user.asked) == 1
        assert not await case.exists(client, ident)


async def test_a_wrong_confirm_argument_does_not_stop_an_accepting_user(
    make_server: MakeServer,
) -> None:
    # The argument is ignored, not checked, when the user can be asked.
    case, user = BY_TOOL["delete_flow"], User("accept")
    async with Client(make_server(), elicitation_callback=user) as client:
        ident = await case.target(client)
        result = await client.call_tool(case.tool, {case.argument: ident, "confirm": "no"})
        assert not result.is_error, text_of(result)
        assert not await case.exists(client, ident)


@pytest.mark.parametrize("answer", [User("cancel"), User("accept", ticked=False)])
async def test_a_user_who_cancels_or_leaves_the_box_unticked_deletes_nothing(
    make_server: MakeServer, sandbox: Sandbox, answer: User
) -> None:
    case = BY_TOOL["delete_schedule"]
    async with Client(make_server(), elicitation_callback=answer) as client:
        ident = await case.target(client)
        result = await client.call_tool(case.tool, {case.argument: ident, "confirm": ident})
        assert result.is_error and "the user did not confirm" in text_of(result)
        assert _deletes(sandbox) == []
        assert await case.exists(client, ident)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tool", TOOLS)
async def test_without_elicitation_the_id_confirms(
    make_server: MakeServer, tool: str, mode: str
) -> None:
    case = BY_TOOL[tool]
    async with Client(make_server(), mode=mode) as client:
        ident = await case.target(client)
        result = await client.call_tool(tool, {case.argument: ident, "confirm": ident})
        assert not result.is_error, text_of(result)
        assert not await case.exists(client, ident)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("tool", TOOLS)
async def test_without_elicitation_or_confirm_the_refusal_says_what_is_needed(
    make_server: MakeServer, sandbox: Sandbox, tool: str, mode: str
) -> None:
    case = BY_TOOL[tool]
    async with Client(make_server(), mode=mode) as client:
        ident = await case.target(client)
        for arguments in ({case.argument: ident}, {case.argument: ident, "confirm": "f" * 32}):
            sandbox.faults.clear_requests()
            result = await client.call_tool(tool, arguments)
            text = text_of(result)
            assert result.is_error
            assert text.count("\n") == 0 and "cannot ask the user" in text
            assert f"only if they agree call again with confirm='{ident}'" in text
            assert _deletes(sandbox) == []
        assert await case.exists(client, ident)


async def test_the_confirm_description_and_instructions_tell_no_way_round_the_user(
    make_server: MakeServer,
) -> None:
    async with Client(make_server()) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        instructions = client.instructions or ""
    for tool in TOOLS:
        described = tools[tool].input_schema["properties"]["confirm"]["description"]
        assert described.startswith("If the user cannot be asked"), tool
    assert "confirm equal to the id" not in instructions
    assert "only for clients that cannot ask" in " ".join(instructions.split())
