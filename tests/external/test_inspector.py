"""The MCP Inspector CLI (the reference debugging client, TypeScript SDK 2.x) against the server,
over stdio and streamable HTTP, in both protocol eras it negotiates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import ExternalTools

# The stable tool surface (DESIGN.md §2): what another host must see, whatever client it uses.
DOCUMENTED_TOOLS = {
    *("list_connections", "create_connection", "update_connection", "delete_connection"),
    *("list_integrations", "get_integration", "create_integration", "update_integration"),
    *("delete_integration", "list_model_objects", "run_integration", "cancel_run"),
    *("get_run_history", "get_run_status", "get_run_errors", "get_failure_dump"),
    *("diagnose_integration", "find_failed_runs", "schedule_integration"),
    *("set_schedule_status", "delete_schedule", "list_flows", "get_flow", "create_flow"),
    *("update_flow", "delete_flow", "run_flow", "get_notification_config"),
    *("set_notification_config", "delete_notification_config", "who_am_i"),
}
DOCUMENTED_PROMPTS = {
    "troubleshoot-failed-run",
    "set-up-data-load",
    "build-flow",
    "daily-health-check",
}
# What the Inspector's `--protocol-era` must end up with: the last dated revision before 2026, and
# the 2026 revision (server/discover instead of the initialize handshake).
ERA_VERSIONS = {"legacy": "2025-11-25", "modern": "2026-07-28"}


@pytest.fixture(params=["stdio", "http"])
def target(request: pytest.FixtureRequest) -> list[str]:
    """Inspector arguments that name the server: a command it starts, or the URL of a running one."""
    if request.param == "stdio":
        command: str = request.getfixturevalue("server_command")
        return ["-e", "ANAPLAN_MCP_SANDBOX=1", command, "serve"]
    url: str = request.getfixturevalue("http_server_url")
    return [url]


@pytest.fixture(params=sorted(ERA_VERSIONS))
def era(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def test_inspector_negotiates_the_requested_protocol_era(
    external_tools: ExternalTools, target: list[str], era: str
) -> None:
    result = external_tools.inspector_json(
        [*target, "--protocol-era", era, "--method", "initialize"]
    )
    assert result["protocolVersion"] == ERA_VERSIONS[era]
    assert result["serverInfo"]["name"] == "anaplan-cloudworks"
    assert {"tools", "resources", "prompts"} <= set(result["capabilities"])


def test_inspector_lists_every_documented_tool(
    external_tools: ExternalTools, target: list[str], era: str
) -> None:
    result = external_tools.inspector_json(
        [*target, "--protocol-era", era, "--method", "tools/list"]
    )
    tools = result["tools"]
    assert {tool["name"] for tool in tools} == DOCUMENTED_TOOLS
    assert all(tool["inputSchema"]["type"] == "object" for tool in tools)
    assert all(tool.get("annotations", {}).get("readOnlyHint") is not None for tool in tools)


def test_inspector_calls_list_integrations_for_one_page(
    external_tools: ExternalTools, target: list[str], era: str
) -> None:
    call = ["--method", "tools/call", "--tool-name", "list_integrations", "--tool-arg", "limit=2"]
    result = external_tools.inspector_json([*target, "--protocol-era", era, *call])
    assert result["isError"] is False
    page = result["structuredContent"]
    assert len(page["items"]) == 2
    assert page["total"] > 2
    assert page["next_offset"] == 2
    assert all(item["integration_id"] and item["kind"] for item in page["items"])


def test_inspector_lists_resources(
    external_tools: ExternalTools, target: list[str], era: str
) -> None:
    result = external_tools.inspector_json(
        [*target, "--protocol-era", era, "--method", "resources/list"]
    )
    uris = {resource["uri"] for resource in result["resources"]}
    assert {"cloudworks://integrations", "cloudworks://connections", "cloudworks://guide"} <= uris


def test_inspector_lists_prompts(
    external_tools: ExternalTools, target: list[str], era: str
) -> None:
    result = external_tools.inspector_json(
        [*target, "--protocol-era", era, "--method", "prompts/list"]
    )
    assert {prompt["name"] for prompt in result["prompts"]} == DOCUMENTED_PROMPTS


def test_strict_schema_portability_lint_finds_no_errors(
    external_tools: ExternalTools, target: list[str]
) -> None:
    # --strict exits 6 on any error-severity finding: schemas that other hosts (e.g. Gemini's
    # OpenAPI subset) reject, such as `type: [..., "null"]`. Warnings are advice and are allowed.
    done = external_tools.run(
        external_tools.inspector,
        ["--cli", *target, "--method", "tools/list", "--strict", "--format", "json"],
    )
    assert done.returncode == 0, f"--strict exited {done.returncode}:\n{done.stderr[-4000:]}"
    # The lint prints a summary only when it has findings; with none it stays silent.
    assert not done.stderr.strip() or "0 errors" in done.stderr, done.stderr[-4000:]
