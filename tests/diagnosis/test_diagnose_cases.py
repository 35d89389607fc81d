"""diagnose_integration on runs made now in the sandbox: the cases a troubleshooter meets.

Each test changes the seeded tenant the way the seed builds it (bucket files and keys in
`store.storage`, integrations through the API), runs what it needs with the MCP tools and reads
the diagnosis. Waiting for a run moves the sandbox clock; nothing sleeps.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER
from anaplan_mcp.sandbox.transport import sandbox_transport
from tests.diagnosis.conftest import GOOD, HEADER, call, run_sales_import_on, sales_file

pytestmark = pytest.mark.anyio

MISSING_ID = "0" * 32


async def error_text(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return " ".join(getattr(block, "text", "") for block in result.content)


def bad(**cells: str) -> list[str]:
    row = dict(zip(HEADER, GOOD, strict=True)) | cells
    return [row[name] for name in HEADER]


async def test_partial_import_with_four_error_groups_ranks_and_counts_them(
    sandbox: Sandbox, client: Client
) -> None:
    rows = [GOOD] * 13
    rows[1] = bad(Units="3x")
    rows[4] = bad(Units="n/a")
    rows[6] = bad(Amount="12,5,0x")
    rows[2] = bad(Product="Widget Q")
    rows[9] = bad(Product="Doohickey")
    rows[7] = bad(Date="2026-13-01")
    rows.append(bad(Region="Atlantis"))
    run_id = await run_sales_import_on(sandbox, client, "sales/four_kinds.csv", sales_file(rows))

    found = await call(client, "diagnose_integration", integration_id=seed.SALES_IMPORT_ID)

    assert (found["outcome"], found["kind"]) == ("partial_success", "import")
    evidence = found["evidence"]
    assert evidence["run_id"] == run_id
    assert evidence["rows"] == {"loaded": 7, "failed": 7, "total": 14}
    groups = [(g["rows"], g["kb"], g["untrusted_data"]["pattern"]) for g in evidence["groups"]]
    assert groups == [
        (3, "row-invalid-number", "Invalid number: <value>"),
        (2, "row-item-not-in-list", "Item not located in Products list: <value>"),
        (1, "row-invalid-date", "Invalid date: <value>"),
        (1, "row-item-not-in-list", "Item not located in Regions list: <value>"),
    ]
    first = evidence["groups"][0]["untrusted_data"]["samples"]
    assert [(s["line"], s["column"], s["value"]) for s in first] == [
        (3, "Units", "3x"),
        (6, "Units", "n/a"),
    ]
    assert "Invalid number" in found["cause"] and "Invalid date" in found["cause"]
    assert "Doohickey" not in found["cause"]  # row values stay in untrusted data
    assert found["next_calls"][0] == {
        "tool": "get_failure_dump",
        "arguments": {"run_id": run_id},
        "why": found["next_calls"][0]["why"],
    }
    assert found["untrusted_data"]["source"] == "sales/four_kinds.csv"


async def test_export_failed_now_is_explained_by_its_run_id(client: Client) -> None:
    outcome = await call(
        client, "run_integration", integration_id=seed.FINANCE_EXPORT_ID, wait=True
    )
    assert outcome["outcome"] == "failed"

    found = await call(client, "diagnose_integration", run_id=outcome["run_id"])

    assert (found["outcome"], found["kind"]) == ("failed", "export")
    assert found["integration_id"] == seed.FINANCE_EXPORT_ID
    evidence = found["evidence"]
    assert (evidence["run_id"], evidence["error_code"]) == (outcome["run_id"], 39)
    assert "groups" not in evidence and "rows" not in evidence
    assert seed.FINANCE_S3_CONNECTION_ID in found["cause"]
    tools = [c["tool"] for c in found["next_calls"]]
    assert "get_failure_dump" not in tools  # an export rejects no rows: there is no dump
    assert tools[0] == "update_connection"


async def test_rotated_bucket_key_makes_the_import_connection_invalid(
    sandbox: Sandbox, client: Client
) -> None:
    # The bucket owner rotates its key the way the seed rotates the finance bucket's key; the
    # sales connection still presents the old one.
    sandbox.store.storage[f"s3:{seed.SALES_BUCKET}"]["credential"] = "AKIAROTATED:new-secret"
    outcome = await call(client, "run_integration", integration_id=seed.SALES_IMPORT_ID, wait=True)
    assert outcome["outcome"] == "failed"

    found = await call(client, "diagnose_integration", integration_id=seed.SALES_IMPORT_ID)

    assert found["outcome"] == "failed"
    assert found["evidence"]["run_id"] == outcome["run_id"]
    [connection] = found["evidence"]["connections"]
    assert connection["connection_id"] == seed.SALES_S3_CONNECTION_ID
    assert (connection["valid"], connection["error_code"]) == (False, 1)
    assert seed.SALES_S3_CONNECTION_ID in found["cause"] and "invalid" in found["cause"]
    update = found["next_calls"][0]
    assert update["tool"] == "update_connection"
    assert update["arguments"]["connection_id"] == seed.SALES_S3_CONNECTION_ID
    assert {"access_key_id", "secret_access_key"} <= set(update["arguments"])
    assert found["next_calls"][-1]["tool"] == "run_integration"
    # Every suggested call names arguments its tool really takes.
    schemas = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    for suggested in found["next_calls"]:
        assert set(suggested["arguments"]) <= set(schemas[suggested["tool"]]["properties"])


async def test_a_run_in_progress_has_no_outcome_yet_then_its_result(
    sandbox: Sandbox, client: Client
) -> None:
    started = await call(client, "run_integration", integration_id=seed.PRODUCTS_IMPORT_ID)
    assert started["outcome"] == "running"

    running = await call(client, "diagnose_integration", integration_id=seed.PRODUCTS_IMPORT_ID)

    assert running["outcome"] == "running"
    assert "still running" in running["what_happened"]
    assert running["fix"] == []
    assert [c["tool"] for c in running["next_calls"]] == ["get_run_history", "cancel_run"]
    sandbox.clock.advance(10)  # past the run's five seconds
    done = await call(client, "diagnose_integration", integration_id=seed.PRODUCTS_IMPORT_ID)
    assert done["outcome"] == "succeeded"


async def test_a_running_run_by_its_id_is_reported_as_running(
    sandbox: Sandbox, client: Client
) -> None:
    [run] = [r for r in sandbox.store.runs.values() if r["message"] == "Running"]
    assert run["integrationId"] == seed.NIGHTLY_PROCESS_ID

    found = await call(client, "diagnose_integration", run_id=run["id"])

    assert (found["outcome"], found["kind"]) == ("running", "process")
    assert found["evidence"] == {"run_id": run["id"]}
    assert "no outcome yet" in found["cause"]
    tools = [c["tool"] for c in found["next_calls"]]
    assert "get_failure_dump" not in tools
    # A second run would be refused while this one goes on: offer to watch or stop it instead.
    assert "run_integration" not in tools and "cancel_run" in tools


async def create_sales_import(sandbox: Sandbox, name: str) -> str:
    """A new import through the CloudWorks API, as a user would create it."""
    async with httpx2.AsyncClient(
        base_url="http://sandbox", transport=sandbox_transport(sandbox)
    ) as http:
        login = await http.post("/token/authenticate", auth=(SEEDED_USER, SEEDED_PASSWORD))
        token = login.json()["tokenInfo"]["tokenValue"]
        body = {
            "name": name,
            "version": "2.0",
            "workspaceId": seed.WORKSPACE_ID,
            "modelId": seed.SALES_MODEL_ID,
            "jobs": [
                {
                    "type": "AmazonS3ToAnaplan",
                    "sources": [
                        {
                            "type": "AmazonS3",
                            "connectionId": seed.SALES_S3_CONNECTION_ID,
                            "file": seed.SALES_CORRECTED_FILE,
                        }
                    ],
                    "targets": [
                        {
                            "type": "Anaplan",
                            "actionId": seed.SALES_IMPORT_ACTION_ID,
                            "fileId": "113000000001",
                        }
                    ],
                }
            ],
        }
        response = await http.post(
            "/2/0/integrations", json=body, headers={"Authorization": f"AnaplanAuthToken {token}"}
        )
        response.raise_for_status()
        return str(response.json()["integration"]["integrationId"])


async def test_an_integration_that_never_ran_says_so(sandbox: Sandbox, client: Client) -> None:
    integration_id = await create_sales_import(sandbox, "Sales backfill import")

    found = await call(client, "diagnose_integration", integration_name="sales backfill import")

    assert found["outcome"] == "never_ran"
    assert found["integration_id"] == integration_id
    assert "never run" in found["what_happened"]
    assert found["evidence"] == {} and found["fix"] == []
    assert found["next_calls"][0]["arguments"] == {"integration_id": integration_id}
    await call(client, "run_integration", integration_id=integration_id, wait=True)
    after = await call(client, "diagnose_integration", integration_id=integration_id)
    assert after["outcome"] == "succeeded"


@pytest.mark.parametrize(
    ("argument", "listing"),
    [
        ("integration_id", "list_integrations"),
        ("run_id", "get_run_history"),
        ("flow_id", "list_flows"),
    ],
)
async def test_an_id_that_does_not_exist_is_a_clear_error(
    client: Client, argument: str, listing: str
) -> None:
    text = await error_text(client, "diagnose_integration", **{argument: MISSING_ID})
    assert MISSING_ID in text
    assert "404" in text and "not found" in text.lower()
    assert listing in text
    assert "Traceback" not in text


async def test_a_name_nothing_has_is_a_clear_error(client: Client) -> None:
    text = await error_text(client, "diagnose_integration", integration_name="Payroll to SAP")
    assert "integration_name" in text and "list_integrations" in text
