"""diagnose_integration names the cause a failed action's own error lines give (runerror).

Each case breaks the seeded tenant the way its owner would (a file not delivered, a file with
another header, a bucket deleted, a bucket policy), runs the integration with the MCP tools and
reads the diagnosis: the cause is the knowledge base's, the tenant's words stay in untrusted_data,
the next calls carry the current values to change, and no dump is offered where none exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mcp import Client

from anaplan_mcp.diagnosis.knowledge import get_entry
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.diagnosis.conftest import call

pytestmark = pytest.mark.anyio

SALES = f"s3:{seed.SALES_BUCKET}"
MISSING_PATH = "forecast/forecast.csv"


def explanation(entry_id: str) -> str:
    entry = get_entry(entry_id)
    assert entry is not None
    return entry.explanation


async def run_and_diagnose(client: Client, integration_id: str) -> dict[str, Any]:
    outcome = await call(client, "run_integration", integration_id=integration_id, wait=True)
    assert outcome["outcome"] == "failed", outcome
    found = await call(client, "diagnose_integration", run_id=outcome["run_id"])
    assert found["evidence"]["run_id"] == outcome["run_id"]
    return found


def server_prose(found: dict[str, Any]) -> str:
    """Everything the server wrote in its own words (not untrusted_data, not arguments)."""
    parts = [found["what_happened"], found["cause"], *found["fix"], *found["what_changed"]]
    return " ".join(parts + [c["why"] for c in found["next_calls"]])


def no_dump_offered(found: dict[str, Any]) -> bool:
    tools = [c["tool"] for c in found["next_calls"]]
    return "get_failure_dump" not in tools and "get_failure_dump" not in " ".join(found["fix"])


async def test_a_missing_source_file_is_named_with_the_path_to_change(client: Client) -> None:
    await call(client, "update_integration", integration_id=seed.SALES_IMPORT_ID, path=MISSING_PATH)

    found = await run_and_diagnose(client, seed.SALES_IMPORT_ID)

    assert (found["outcome"], found["kind"]) == ("failed", "import")
    assert found["cause"] == explanation("run-source-not-found")
    assert "process" not in server_prose(found).lower()
    assert no_dump_offered(found)
    assert MISSING_PATH not in server_prose(found)  # the path is tenant text
    assert found["untrusted_data"]["source"] == MISSING_PATH
    assert f"'{MISSING_PATH}' was not found" in found["untrusted_data"]["messages"]
    update, rerun = found["next_calls"]
    assert update == {
        "tool": "update_integration",
        "arguments": {"integration_id": seed.SALES_IMPORT_ID, "path": MISSING_PATH},
        "why": update["why"],
    }
    assert "path" in update["why"]
    assert rerun["tool"] == "run_integration"
    # Following the suggestion with the file that exists makes the next run succeed.
    fixed = {**update["arguments"], "path": seed.SALES_CORRECTED_FILE}
    await call(client, update["tool"], **fixed)
    after = await call(client, "run_integration", **rerun["arguments"])
    assert after["outcome"] == "succeeded"


async def test_a_file_with_another_header_is_an_incorrect_file_structure(
    sandbox: Sandbox, client: Client
) -> None:
    sandbox.store.storage[SALES]["objects"]["sales/short.csv"] = (
        "Date,Region,Units\n2026-11-01,N,3\n"
    )
    await call(
        client, "update_integration", integration_id=seed.SALES_IMPORT_ID, path="sales/short.csv"
    )

    found = await run_and_diagnose(client, seed.SALES_IMPORT_ID)

    assert found["cause"] == explanation("run-file-structure")
    assert no_dump_offered(found)
    assert found["next_calls"][0]["arguments"] == {
        "integration_id": seed.SALES_IMPORT_ID,
        "path": "sales/short.csv",
    }


async def test_a_deleted_bucket_points_at_the_connection_and_its_bucket_name(
    sandbox: Sandbox, client: Client
) -> None:
    sandbox.store.storage[SALES]["missing"] = True

    found = await run_and_diagnose(client, seed.SALES_IMPORT_ID)

    [connection] = found["evidence"]["connections"]
    assert (connection["connection_id"], connection["error_code"]) == (
        seed.SALES_S3_CONNECTION_ID,
        4,
    )
    assert seed.SALES_S3_CONNECTION_ID in found["cause"] and "bucket" in found["cause"]
    assert not any("credentials" in line for line in found["fix"])
    assert found["next_calls"][0] == {
        "tool": "update_connection",
        "arguments": {
            "connection_id": seed.SALES_S3_CONNECTION_ID,
            "bucket_name": seed.SALES_BUCKET,
        },
        "why": found["next_calls"][0]["why"],
    }
    assert no_dump_offered(found)


async def test_a_missing_azure_container_is_named_although_its_code_is_undocumented(
    sandbox: Sandbox, client: Client
) -> None:
    sandbox.store.storage["azure:acmefinstorage/finance-landing"]["missing"] = True

    found = await run_and_diagnose(client, seed.GL_IMPORT_ID)

    assert found["evidence"]["connections"][0]["error_code"] == 46
    assert found["cause"].endswith(explanation("run-bucket-not-found"))
    assert found["next_calls"][0]["arguments"] == {
        "connection_id": seed.FINANCE_AZURE_CONNECTION_ID,
        "container_name": "finance-landing",
    }


Breakage = Callable[[Sandbox, Client], Awaitable[None]]


async def deny_reads(sandbox: Sandbox, client: Client) -> None:
    sandbox.store.storage[SALES]["denied"] = ["read"]


async def deny_writes(sandbox: Sandbox, client: Client) -> None:
    sandbox.store.storage[SALES]["denied"] = ["write"]


@pytest.mark.parametrize(
    ("breakage", "integration_id", "kind"),
    [(deny_reads, seed.SALES_IMPORT_ID, "import"), (deny_writes, seed.SALES_EXPORT_ID, "export")],
)
async def test_access_denied_by_the_bucket_is_named_and_the_connection_left_alone(
    sandbox: Sandbox, client: Client, breakage: Breakage, integration_id: str, kind: str
) -> None:
    await breakage(sandbox, client)

    found = await run_and_diagnose(client, integration_id)

    assert found["kind"] == kind
    assert found["cause"] == explanation("run-access-denied")
    assert "connections" not in found["evidence"]  # every connection is valid
    assert [c["tool"] for c in found["next_calls"]] == ["run_integration"]
    assert no_dump_offered(found)


async def test_a_process_names_the_job_whose_file_is_missing(
    sandbox: Sandbox, client: Client
) -> None:
    await call(client, "cancel_run", integration_id=seed.NIGHTLY_PROCESS_ID)
    del sandbox.store.storage[SALES]["objects"]["reference/products.csv"]

    found = await run_and_diagnose(client, seed.NIGHTLY_PROCESS_ID)

    assert found["kind"] == "process"
    assert found["what_happened"].startswith("The process's")
    assert found["cause"] == explanation("run-source-not-found")
    assert found["untrusted_data"]["source"] == "reference/products.csv"
    assert found["next_calls"][0]["arguments"] == {
        "integration_id": seed.NIGHTLY_PROCESS_ID,
        "path": "reference/products.csv",
        "job_index": 0,
    }


async def test_a_missing_bigquery_table_suggests_the_table_to_change(client: Client) -> None:
    await call(
        client, "update_integration", integration_id=seed.FORECAST_IMPORT_ID, table="forecast_v2"
    )

    found = await run_and_diagnose(client, seed.FORECAST_IMPORT_ID)

    assert found["cause"] == explanation("run-source-not-found")
    assert found["next_calls"][0]["arguments"] == {
        "integration_id": seed.FORECAST_IMPORT_ID,
        "table": "forecast_v2",
    }
