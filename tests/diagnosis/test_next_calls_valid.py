"""Every call a diagnosis suggests is a valid call of the tool it names.

Runs every diagnosis case the suite knows through the server (in-memory `mcp.Client`): each
seeded integration and flow, each item `find_failed_runs` lists, and the cases made here (a
missing file or table, a header mismatch, a deleted bucket or container, a bucket policy that
denies, rotated credentials of each connection type, a deleted connection, a run in progress, a
cancelled run, a schedule disabled after its end date, an integration that never ran). Each
`next_calls` entry is checked against its tool's inputSchema from tools/list (jsonschema, formats
included) and by the server's own argument check (ArgumentGuard), and may hold a `<...>`
placeholder only for a credential, whose current value the server never shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.diagnosis.conftest import call
from tests.diagnosis.test_diagnose_cases import create_sales_import
from tests.suggestions import Checker, next_calls_in

pytestmark = pytest.mark.anyio

SALES = f"s3:{seed.SALES_BUCKET}"


async def checker_for(client: Client) -> Checker:
    return Checker((await client.list_tools()).tools)


async def check_diagnosis(client: Client, checker: Checker, **target: str) -> list[str]:
    """The problems of every suggested call of one diagnosis (labelled with its target)."""
    found = await call(client, "diagnose_integration", **target)
    calls = list(next_calls_in(found))
    problems = [p for suggested in calls for p in checker.problems(suggested)]
    if not calls and found["outcome"] != "ambiguous":
        problems.append("no next call at all")
    return [f"diagnose_integration({target}): {p}" for p in problems]


async def test_every_seeded_and_every_listed_failure_suggests_valid_calls(
    sandbox: Sandbox, client: Client
) -> None:
    checker = await checker_for(client)
    problems: list[str] = []
    for integration_id in sandbox.store.integrations:
        problems += await check_diagnosis(client, checker, integration_id=integration_id)
    for flow_id in sandbox.store.flows:
        problems += await check_diagnosis(client, checker, flow_id=flow_id)
    failed = await call(client, "find_failed_runs", hours=24 * 31)
    problems += [p for c in next_calls_in(failed) for p in checker.problems(c)]
    assert failed["items"]
    for item in failed["items"]:
        if item["kind"] == "flow":
            problems += await check_diagnosis(client, checker, flow_id=item["flow_id"])
        elif item.get("run_id"):
            problems += await check_diagnosis(client, checker, run_id=item["run_id"])
        else:
            problems += await check_diagnosis(
                client, checker, integration_id=item["integration_id"]
            )

    assert not problems, "\n".join(problems)
    # The seeded tenant's failures lead to each kind of repair (a test that could go stale).
    assert checker.seen >= {
        "get_failure_dump",
        "update_connection",
        "update_integration",
        "schedule_integration",
        "set_schedule_status",
        "run_flow",
        "run_integration",
        "get_run_history",
        "get_flow",
    }


Breakage = Callable[[Sandbox, Client], Awaitable[dict[str, str]]]


async def failed_run(client: Client, integration_id: str) -> dict[str, str]:
    outcome = await call(client, "run_integration", integration_id=integration_id, wait=True)
    assert outcome["outcome"] == "failed", outcome
    return {"run_id": outcome["run_id"]}


async def missing_file(sandbox: Sandbox, client: Client) -> dict[str, str]:
    await call(client, "update_integration", integration_id=seed.SALES_IMPORT_ID, path="x/y.csv")
    return await failed_run(client, seed.SALES_IMPORT_ID)


async def header_mismatch(sandbox: Sandbox, client: Client) -> dict[str, str]:
    sandbox.store.storage[SALES]["objects"]["short.csv"] = "Date,Units\n2026-11-01,3\n"
    await call(client, "update_integration", integration_id=seed.SALES_IMPORT_ID, path="short.csv")
    return await failed_run(client, seed.SALES_IMPORT_ID)


async def missing_table(sandbox: Sandbox, client: Client) -> dict[str, str]:
    await call(client, "update_integration", integration_id=seed.FORECAST_IMPORT_ID, table="gone")
    return await failed_run(client, seed.FORECAST_IMPORT_ID)


async def process_file_missing(sandbox: Sandbox, client: Client) -> dict[str, str]:
    await call(client, "cancel_run", integration_id=seed.NIGHTLY_PROCESS_ID)
    del sandbox.store.storage[SALES]["objects"]["reference/products.csv"]
    return await failed_run(client, seed.NIGHTLY_PROCESS_ID)


def storage_change(key: str, integration_id: str, **change: Any) -> Breakage:
    async def breakage(sandbox: Sandbox, client: Client) -> dict[str, str]:
        sandbox.store.storage[key].update(change)
        return await failed_run(client, integration_id)

    return breakage


async def connection_deleted(sandbox: Sandbox, client: Client) -> dict[str, str]:
    del sandbox.store.connections[seed.SALES_S3_CONNECTION_ID]
    return await failed_run(client, seed.PRODUCTS_IMPORT_ID)


async def running_run(sandbox: Sandbox, client: Client) -> dict[str, str]:
    [run] = [r for r in sandbox.store.runs.values() if r["message"] == "Running"]
    return {"run_id": run["id"]}


async def cancelled_run(sandbox: Sandbox, client: Client) -> dict[str, str]:
    started = await call(client, "run_integration", integration_id=seed.PRODUCTS_IMPORT_ID)
    await call(client, "cancel_run", integration_id=seed.PRODUCTS_IMPORT_ID)
    return {"run_id": started["run_id"]}


async def disabled_after_its_end(sandbox: Sandbox, client: Client) -> dict[str, str]:
    await call(client, "set_schedule_status", integration_id=seed.FX_IMPORT_ID, status="disabled")
    return {"integration_id": seed.FX_IMPORT_ID}


async def never_ran(sandbox: Sandbox, client: Client) -> dict[str, str]:
    return {"integration_id": await create_sales_import(sandbox, "Sales backfill import")}


AZURE = "azure:acmefinstorage/finance-landing"
CASES: dict[str, Breakage] = {
    "missing file": missing_file,
    "header mismatch": header_mismatch,
    "missing BigQuery table": missing_table,
    "process file missing": process_file_missing,
    "bucket deleted": storage_change(SALES, seed.SALES_IMPORT_ID, missing=True),
    "container deleted": storage_change(AZURE, seed.GL_IMPORT_ID, missing=True),
    "read denied": storage_change(SALES, seed.SALES_IMPORT_ID, denied=["read"]),
    "write denied": storage_change(SALES, seed.SALES_EXPORT_ID, denied=["write"]),
    "S3 key rotated": storage_change(SALES, seed.SALES_IMPORT_ID, credential="AKIA:new"),
    "SAS token rotated": storage_change(AZURE, seed.GL_IMPORT_ID, credential="sv=new"),
    "BigQuery key rotated": storage_change(
        "bq:acme_analytics", seed.FORECAST_IMPORT_ID, credential="new@x:1"
    ),
    "connection deleted": connection_deleted,
    "run in progress": running_run,
    "cancelled run": cancelled_run,
    "schedule disabled after its end date": disabled_after_its_end,
    "never ran": never_ran,
}


@pytest.mark.parametrize("case", list(CASES))
async def test_each_made_case_suggests_valid_calls(
    sandbox: Sandbox, client: Client, case: str
) -> None:
    target = await CASES[case](sandbox, client)
    checker = await checker_for(client)

    problems = await check_diagnosis(client, checker, **target)

    assert not problems, "\n".join(problems)


async def test_the_checker_catches_what_the_issue_saw(client: Client) -> None:
    checker = await checker_for(client)
    expired = {"integration_id": seed.FX_IMPORT_ID, "schedule": "<new schedule>"}
    assert any(
        "unknown argument(s) schedule" in p
        for p in checker.problems(
            {"tool": "schedule_integration", "arguments": expired, "why": "x"}
        )
    )
    path = {"integration_id": seed.SALES_IMPORT_ID, "path": "<corrected file path>"}
    assert checker.problems({"tool": "update_integration", "arguments": path, "why": "x"})
    keys = {"connection_id": seed.SALES_S3_CONNECTION_ID, "sas_token": "<new, from the user>"}
    assert not checker.problems({"tool": "update_connection", "arguments": keys, "why": "x"})


async def test_the_expired_schedule_is_replaced_by_following_its_suggestion(
    client: Client,
) -> None:
    found = await call(client, "diagnose_integration", integration_id=seed.FX_IMPORT_ID)
    assert found["outcome"] == "did_not_run"
    [replace] = [c for c in found["next_calls"] if c["tool"] == "schedule_integration"]
    before = (await call(client, "get_integration", integration_id=seed.FX_IMPORT_ID))["schedule"]

    changed = await call(client, replace["tool"], **replace["arguments"])

    after = changed["after"]
    assert before["end_date"] is not None
    assert (after["end_date"], after["status"]) == (None, "Active")
    assert {k: after[k] for k in ("type", "time", "timezone", "name")} == {
        k: before[k] for k in ("type", "time", "timezone", "name")
    }
    # 06:00 in Tokyo has passed today (17:00 there), so it starts tomorrow: nothing is owed yet.
    assert after["start_date"] == "2026-11-24"
    again = await call(client, "diagnose_integration", integration_id=seed.FX_IMPORT_ID)
    assert again["outcome"] != "did_not_run"
