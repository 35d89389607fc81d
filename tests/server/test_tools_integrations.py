"""The integrations toolset through MCP (both protocol eras) against the in-process sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp.types as types
import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.server.conftest import call, refused

pytestmark = pytest.mark.anyio

WS, SALES, FINANCE = seed.WORKSPACE_ID, seed.SALES_MODEL_ID, seed.FINANCE_MODEL_ID
S3, AZURE = seed.SALES_S3_CONNECTION_ID, seed.FINANCE_AZURE_CONNECTION_ID
BIGQUERY = seed.ANALYTICS_BQ_CONNECTION_ID
MISSING = "0" * 32
WRITE_TOOLS = {"create_integration", "update_integration", "delete_integration"}
READ_TOOLS = {"list_integrations", "get_integration", "list_model_objects"}
MakeServer = Callable[..., MCPServer]


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in sandbox.faults.requests
        if r.method != "GET" and not r.path.startswith("/token")
    ]


def job_args(kind: str) -> dict[str, Any]:
    return {"kind": kind, "name": f"New {kind}", "workspace_id": WS, "model_id": SALES}


# ---- list_integrations


async def test_list_is_sorted_compact_and_paged(client: Client) -> None:
    first = await call(client, "list_integrations", {})
    names = [item["name"] for item in first["items"]]
    assert first["total"] == 12 and first["next_offset"] is None
    assert names == sorted(names, key=str.casefold)
    sales = first["items"][0]
    assert sales == {
        "integration_id": seed.SALES_IMPORT_ID,
        "name": "Daily sales import",
        "kind": "import",
        "workspace_id": WS,
        "model_id": SALES,
        "latest_run": {
            "outcome": "partial_success",
            "started_at": sales["latest_run"]["started_at"],
            "execution_error_code": 38,
        },
        "schedule": "daily at 02:00 Europe/London",
    }
    pages = [await call(client, "list_integrations", {"limit": 5, "offset": o}) for o in (0, 5, 10)]
    assert [page["next_offset"] for page in pages] == [5, 10, None]
    assert [i["name"] for page in pages for i in page["items"]] == names


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"name": "IMPORT"},
            {
                "Daily sales import",
                "Forecast import from BigQuery",
                "FX rates import",
                "GL actuals import",
                "Headcount import",
                "Products import",
            },
        ),
        ({"kind": "process"}, {"Month-end close", "Nightly sales refresh", "Workforce refresh"}),
        ({"outcome": "failed"}, {"Month-end close", "P&L export to finance bucket"}),
        ({"outcome": "partial_success"}, {"Daily sales import"}),
        ({"outcome": "running"}, {"Nightly sales refresh"}),
        ({"model_id": seed.WORKFORCE_MODEL_ID}, {"Headcount import", "Workforce refresh"}),
        ({"kind": "export", "model_id": FINANCE}, {"P&L export to finance bucket"}),
        ({"name": "zzz"}, set()),
    ],
)
async def test_list_filters(client: Client, filters: dict[str, Any], expected: set[str]) -> None:
    page = await call(client, "list_integrations", filters)
    assert {item["name"] for item in page["items"]} == expected
    assert page["total"] == len(expected)


async def test_list_mine_and_never_ran(client: Client) -> None:
    mine = await call(client, "list_integrations", {"mine": True})
    assert mine["total"] == 10
    assert {"Headcount import", "Workforce refresh"}.isdisjoint(i["name"] for i in mine["items"])
    created = await call(
        client,
        "create_integration",
        {**job_args("export"), "connection_id": S3, "path": "x/", "action_id": "116000000002"},
    )
    never = await call(client, "list_integrations", {"outcome": "never_ran"})
    assert [i["integration_id"] for i in never["items"]] == [created["integration_id"]]


async def test_list_refuses_bad_filters(client: Client, sandbox: Sandbox) -> None:
    text = await refused(client, sandbox, "list_integrations", {"outcome": "broken"})
    assert "outcome" in text
    assert "model_id" in await refused(client, sandbox, "list_integrations", {"model_id": "x"})
    assert "limit" in await refused(client, sandbox, "list_integrations", {"limit": 0})


# ---- get_integration


async def test_get_shows_jobs_schedule_run_and_notification(client: Client) -> None:
    view = await call(client, "get_integration", {"integration_id": seed.SALES_IMPORT_ID})
    assert view["kind"] == "import" and view["model_id"] == SALES
    [job] = view["jobs"]
    assert job["direction"] == "import" and job["job_type"] == "AmazonS3ToAnaplan"
    assert (job["connection_id"], job["connection_name"]) == (S3, "Sales landing (S3)")
    assert (job["path"], job["action_id"], job["file_id"]) == (
        seed.SALES_BAD_FILE,
        "112000000001",
        "113000000001",
    )
    assert view["schedule"]["type"] == "daily" and view["schedule"]["status"] == "Active"
    assert view["latest_run"]["outcome"] == "partial_success"
    assert view["latest_run"]["execution_error_code"] == 38
    assert view["notification_id"] and view["modified_at"]


async def test_get_unknown_integration_names_the_listing(client: Client) -> None:
    result = await client.call_tool("get_integration", {"integration_id": MISSING})
    assert result.is_error
    assert "list_integrations" in result.content[0].text  # type: ignore[union-attr]


# ---- create_integration


@pytest.mark.parametrize(
    ("kind", "connection", "where", "action", "job_type"),
    [
        ("import", S3, {"path": "in/a.csv"}, "112000000002", "AmazonS3ToAnaplan"),
        ("import", AZURE, {"path": "in/a.csv"}, "112000000002", "AzureBlobToAnaplan"),
        ("import", BIGQUERY, {"table": "t"}, "112000000003", "GoogleBigQueryToAnaplan"),
        ("export", S3, {"path": "out/", "overwrite": True}, "116000000001", "AnaplanToAmazonS3"),
        ("export", AZURE, {"path": "out/"}, "116000000001", "AnaplanToAzureBlob"),
    ],
)
async def test_create_derives_the_job_type_from_the_connection(
    client: Client,
    sandbox: Sandbox,
    kind: str,
    connection: str,
    where: dict[str, Any],
    action: str,
    job_type: str,
) -> None:
    args = {**job_args(kind), "connection_id": connection, "action_id": action, **where}
    if kind == "import":
        args["file_id"] = "113" + action[3:]
    view = await call(client, "create_integration", args)
    [job] = view["jobs"]
    assert (view["kind"], job["job_type"], job["connection_id"]) == (kind, job_type, connection)
    stored = sandbox.store.integrations[view["integration_id"]]
    assert stored["integrationType"] == kind.capitalize()
    assert stored["jobs"][0]["type"] == job_type
    cloud = stored["jobs"][0]["sources" if kind == "import" else "targets"][0]
    assert cloud["type"] == job_type.replace("Anaplan", "").replace("To", "")
    assert cloud.get("file", cloud.get("table")) == where.get("path", where.get("table"))


async def test_create_bigquery_export_with_mapping(client: Client, sandbox: Sandbox) -> None:
    mapping = {"Opportunity": "opportunity_id", "Stage": "stage"}
    args = {
        **job_args("export"),
        "connection_id": BIGQUERY,
        "table": "pipeline_v2",
        "action_id": "116000000002",
        "overwrite": True,
        "mapping": mapping,
    }
    view = await call(client, "create_integration", args)
    [job] = view["jobs"]
    assert job["job_type"] == "AnaplanToGoogleBigQuery" and job["table"] == "pipeline_v2"
    assert job["mapping"] == mapping
    stored = sandbox.store.integrations[view["integration_id"]]["jobs"][0]
    assert stored["mapping"] == [
        {"sourceName": "Opportunity", "targetName": "opportunity_id"},
        {"sourceName": "Stage", "targetName": "stage"},
    ]
    assert stored["targets"][0] == {
        "type": "GoogleBigQuery",
        "connectionId": BIGQUERY,
        "table": "pipeline_v2",
        "overwrite": True,
    }


async def test_create_process_with_jobs(client: Client, sandbox: Sandbox) -> None:
    jobs = [
        {
            "connection_id": S3,
            "path": "ref/p.csv",
            "action_id": "112000000002",
            "file_id": "113000000002",
        },
        {"connection_id": AZURE, "path": "out/", "action_id": "116000000001"},
    ]
    view = await call(
        client,
        "create_integration",
        {**job_args("process"), "process_id": "118000000001", "jobs": jobs},
    )
    assert view["kind"] == "process" and view["process_id"] == "118000000001"
    assert [job["job_type"] for job in view["jobs"]] == ["AmazonS3ToAnaplan", "AnaplanToAzureBlob"]
    bare = await call(
        client,
        "create_integration",
        {**job_args("process"), "name": "Bare", "process_id": "118000000001"},
    )
    assert bare["jobs"] == []
    assert sandbox.store.integrations[bare["integration_id"]]["jobs"] is None


def without(job: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in job.items() if key not in keys}


IMPORT_JOB = {"connection_id": S3, "path": "a.csv", "action_id": "112000000002",
              "file_id": "113000000002"}  # fmt: skip
EXPORT_JOB = {"connection_id": S3, "path": "out/", "action_id": "116000000001"}
PAIRS = {"a": "b"}


@pytest.mark.parametrize(
    ("kind", "extra", "message"),
    [
        ("import", {**IMPORT_JOB, "table": "t"}, "path/table: give exactly one"),
        ("import", without(IMPORT_JOB, "path"), "path/table: give exactly one"),
        ("import", without(IMPORT_JOB, "file_id"), "file_id: required for an import"),
        ("import", {**IMPORT_JOB, "file_id": "112000000002"}, "file_id: expected a file id"),
        ("import", {**IMPORT_JOB, "action_id": "116000000001"}, "expected an import (112...) id"),
        ("import", {**IMPORT_JOB, "overwrite": True}, "overwrite: only for exports"),
        ("import", {**IMPORT_JOB, "mapping": PAIRS}, "mapping: only for exports"),
        ("import", without(IMPORT_JOB, "connection_id"), "connection_id: required for an import"),
        ("import", without(IMPORT_JOB, "action_id"), "action_id: required for an import"),
        ("import", {**IMPORT_JOB, "process_id": "118000000001"}, "process_id: only for kind"),
        ("import", {**IMPORT_JOB, "jobs": [IMPORT_JOB]}, "jobs: only for kind process"),
        ("import", {**IMPORT_JOB, "workspace_id": "nope"}, "workspace_id: expected 32 lowercase"),
        ("import", {**IMPORT_JOB, "model_id": SALES.lower()}, "model_id: expected 32 uppercase"),
        ("import", {**IMPORT_JOB, "action_id": "abc"}, "action_id: expected a numeric id"),
        ("import", {**IMPORT_JOB, "colour": "red"}, "unknown argument(s) colour"),
        ("export", {**EXPORT_JOB, "file_id": "113000000001"}, "file_id: only for imports"),
        ("export", {**EXPORT_JOB, "action_id": "112000000001"}, "expected an export (116...) id"),
        ("export", {**EXPORT_JOB, "mapping": PAIRS}, "mapping: only for exports to a BigQuery"),
        ("export", {**without(EXPORT_JOB, "path"), "connection_id": BIGQUERY, "table": "t"},
         "mapping: required for an export to BigQuery"),
        ("process", {"process_id": "118000000001", "connection_id": S3},
         "connection_id: for a process, put it in jobs"),
        ("process", {}, "process_id: required for a process"),
        ("process", {"process_id": "112000000001"}, "process_id: expected a process id"),
        ("process", {"process_id": "118000000001", "jobs": []}, "jobs: expected at least 1"),
        ("process", {"process_id": "118000000001", "jobs": [{**IMPORT_JOB, "action_id": "999"}]},
         "jobs[0].action_id: expected an import (112...) or export (116...)"),
        ("process", {"process_id": "118000000001", "jobs": [without(IMPORT_JOB, "path")]},
         "jobs[0].path/table"),
        ("process", {"process_id": "118000000001", "jobs": [{**IMPORT_JOB, "extra": 1}]},
         "jobs[0].extra: unknown field"),
    ],
)  # fmt: skip
async def test_create_refuses_mismatched_fields(
    client: Client, sandbox: Sandbox, kind: str, extra: dict[str, Any], message: str
) -> None:
    text = await refused(client, sandbox, "create_integration", {**job_args(kind), **extra})
    assert message in text


async def test_create_refuses_unknown_connection_before_any_write(
    client: Client, sandbox: Sandbox
) -> None:
    before = set(sandbox.store.integrations)
    sandbox.faults.clear_requests()
    args = {
        **job_args("import"),
        "connection_id": MISSING,
        "path": "a.csv",
        "action_id": "112000000002",
        "file_id": "113000000002",
    }
    result = await client.call_tool("create_integration", args)
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert "connection_id" in text and MISSING in text and "list_connections" in text
    assert writes(sandbox) == [] and set(sandbox.store.integrations) == before


@pytest.mark.parametrize(
    ("connection", "where", "message"),
    [
        (BIGQUERY, {"path": "a.csv"}, "table: connection"),
        (S3, {"table": "t"}, "path: connection"),
    ],
)
async def test_create_refuses_a_location_the_connection_cannot_hold(
    client: Client, sandbox: Sandbox, connection: str, where: dict[str, Any], message: str
) -> None:
    sandbox.faults.clear_requests()
    args = {
        **job_args("import"),
        "connection_id": connection,
        "action_id": "112000000003",
        "file_id": "113000000003",
        **where,
    }
    result = await client.call_tool("create_integration", args)
    assert result.is_error and message in result.content[0].text  # type: ignore[union-attr]
    assert writes(sandbox) == []


# ---- update_integration


async def test_update_merges_and_shows_before_and_after(client: Client, sandbox: Sandbox) -> None:
    sandbox.faults.clear_requests()
    change = await call(
        client,
        "update_integration",
        {"integration_id": seed.SALES_IMPORT_ID, "path": seed.SALES_CORRECTED_FILE},
    )
    assert change["changes"] == [
        {"field": "path", "before": seed.SALES_BAD_FILE, "after": seed.SALES_CORRECTED_FILE}
    ]
    assert writes(sandbox) == [("PUT", f"/2/0/integrations/{seed.SALES_IMPORT_ID}")]
    stored = sandbox.store.integrations[seed.SALES_IMPORT_ID]
    assert stored["name"] == "Daily sales import"  # unchanged fields are kept
    assert stored["jobs"][0]["targets"][0]["actionId"] == "112000000001"


async def test_update_name_and_connection_rederives_the_job_type(
    client: Client, sandbox: Sandbox
) -> None:
    change = await call(
        client,
        "update_integration",
        {"integration_id": seed.PRODUCTS_IMPORT_ID, "name": "P2", "connection_id": AZURE},
    )
    fields = {c["field"]: (c["before"], c["after"]) for c in change["changes"]}
    assert fields == {"name": ("Products import", "P2"), "connection_id": (S3, AZURE)}
    assert sandbox.store.integrations[seed.PRODUCTS_IMPORT_ID]["jobs"][0]["type"] == (
        "AzureBlobToAnaplan"
    )


async def test_update_moves_an_export_to_bigquery(client: Client, sandbox: Sandbox) -> None:
    args = {"integration_id": seed.SALES_EXPORT_ID, "connection_id": BIGQUERY,
            "table": "sales_summary", "mapping": {"Region": "region"}}  # fmt: skip
    change = await call(client, "update_integration", args)
    fields = {c["field"]: (c["before"], c["after"]) for c in change["changes"]}
    assert fields == {
        "connection_id": (S3, BIGQUERY),
        "path": ("exports/", None),
        "table": (None, "sales_summary"),
        "mapping": (None, {"Region": "region"}),
    }
    job = sandbox.store.integrations[seed.SALES_EXPORT_ID]["jobs"][0]
    assert job["type"] == "AnaplanToGoogleBigQuery" and job["targets"][0]["overwrite"] is True
    pipeline = await call(
        client, "update_integration", {"integration_id": seed.PIPELINE_EXPORT_ID,
                                       "mapping": {"Stage": "stage"}},
    )  # fmt: skip
    assert pipeline["changes"] == [
        {"field": "mapping", "before": None, "after": {"Stage": "stage"}}
    ]


async def test_update_process_job_needs_its_index(client: Client, sandbox: Sandbox) -> None:
    args = {"integration_id": seed.CLOSE_PROCESS_ID, "path": "gl/v2.csv"}
    result = await client.call_tool("update_integration", args)
    assert result.is_error and "job_index" in result.content[0].text  # type: ignore[union-attr]
    change = await call(client, "update_integration", {**args, "job_index": 1})
    assert change["changes"] == [
        {"field": "jobs[1].path", "before": "fx/fx_rates.csv", "after": "gl/v2.csv"}
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({}, "give at least one field"),
        ({"path": "a", "table": "b"}, "path/table"),
        ({"job_index": 0, "name": "x"}, "job_index: only with job fields"),
        ({"name": ""}, "name"),
    ],
)
async def test_update_refuses_before_any_request(
    client: Client, sandbox: Sandbox, args: dict[str, Any], message: str
) -> None:
    args = {"integration_id": seed.SALES_IMPORT_ID, **args}
    assert message in await refused(client, sandbox, "update_integration", args)


async def test_update_refuses_mismatches_without_writing(client: Client, sandbox: Sandbox) -> None:
    cases = [
        ({"integration_id": seed.PIPELINE_EXPORT_ID, "table": "p2"}, "mapping: required"),
        ({"integration_id": seed.SALES_IMPORT_ID, "action_id": "116000000001"}, "action_id"),
        ({"integration_id": seed.SALES_IMPORT_ID, "connection_id": BIGQUERY}, "table: connection"),
        ({"integration_id": seed.SALES_IMPORT_ID, "connection_id": MISSING}, "list_connections"),
        ({"integration_id": seed.SALES_EXPORT_ID, "file_id": "113000000001"}, "only for imports"),
    ]
    sandbox.faults.clear_requests()
    for args, message in cases:
        result = await client.call_tool("update_integration", args)
        assert result.is_error and message in result.content[0].text  # type: ignore[union-attr]
    assert writes(sandbox) == []


# ---- delete_integration


async def test_delete_refuses_without_confirmation(client: Client, sandbox: Sandbox) -> None:
    args = {"integration_id": seed.SALES_EXPORT_ID}
    text = await refused(client, sandbox, "delete_integration", args)
    assert f"confirm='{seed.SALES_EXPORT_ID}'" in text
    wrong = await refused(client, sandbox, "delete_integration", {**args, "confirm": "yes"})
    assert "needs confirmation" in wrong
    assert seed.SALES_EXPORT_ID in sandbox.store.integrations
    done = await call(client, "delete_integration", {**args, "confirm": seed.SALES_EXPORT_ID})
    assert seed.SALES_EXPORT_ID in done["done"]
    assert seed.SALES_EXPORT_ID not in sandbox.store.integrations


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_delete_asks_through_elicitation(
    make_server: MakeServer, sandbox: Sandbox, mode: str, action: str
) -> None:
    asked: list[str] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action=action, content={"confirm": True})  # type: ignore[arg-type]

    async with Client(make_server(), mode=mode, elicitation_callback=answer) as client:
        result = await client.call_tool("delete_integration", {"integration_id": seed.GL_IMPORT_ID})
    assert asked and seed.GL_IMPORT_ID in asked[0]
    assert result.is_error == (action == "decline")
    assert (seed.GL_IMPORT_ID in sandbox.store.integrations) == (action == "decline")


async def test_delete_reports_a_conflict(client: Client) -> None:
    args = {"integration_id": seed.NIGHTLY_PROCESS_ID, "confirm": seed.NIGHTLY_PROCESS_ID}
    result = await client.call_tool("delete_integration", args)
    assert result.is_error and "already running" in result.content[0].text  # type: ignore[union-attr]


# ---- list_model_objects


async def test_model_objects_without_arguments(client: Client) -> None:
    found = await call(client, "list_model_objects", {})
    assert [w["id"] for w in found["workspaces"]] == [WS]
    assert {m["name"]: m["workspace_id"] for m in found["models"]} == {
        "Sales Planning": WS,
        "Finance Consolidation": WS,
        "Workforce Planning": WS,
    }
    assert found["imports"] is None
    models = await call(client, "list_model_objects", {"workspace_id": WS})
    assert len(models["models"]) == 3 and models["workspaces"] is None


async def test_model_objects_of_a_model(client: Client) -> None:
    found = await call(client, "list_model_objects", {"workspace_id": WS, "model_id": SALES})
    imports = {i["id"]: (i["name"], i["file_id"]) for i in found["imports"]}
    assert imports["112000000001"] == ("Sales import", "113000000001")
    assert {e["id"] for e in found["exports"]} == {"116000000001", "116000000002"}
    assert [p["id"] for p in found["processes"]] == ["118000000001"]
    assert {f["id"] for f in found["files"]} == {"113000000001", "113000000002", "113000000003"}


async def test_model_objects_refuses_a_model_without_workspace(
    client: Client, sandbox: Sandbox
) -> None:
    text = await refused(client, sandbox, "list_model_objects", {"model_id": SALES})
    assert "workspace_id" in text
    assert "model_id" in await refused(
        client, sandbox, "list_model_objects", {"workspace_id": WS, "model_id": SALES.lower()}
    )


# ---- read-only mode


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_only_hides_write_tools(
    make_server: MakeServer, sandbox: Sandbox, mode: str
) -> None:
    async with Client(make_server(read_only=True), mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names >= READ_TOOLS and not WRITE_TOOLS & names
        args = {
            **job_args("import"),
            "connection_id": S3,
            "path": "a.csv",
            "action_id": "112000000002",
            "file_id": "113000000002",
        }
        text = await refused(client, sandbox, "create_integration", args)
    assert "read-only" in text


async def test_tool_annotations(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name in READ_TOOLS:
        assert tools[name].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["delete_integration"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert tools["create_integration"].annotations.destructive_hint is False  # type: ignore[union-attr]
