"""The notifications toolset through MCP (both protocol eras) against the in-process sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp.types as types
import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.server.conftest import call, refused, text_of

pytestmark = pytest.mark.anyio

MakeServer = Callable[..., MCPServer]
CONFIGURED = seed.SALES_IMPORT_ID  # email + in_app, all three event types
BLANK = seed.PRODUCTS_IMPORT_ID  # only the config auto-created with the integration
TOOLS = {"get_notification_config", "set_notification_config", "delete_notification_config"}


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in sandbox.faults.requests
        if r.method != "GET" and not r.path.startswith("/token")
    ]


def guid(sandbox: Sandbox, user: str) -> str:
    value: str = sandbox.store.users[user]["userGuid"]
    return value


def notification_id(sandbox: Sandbox, integration_id: str) -> str | None:
    value: str | None = sandbox.store.integrations[integration_id]["notificationId"]
    return value


# ---- get_notification_config


async def test_get_by_integration_and_by_id(client: Client, sandbox: Sandbox) -> None:
    me, jane = guid(sandbox, "sandbox@example.com"), guid(sandbox, "jane.roe@example.com")
    config = await call(client, "get_notification_config", {"integration_id": CONFIGURED})
    assert config["notification_id"] == notification_id(sandbox, CONFIGURED)
    assert config["integration_ids"] == [CONFIGURED]
    assert config["channels"] == ["email", "in_app"]
    recipients = {
        kind: [u["user_guid"] for u in users] for kind, users in config["recipients"].items()
    }
    assert recipients == {
        "succeeded": [me],
        "partial_success": [me, jane],
        "failed": [me, jane],
    }
    assert config["recipients"]["succeeded"][0] == {
        "user_guid": me,
        "first_name": "Sandbox",
        "last_name": "User",
    }
    same = await call(
        client, "get_notification_config", {"notification_id": config["notification_id"]}
    )
    assert same == config


async def test_get_blank_and_missing_configs(client: Client, sandbox: Sandbox) -> None:
    blank = await call(client, "get_notification_config", {"integration_id": BLANK})
    assert blank["notification_id"] == notification_id(sandbox, BLANK)
    assert (blank["channels"], blank["recipients"]) == ([], {})
    args = {"notification_id": blank["notification_id"], "confirm": blank["notification_id"]}
    await call(client, "delete_notification_config", args)
    gone = await call(client, "get_notification_config", {"integration_id": BLANK})
    assert gone == {
        "notification_id": None,
        "integration_ids": [BLANK],
        "channels": [],
        "recipients": {},
    }
    result = await client.call_tool("get_notification_config", {"notification_id": "0" * 32})
    assert result.is_error and "get_integration" in text_of(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "exactly one of integration_id or notification_id"),
        ({"integration_id": CONFIGURED, "notification_id": "a" * 32}, "exactly one"),
        ({"integration_id": "not-an-id"}, "integration_id: expected 32 lowercase hex"),
        ({"notification_id": "A" * 32}, "notification_id: expected 32 lowercase hex"),
    ],
)
async def test_get_refuses_bad_arguments(
    client: Client, sandbox: Sandbox, args: dict[str, Any], message: str
) -> None:
    assert message in await refused(client, sandbox, "get_notification_config", args)


# ---- set_notification_config


async def test_set_replaces_an_existing_config(client: Client, sandbox: Sandbox) -> None:
    raj = guid(sandbox, "raj.patel@example.com")
    sandbox.faults.clear_requests()
    args = {"integration_id": CONFIGURED, "channels": ["in_app"], "failed": [raj]}
    change = await call(client, "set_notification_config", args)
    before, after = change["before"], change["after"]
    assert set(before["recipients"]) == {"succeeded", "partial_success", "failed"}
    assert after["notification_id"] == before["notification_id"]
    assert after["channels"] == ["in_app"]
    assert after["recipients"] == {
        "failed": [{"user_guid": raj, "first_name": "Raj", "last_name": "Patel"}]
    }
    assert writes(sandbox) == [
        ("PUT", f"/2/0/integrations/notification/{after['notification_id']}")
    ]


async def test_set_creates_a_config_when_there_is_none(client: Client, sandbox: Sandbox) -> None:
    old = notification_id(sandbox, BLANK)
    await call(client, "delete_notification_config", {"notification_id": old, "confirm": old})
    me = guid(sandbox, "sandbox@example.com")
    sandbox.faults.clear_requests()
    args = {"integration_id": BLANK, "channels": ["email", "in_app"], "succeeded": [me],
            "partial_success": [me]}  # fmt: skip
    change = await call(client, "set_notification_config", args)
    assert change["before"]["notification_id"] is None
    assert change["after"]["notification_id"] == notification_id(sandbox, BLANK) is not None
    assert set(change["after"]["recipients"]) == {"succeeded", "partial_success"}
    assert writes(sandbox) == [("POST", "/2/0/integrations/notification")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"channels": ["email"]}, "give users for at least one of succeeded"),
        ({"channels": [], "succeeded": ["a" * 32]}, "channels: expected at least 1"),
        ({"channels": ["sms"], "succeeded": ["a" * 32]}, "channels[0]: expected one of"),
        ({"channels": ["email", "email"], "succeeded": ["a" * 32]}, "channels: values must not"),
        ({"channels": ["email"], "succeeded": ["a" * 32] * 2}, "values must not repeat"),
        ({"channels": ["email"], "succeeded": [f"{i:032x}" for i in range(6)]},
         "succeeded: expected at most 5"),
        ({"channels": ["email"], "failed": []}, "failed: expected at least 1"),
        ({"channels": ["email"], "failed": ["jane@example.com"]},
         "failed[0]: expected 32 lowercase hex"),
        ({"channels": ["email"], "failure": ["a" * 32]}, "unknown argument(s) failure"),
        ({"succeeded": ["a" * 32]}, "channels: required"),
    ],
)  # fmt: skip
async def test_set_refuses_bad_arguments_before_any_request(
    client: Client, sandbox: Sandbox, args: dict[str, Any], message: str
) -> None:
    args = {"integration_id": CONFIGURED, **args}
    text = await refused(client, sandbox, "set_notification_config", args)
    assert message in text
    assert "jane@" not in text and "sms" not in text  # inputs are never echoed


async def test_set_reports_unknown_users_from_cloudworks(client: Client, sandbox: Sandbox) -> None:
    args = {"integration_id": CONFIGURED, "channels": ["email"], "succeeded": ["a" * 32]}
    result = await client.call_tool("set_notification_config", args)
    assert result.is_error and "users" in text_of(result)
    assert set((await call(client, "get_notification_config", {"integration_id": CONFIGURED}))[
        "recipients"
    ]) == {"succeeded", "partial_success", "failed"}  # fmt: skip


# ---- delete_notification_config


async def test_delete_needs_confirmation(client: Client, sandbox: Sandbox) -> None:
    ident = notification_id(sandbox, CONFIGURED)
    assert ident is not None
    text = await refused(client, sandbox, "delete_notification_config", {"notification_id": ident})
    assert f"confirm='{ident}'" in text
    assert ident in sandbox.store.notifications
    done = await call(
        client, "delete_notification_config", {"notification_id": ident, "confirm": ident}
    )
    assert ident in done["done"]
    assert ident not in sandbox.store.notifications
    assert notification_id(sandbox, CONFIGURED) is None


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_delete_asks_through_elicitation(
    make_server: MakeServer, sandbox: Sandbox, mode: str, action: str
) -> None:
    ident = notification_id(sandbox, CONFIGURED)
    asked: list[str] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action=action, content={"confirm": True})  # type: ignore[arg-type]

    async with Client(make_server(), mode=mode, elicitation_callback=answer) as client:
        result = await client.call_tool("delete_notification_config", {"notification_id": ident})
    assert asked and ident is not None and ident in asked[0]
    assert result.is_error == (action == "decline")
    assert (ident in sandbox.store.notifications) == (action == "decline")


# ---- read-only mode


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_only_keeps_only_get(
    make_server: MakeServer, sandbox: Sandbox, mode: str
) -> None:
    async with Client(make_server(read_only=True), mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names & TOOLS == {"get_notification_config"}
        config = await call(client, "get_notification_config", {"integration_id": CONFIGURED})
        args = {"notification_id": config["notification_id"], "confirm": config["notification_id"]}
        assert "read-only" in await refused(client, sandbox, "delete_notification_config", args)
    assert config["notification_id"] in sandbox.store.notifications


async def test_annotations(client: Client) -> None:
    tools = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
    assert tools["get_notification_config"].read_only_hint is True  # type: ignore[union-attr]
    assert tools["set_notification_config"].idempotent_hint is True  # type: ignore[union-attr]
    assert tools["delete_notification_config"].destructive_hint is True  # type: ignore[union-attr]
