"""The server's own mechanics: tool metadata, argument guard, modes, confirmations, secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ElicitResult, PromptReference, ResourceTemplateReference

from anaplan_mcp.sandbox.app import Sandbox
from tests.server.conftest import requests_to

pytestmark = pytest.mark.anyio

S3_CONNECTION = {
    "type": "AmazonS3",
    "name": "Canary bucket",
    "access_key_id": "AKIACANARY",
    "bucket_name": "canary-bucket",
}


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


async def test_every_tool_has_a_title_and_all_four_annotations(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert tools
    for tool in tools:
        assert tool.title and tool.description, tool.name
        hints = tool.annotations
        assert hints is not None
        flags = (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        )
        assert None not in flags, tool.name
        if tool.name.startswith(("list_", "get_")):
            assert hints.read_only_hint and not hints.destructive_hint, tool.name
        if tool.name.startswith("delete_"):
            assert hints.destructive_hint and not hints.read_only_hint, tool.name


async def test_input_schemas_are_closed_and_carry_no_titles_or_null_branches(
    client: Client,
) -> None:
    for tool in (await client.list_tools()).tools:
        schema = tool.input_schema
        assert schema["additionalProperties"] is False, tool.name
        for node in _walk(schema):
            assert not isinstance(node.get("title"), str), tool.name
            assert {"type": "null"} not in node.get("anyOf", []), tool.name


async def test_unknown_argument_is_refused_by_name_without_a_request(
    client: Client, sandbox: Sandbox
) -> None:
    before = len(requests_to(sandbox))
    result = await client.call_tool("list_connections", {"limit": 5, "colour": "red"})
    assert result.is_error
    text = result.content[0].text
    assert "colour" in text and "limit" in text
    assert len(requests_to(sandbox)) == before


async def test_bad_value_names_the_field_and_never_echoes_it(
    client: Client, sandbox: Sandbox
) -> None:
    before = len(requests_to(sandbox))
    secret = "SECRET-CANARY-7f3a"
    bad = {**S3_CONNECTION, "secret_access_key": secret, "bucket_name": ["not", secret]}
    result = await client.call_tool("create_connection", bad)
    assert result.is_error
    text = result.content[0].text
    assert "bucket_name" in text
    assert secret not in text and "Traceback" not in text
    assert len(requests_to(sandbox)) == before


async def test_read_only_hides_write_tools_and_refuses_them_with_the_reason(
    make_server: Callable[..., MCPServer], sandbox: Sandbox
) -> None:
    async with Client(make_server(read_only=True)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "list_connections" in names
        assert not names & {"create_connection", "update_connection", "delete_connection"}
        before = len(requests_to(sandbox))
        result = await client.call_tool("delete_connection", {"connection_id": "0" * 32})
        assert result.is_error and "read-only" in result.content[0].text
        assert len(requests_to(sandbox)) == before


async def test_toolsets_limit_the_surface(make_server: Callable[..., MCPServer]) -> None:
    async with Client(make_server(toolsets="connections")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {
            "list_connections",
            "create_connection",
            "update_connection",
            "delete_connection",
            "who_am_i",  # in every toolset
        }


async def _connection_id(client: Client) -> str:
    result = await client.call_tool("list_connections", {"limit": 200})
    assert result.structured_content is not None
    return str(result.structured_content["items"][0]["connection_id"])


async def test_delete_without_confirmation_is_refused_and_sends_no_delete(
    client: Client, sandbox: Sandbox
) -> None:
    connection_id = await _connection_id(client)
    result = await client.call_tool("delete_connection", {"connection_id": connection_id})
    assert result.is_error and f"confirm='{connection_id}'" in result.content[0].text
    assert not [r for r in requests_to(sandbox) if r.method == "DELETE"]


async def test_delete_with_a_wrong_confirmation_is_refused(
    client: Client, sandbox: Sandbox
) -> None:
    connection_id = await _connection_id(client)
    other = "f" * 32
    result = await client.call_tool(
        "delete_connection", {"connection_id": connection_id, "confirm": other}
    )
    assert result.is_error
    assert not [r for r in requests_to(sandbox) if r.method == "DELETE"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize(("action", "deleted"), [("accept", True), ("decline", False)])
async def test_delete_asks_the_user_when_the_client_can_be_asked(
    make_server: Callable[..., MCPServer], sandbox: Sandbox, mode: str, action: str, deleted: bool
) -> None:
    asked: list[str] = []

    async def answer(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        content = {"confirm": True} if action == "accept" else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    server = make_server()
    async with Client(server, mode=mode, elicitation_callback=answer) as client:
        created = await client.call_tool(
            "create_connection", {**S3_CONNECTION, "secret_access_key": "s3cr3t"}
        )
        assert created.structured_content is not None
        connection_id = created.structured_content["connection_id"]
        result = await client.call_tool("delete_connection", {"connection_id": connection_id})
        assert asked and connection_id in asked[0]
        assert result.is_error is not deleted
        listed = await client.call_tool("list_connections", {"limit": 200})
        assert listed.structured_content is not None
        ids = {item["connection_id"] for item in listed.structured_content["items"]}
        assert (connection_id not in ids) is deleted


async def test_secret_from_an_allowed_variable_is_used_and_never_returned(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ENV-SECRET-CANARY-91c"
    monkeypatch.setenv("ANAPLAN_SECRET_S3_KEY", secret)
    connection = {**S3_CONNECTION, "secret_access_key": "env:ANAPLAN_SECRET_S3_KEY"}
    result = await client.call_tool("create_connection", connection)
    assert not result.is_error, result.content
    assert secret not in json.dumps(result.structured_content)
    assert secret not in result.content[0].text


async def test_secret_reference_outside_the_allowed_prefix_is_refused(
    client: Client, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANAPLAN_PASSWORD", "host-password")
    before = len(requests_to(sandbox))
    connection = {**S3_CONNECTION, "secret_access_key": "env:ANAPLAN_PASSWORD"}
    result = await client.call_tool("create_connection", connection)
    assert result.is_error
    text = result.content[0].text
    assert "ANAPLAN_SECRET_" in text and "host-password" not in text
    assert len(requests_to(sandbox)) == before


async def test_prompts_render_with_and_without_arguments(client: Client) -> None:
    names = {prompt.name for prompt in (await client.list_prompts()).prompts}
    assert names == {
        "troubleshoot-failed-run",
        "set-up-data-load",
        "build-flow",
        "daily-health-check",
    }
    named = await client.get_prompt("troubleshoot-failed-run", {"integration": "Daily sales"})
    default = await client.get_prompt("troubleshoot-failed-run", {})
    assert "Daily sales" in named.messages[0].content.text  # type: ignore[union-attr]
    assert "find_failed_runs" in default.messages[0].content.text  # type: ignore[union-attr]
    assert "{{" not in default.messages[0].content.text  # type: ignore[union-attr]


async def test_resources_list_and_read_compact_json(client: Client) -> None:
    uris = {str(resource.uri) for resource in (await client.list_resources()).resources}
    assert {
        "cloudworks://integrations",
        "cloudworks://connections",
        "cloudworks://flows",
        "cloudworks://guide",
    } <= uris
    templates = {
        t.uri_template for t in (await client.list_resource_templates()).resource_templates
    }
    assert "cloudworks://runs/{run_id}/dump{?action_id}" in templates
    listing = await client.read_resource("cloudworks://integrations")
    overview = json.loads(listing.contents[0].text)  # type: ignore[union-attr]
    assert overview["total"] == len(overview["items"]) == 12 and "rest" not in overview
    assert overview["kinds"] == {"import": 6, "export": 3, "process": 3}
    assert sum(overview["latest_outcomes"].values()) == 12
    first = overview["items"][0]["integration_id"]
    detail = await client.read_resource(f"cloudworks://integrations/{first}")
    assert json.loads(detail.contents[0].text)["integration_id"] == first  # type: ignore[union-attr]


async def _partial_run_id(client: Client) -> str:
    found = await client.call_tool(
        "diagnose_integration", {"integration_name": "Daily sales import"}
    )
    assert found.structured_content is not None
    return str(found.structured_content["evidence"]["run_id"])


async def test_run_and_dump_resources_serve_the_run_and_its_failing_rows(client: Client) -> None:
    run_id = await _partial_run_id(client)
    run = json.loads((await client.read_resource(f"cloudworks://runs/{run_id}")).contents[0].text)  # type: ignore[union-attr]
    assert (run["run_id"], run["outcome"], run["execution_error_code"]) == (
        run_id,
        "partial_success",
        38,
    )
    assert any(action["failure_dump"] for action in run["errors"])
    dump = (await client.read_resource(f"cloudworks://runs/{run_id}/dump")).contents[0]
    assert dump.mime_type == "text/csv"
    header = dump.text.splitlines()[0]  # type: ignore[union-attr]
    assert '"_Line_"' in header and '"_Error_1_"' in header


async def test_guide_resource_is_the_error_code_guide(client: Client) -> None:
    guide = (await client.read_resource("cloudworks://guide")).contents[0]
    assert guide.mime_type == "text/markdown"
    assert "38" in guide.text and "integrationErrorCode" in guide.text  # type: ignore[union-attr]


async def test_ids_complete_from_the_tenant(client: Client) -> None:
    template = ResourceTemplateReference(uri="cloudworks://integrations/{integration_id}")
    listing = await client.call_tool("list_integrations", {"limit": 50})
    assert listing.structured_content is not None
    ids = [item["integration_id"] for item in listing.structured_content["items"]]
    prefix = ids[0][:2]
    completed = await client.complete(template, {"name": "integration_id", "value": prefix})
    assert set(completed.completion.values) == {i for i in ids if i.startswith(prefix)}

    flows = await client.complete(
        ResourceTemplateReference(uri="cloudworks://flows/{flow_id}"),
        {"name": "flow_id", "value": ""},
    )
    assert len(flows.completion.values) == 2

    run_id = await _partial_run_id(client)
    runs = await client.complete(
        ResourceTemplateReference(uri="cloudworks://runs/{run_id}"),
        {"name": "run_id", "value": run_id[:6]},
    )
    assert run_id in runs.completion.values

    prompt = await client.complete(
        PromptReference(name="troubleshoot-failed-run"),
        {"name": "integration", "value": "Daily"},
    )
    assert "Daily sales import" in prompt.completion.values
