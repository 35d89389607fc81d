"""The run state machine on the sandbox clock: outcomes follow the data, fixes take effect."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx2
import pytest
from sandbox_http import CW, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio


async def run_now(cw: httpx2.AsyncClient, integration_id: str) -> str:
    answer = await cw.post(f"{CW}/{integration_id}/run")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["run"]["id"])


async def run_status(cw: httpx2.AsyncClient, run_id: str) -> dict[str, Any]:
    answer = await cw.get(f"{CW}/run/{run_id}")
    assert answer.status_code == 200
    return dict(answer.json()["run"])


async def finished_run(cw: httpx2.AsyncClient, sandbox: Sandbox, integration_id: str) -> str:
    run_id = await run_now(cw, integration_id)
    sandbox.clock.advance(sandbox.config.run_seconds)
    return run_id


async def test_a_run_is_running_at_once_and_succeeds_after_run_seconds(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    run_id = await run_now(cw, seed.PRODUCTS_IMPORT_ID)
    running = await run_status(cw, run_id)
    assert (running["message"], running["endDate"], running["success"]) == ("Running", None, False)
    assert running["integrationId"] == seed.PRODUCTS_IMPORT_ID
    assert running["triggerSource"] == "manual"
    assert running["flowGroupId"] is None
    cw_sandbox.clock.advance(cw_sandbox.config.run_seconds - 1)
    assert (await run_status(cw, run_id))["message"] == "Running"
    cw_sandbox.clock.advance(1)
    done = await run_status(cw, run_id)
    assert (done["message"], done["success"], done["executionErrorCode"]) == ("Success", True, None)
    assert done["endDate"] is not None
    errors = await cw.get(f"{CW}/runerror/{run_id}")
    assert errors.json()["runs"] == {}
    dump = await cw.get(f"{CW}/run/{run_id}/dumps")
    assert status_message(dump) == (404, "Your integration run was successful / no errors")


async def test_a_second_run_while_running_is_409_and_cancel_ends_it(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    idle = await cw.post(f"{CW}/{seed.GL_IMPORT_ID}/cancel")
    assert status_message(idle) == (409, f"Integration {seed.GL_IMPORT_ID} is not in running state")
    run_id = await run_now(cw, seed.GL_IMPORT_ID)
    again = await cw.post(f"{CW}/{seed.GL_IMPORT_ID}/run", json={})
    assert status_message(again) == (409, "Integration is already running")
    cancelled = await cw.post(f"{CW}/{seed.GL_IMPORT_ID}/cancel")
    assert cancelled.status_code == 200
    status = await run_status(cw, run_id)
    assert (status["message"], status["success"]) == ("Cancelled", False)
    assert status["endDate"] is not None
    cw_sandbox.clock.advance(60)
    assert (await run_status(cw, run_id))["message"] == "Cancelled"


async def test_partial_import_has_row_counts_run_errors_and_a_quoted_csv_dump(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    run_id = await finished_run(cw, cw_sandbox, seed.SALES_IMPORT_ID)
    status = await run_status(cw, run_id)
    assert status["success"] is True
    assert status["executionErrorCode"] == 38
    assert status["message"] == (
        "Sales import: 97 (97/100) rows successful, 0 (0/0) rows has warnings, 3 failed, 0 ignored"
    )
    errors = (await cw.get(f"{CW}/runerror/{run_id}")).json()["runs"]
    assert isinstance(errors, dict)
    assert errors["id"] == run_id
    (message,) = errors["errorMessages"]
    assert message["failureDumpGenerated"] is True
    assert message["actionId"] == seed.SALES_IMPORT_ACTION_ID
    assert message["errorMessage"][0]["type"] == "hierarchyRowsProcessedWithFailures"
    dump = await cw.get(f"{CW}/run/{run_id}/dumps")
    assert dump.status_code == 200
    assert dump.headers["content-type"].startswith("text/csv")
    lines = dump.text.splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    rows = list(csv.DictReader(io.StringIO(dump.text)))
    assert list(rows[0]) == ["Date", "Region", "Product", "Units", "Amount", "_Line_", "_Error_1_"]
    assert {row["_Error_1_"] for row in rows} == {
        "Invalid number: 12x",
        "Item not located in Products list: Widget Z",
        "Invalid date: 2026-02-30",
    }
    assert [row["_Line_"] for row in rows] == ["18", "47", "83"]
    singular = await cw.get(f"{CW}/run/{run_id}/dump")
    assert singular.status_code == 404
    assert singular.headers["content-type"].startswith("text/html")


async def test_pointing_the_job_at_the_corrected_file_makes_the_next_run_succeed(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    detail = (await cw.get(f"{CW}/{seed.SALES_IMPORT_ID}")).json()["integration"]
    body = {key: detail[key] for key in ("name", "version", "workspaceId", "modelId")}
    job = detail["jobs"][0]
    source = {
        "type": "AmazonS3",
        "connectionId": job["sources"][0]["connectionId"],
        "file": seed.SALES_CORRECTED_FILE,
    }
    body["jobs"] = [{"type": job["type"], "sources": [source], "targets": job["targets"]}]
    assert (await cw.put(f"{CW}/{seed.SALES_IMPORT_ID}", json=body)).status_code == 200
    run_id = await finished_run(cw, cw_sandbox, seed.SALES_IMPORT_ID)
    status = await run_status(cw, run_id)
    assert (status["success"], status["message"]) == (True, "Success")


async def test_invalid_connection_fails_the_export_until_the_connection_is_repaired(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    failed_id = await finished_run(cw, cw_sandbox, seed.FINANCE_EXPORT_ID)
    failed = await run_status(cw, failed_id)
    assert failed["success"] is False
    assert failed["executionErrorCode"] is not None
    assert "Connection Error" in failed["message"]
    errors = (await cw.get(f"{CW}/runerror/{failed_id}")).json()["runs"]
    assert errors["errorMessages"][0]["failureDumpGenerated"] is False
    await cw.patch(
        f"{CW}/connections/{seed.FINANCE_S3_CONNECTION_ID}",
        json={
            "accessKeyId": seed.FINANCE_EXPORTS_ACCESS_KEY_ID,
            "secretAccessKey": seed.FINANCE_EXPORTS_SECRET_ACCESS_KEY,
        },
    )
    fixed = await run_status(cw, await finished_run(cw, cw_sandbox, seed.FINANCE_EXPORT_ID))
    assert (fixed["success"], fixed["message"]) == (True, "Success")
    bucket = cw_sandbox.store.storage[f"s3:{seed.FINANCE_BUCKET}"]["objects"]
    assert any(name.startswith("pnl/") for name in bucket)


async def error_line(cw: httpx2.AsyncClient, run_id: str) -> dict[str, Any]:
    """The first error line of the run's first failed action."""
    action = (await cw.get(f"{CW}/runerror/{run_id}")).json()["runs"]["errorMessages"][0]
    assert action["failureDumpGenerated"] is False
    return dict(action["errorMessage"][0])


async def test_missing_file_and_wrong_header_fail_the_import(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    objects = cw_sandbox.store.storage[f"s3:{seed.SALES_BUCKET}"]["objects"]
    objects["reference/products.csv"] = "Item,Category,Price\nWidget A,Hardware,1\n"
    header_id = await finished_run(cw, cw_sandbox, seed.PRODUCTS_IMPORT_ID)
    header = await run_status(cw, header_id)
    assert (header["success"], header["executionErrorCode"]) == (False, 12)
    assert header["message"] == "Process failed"
    line = await error_line(cw, header_id)
    assert line["type"] == "incorrectFileStructure"
    assert line["localMessageText"].startswith("Incorrect file structure: column 'Product'")
    del objects["reference/products.csv"]
    missing_id = await finished_run(cw, cw_sandbox, seed.PRODUCTS_IMPORT_ID)
    assert (await run_status(cw, missing_id))["success"] is False
    line = await error_line(cw, missing_id)
    assert line["type"] == "sourceNotFound"
    assert line["localMessageText"] == "'reference/products.csv' was not found"


async def test_a_deleted_bucket_invalidates_the_connection_and_fails_the_run(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    cw_sandbox.store.storage[f"s3:{seed.SALES_BUCKET}"]["missing"] = True
    run_id = await finished_run(cw, cw_sandbox, seed.PRODUCTS_IMPORT_ID)
    failed = await run_status(cw, run_id)
    assert (failed["success"], failed["message"]) == (False, "Anaplan Connection Error")
    line = await error_line(cw, run_id)
    assert line["type"] == "bucketNotFound"
    assert f"bucket '{seed.SALES_BUCKET}' does not exist" in line["localMessageText"]
    connection = cw_sandbox.store.connections[seed.SALES_S3_CONNECTION_ID]
    assert (connection["status"], connection["integrationErrorCode"]) == (0, 4)


@pytest.mark.parametrize(
    ("denied", "integration_id", "verb"),
    [("read", seed.PRODUCTS_IMPORT_ID, "read"), ("write", seed.SALES_EXPORT_ID, "write")],
)
async def test_a_bucket_policy_that_denies_the_operation_fails_the_run_only(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox, denied: str, integration_id: str, verb: str
) -> None:
    cw_sandbox.store.storage[f"s3:{seed.SALES_BUCKET}"]["denied"] = [denied]
    run_id = await finished_run(cw, cw_sandbox, integration_id)
    assert (await run_status(cw, run_id))["success"] is False
    line = await error_line(cw, run_id)
    assert line["type"] == "accessDenied"
    assert line["localMessageText"].startswith(f"Access denied: cannot {verb} '")
    # The key still opens the bucket: the connection stays valid.
    assert cw_sandbox.store.connections[seed.SALES_S3_CONNECTION_ID]["status"] == 1


async def test_the_seeded_process_finishes_partly_with_a_dump_per_import_action(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    history = (await cw.get(f"{CW}/runs/{seed.NIGHTLY_PROCESS_ID}")).json()["history_of_runs"]
    current = history["runs"][0]
    assert (current["message"], current["endDate"]) == ("Running", None)
    assert isinstance(current["lastRun"], int)
    cw_sandbox.clock.advance(seed.RUNNING_PROCESS_SECONDS)
    status = await run_status(cw, current["id"])
    assert status["executionErrorCode"] == 38
    assert status["success"] is True
    errors = (await cw.get(f"{CW}/runerror/{current['id']}")).json()["runs"]
    action_id = errors["errorMessages"][0]["actionId"]
    assert action_id == seed.SALES_IMPORT_ACTION_ID
    dump = await cw.get(f"{CW}/run/{current['id']}/process/import/{action_id}/dumps")
    assert dump.status_code == 200
    assert "_Error_1_" in dump.text
    clean = await cw.get(f"{CW}/run/{current['id']}/process/import/112000000002/dumps")
    assert status_message(clean) == (404, "Your integration run was successful / no errors")


async def test_run_history_is_newest_first_and_paged(cw: httpx2.AsyncClient) -> None:
    answer = await cw.get(f"{CW}/runs/{seed.SALES_IMPORT_ID}", params={"limit": 3, "offset": 1})
    history = answer.json()["history_of_runs"]
    assert history["integrationId"] == seed.SALES_IMPORT_ID
    assert history["totalRuns"] == 7
    starts = [run["lastRun"] for run in history["runs"]]
    assert len(starts) == 3
    assert starts == sorted(starts, reverse=True)
    unknown = await cw.get(f"{CW}/runs/{'0' * 32}")
    assert status_message(unknown) == (404, "Resource not found")
    assert status_message(await cw.get(f"{CW}/run/{'0' * 32}")) == (404, "Resource not found")
