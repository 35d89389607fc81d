"""Every operation end to end against the sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from anaplan_mcp.cloudworks import CloudWorksClient, ConflictError, NotFoundError
from anaplan_mcp.models import (
    FlowDetail,
    IntegrationDetail,
    ModelObject,
    S3ConnectionInput,
)
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.seed_data import SALES_BAD_CELLS, SANDBOX_USER_ID, users

from .conftest import USER, sent

pytestmark = pytest.mark.anyio


async def _sales_model(cw: CloudWorksClient) -> tuple[str, str, dict[str, list[ModelObject]]]:
    workspace = (await cw.list_workspaces())[0]
    models = await cw.list_models(workspace.id)
    model = next(m for m in models if m.name == "Sales Planning")
    objects = {
        kind: await cw.list_model_objects(workspace.id, model.id, kind)
        for kind in ("imports", "exports", "processes", "files")
    }
    return workspace.id, model.id, objects


def _s3(name: str, bucket: str = "cloudworks-client-tests") -> dict[str, Any]:
    return {
        "type": "AmazonS3",
        "name": name,
        "access_key_id": "AKIACLIENTTEST",
        "secret_access_key": "client-test-secret",
        "bucket_name": bucket,
    }


async def _import_integration(cw: CloudWorksClient, name: str) -> tuple[str, dict[str, Any]]:
    workspace_id, model_id, objects = await _sales_model(cw)
    connection_id = await cw.create_connection(_s3(f"{name} source"))
    the_import = objects["imports"][0]
    body = {
        "name": name,
        "workspace_id": workspace_id,
        "model_id": model_id,
        "jobs": [
            {
                "type": "AmazonS3ToAnaplan",
                "sources": [{"type": "AmazonS3", "connection_id": connection_id, "file": "in.csv"}],
                "targets": [
                    {
                        "type": "Anaplan",
                        "action_id": the_import.id,
                        "file_id": the_import.import_data_source_id,
                    }
                ],
            }
        ],
    }
    return await cw.create_integration(body), body


async def test_integration_api_reads(cw: CloudWorksClient) -> None:
    workspace_id, model_id, objects = await _sales_model(cw)
    assert all(objects[kind] for kind in ("imports", "exports", "processes", "files"))
    assert objects["imports"][0].id.startswith("112")
    assert objects["processes"][0].id.startswith("118")
    every_model = await cw.list_models()
    assert model_id in {model.id for model in every_model}
    assert workspace_id


async def test_validate_token_names_the_user(cw: CloudWorksClient) -> None:
    check = await cw.validate_token()
    assert check.user_id == USER
    assert check.expires_at is not None


async def test_get_me_names_the_signed_in_user(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    sandbox.faults.clear_requests()
    me = await cw.get_me()
    assert (me.id, me.email, me.full_name) == (seed.SANDBOX_USER_GUID, USER, "Sandbox User")
    assert me.id == users()[SANDBOX_USER_ID]["userGuid"]  # the GUID notifications take
    assert [r.path for r in sent(sandbox, "GET", "/users/")] == ["/2/0/users/me"]


async def test_connection_lifecycle(cw: CloudWorksClient) -> None:
    connection_id = await cw.create_connection(S3ConnectionInput.model_validate(_s3("first")))
    listed = {c.connection_id: c for c in await cw.list_connections()}
    assert listed[connection_id].body.name == "first"
    assert listed[connection_id].connection_type == "AmazonS3"

    await cw.update_connection(connection_id, _s3("renamed by put"))
    await cw.patch_connection(connection_id, {"name": "renamed by patch"})
    listed = {c.connection_id: c for c in await cw.list_connections()}
    assert listed[connection_id].body.name == "renamed by patch"

    await cw.delete_connection(connection_id)
    assert connection_id not in {c.connection_id for c in await cw.list_connections()}
    with pytest.raises(NotFoundError):
        await cw.delete_connection(connection_id)


async def test_integration_lifecycle(cw: CloudWorksClient) -> None:
    integration_id, body = await _import_integration(cw, "client import")
    detail = await cw.get_integration(integration_id)
    assert isinstance(detail, IntegrationDetail)
    assert detail.name == "client import"
    assert detail.kind == "Import"
    mine = await cw.list_integrations(my_integrations=True, sort_by="-name")
    assert integration_id in {i.integration_id for i in mine}
    names = [i.name for i in await cw.list_integrations(sort_by="name")]
    assert names == sorted(names, key=str.casefold)

    await cw.update_integration(integration_id, {**body, "name": "client import v2"})
    assert (await cw.get_integration(integration_id)).name == "client import v2"

    await cw.delete_integration(integration_id)
    with pytest.raises(NotFoundError):
        await cw.get_integration(integration_id)


async def test_export_and_process_integrations(cw: CloudWorksClient) -> None:
    workspace_id, model_id, objects = await _sales_model(cw)
    connection_id = await cw.create_connection(_s3("export target"))
    export_id = await cw.create_integration(
        {
            "name": "client export",
            "workspace_id": workspace_id,
            "model_id": model_id,
            "jobs": [
                {
                    "type": "AnaplanToAmazonS3",
                    "sources": [{"type": "Anaplan", "action_id": objects["exports"][0].id}],
                    "targets": [
                        {"type": "AmazonS3", "connection_id": connection_id, "file": "out/"}
                    ],
                }
            ],
        }
    )
    process_id = await cw.create_integration(
        {
            "name": "client process",
            "workspace_id": workspace_id,
            "model_id": model_id,
            "process_id": objects["processes"][0].id,
        }
    )
    assert (await cw.get_integration(export_id)).kind == "Export"
    assert (await cw.get_integration(process_id)).kind == "Process"


async def test_schedule_lifecycle(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration_id, _ = await _import_integration(cw, "scheduled")
    schedule = {
        "name": "nightly",
        "type": "daily",
        "time": "02:30",
        "start_date": "2030-01-01",
        "timezone": "Europe/Paris",
    }
    await cw.create_schedule(integration_id, schedule)
    assert (await cw.get_integration(integration_id)).schedule is not None

    weekly = {**schedule, "type": "weekly", "days_of_week": [1, 3]}
    await cw.update_schedule(integration_id, weekly)
    put = sent(sandbox, "PUT", f"/integrations/{integration_id}/schedule")
    assert put[-1].status == 200  # the body carried integrationId (contract §6.5)

    await cw.set_schedule_status(integration_id, enabled=False)
    detail = await cw.get_integration(integration_id)
    assert detail.schedule is not None
    assert detail.schedule.status == "Inactive"
    await cw.set_schedule_status(integration_id, enabled=True)
    assert (await cw.get_integration(integration_id)).schedule.status == "Active"  # type: ignore[union-attr]

    await cw.delete_schedule(integration_id)
    assert (await cw.get_integration(integration_id)).schedule is None


async def test_notification_lifecycle(cw: CloudWorksClient) -> None:
    integration_id, _ = await _import_integration(cw, "notified")
    # Creating an integration creates its notification config (contract §6.5).
    notification_id = (await cw.get_integration(integration_id)).notification_id
    assert notification_id is not None
    config = await cw.get_notification_config(notification_id)
    assert integration_id in config.integration_ids
    user_guid = users()[SANDBOX_USER_ID]["userGuid"]
    body = {
        "integration_ids": [integration_id],
        "channels": ["email"],
        "config": [{"type": "full_failure", "users": [user_guid]}],
    }
    await cw.update_notification_config(notification_id, body)
    updated = await cw.get_notification_config(notification_id)
    assert [rule.type for rule in updated.config] == ["full_failure"]

    await cw.delete_notification_config(notification_id)
    with pytest.raises(NotFoundError):
        await cw.get_notification_config(notification_id)
    new_id = await cw.create_notification_config(body)
    assert (await cw.get_notification_config(new_id)).channels == ["email"]


async def test_runs_status_history_and_cancel(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration_id, _ = await _import_integration(cw, "cancellable")
    with pytest.raises(ConflictError, match="not in running state"):
        await cw.cancel_run(integration_id)
    run_id = await cw.run_integration(integration_id)
    status = await cw.run_status(run_id)
    assert (status.integration_id, status.end_date, status.message) == (
        integration_id,
        None,
        "Running",
    )
    await cw.cancel_run(integration_id)
    assert (await cw.run_status(run_id)).message == "Cancelled"
    history = await cw.run_history(integration_id)
    assert history.runs[0].id == run_id
    assert (await cw.run_errors(run_id)).actions == []


async def test_import_run_errors_and_dump(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    run_id = await cw.run_integration(seed.SALES_IMPORT_ID)
    sandbox.clock.advance(3600)
    status = await cw.run_status(run_id)
    assert (status.success, status.execution_error_code) == (True, 38)
    errors = await cw.run_errors(run_id)
    assert errors.dump_action_ids == [seed.SALES_IMPORT_ACTION_ID]
    dump = await cw.import_dump(run_id)
    assert isinstance(dump, bytes)
    assert b"_Line_" in dump.splitlines()[0]
    assert len(dump.splitlines()) == 1 + len(SALES_BAD_CELLS)


async def test_process_run_dump(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    sandbox.clock.advance(seed.RUNNING_PROCESS_SECONDS + 60)  # the seeded running process ends
    run_id = (await cw.run_history(seed.NIGHTLY_PROCESS_ID, limit=1)).runs[0].id
    errors = await cw.run_errors(run_id)
    assert seed.SALES_IMPORT_ACTION_ID in errors.dump_action_ids
    dump = await cw.process_dump(run_id, int(seed.SALES_IMPORT_ACTION_ID))
    assert b"_Line_" in dump.splitlines()[0]
    with pytest.raises(NotFoundError, match="no errors"):
        await cw.process_dump(run_id, "112999999999")
    with pytest.raises(NotFoundError, match="no errors"):
        await cw.import_dump(run_id)  # a process run's dumps are per action (contract §3.2)


async def test_flow_lifecycle(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    first, _ = await _import_integration(cw, "flow step one")
    second, _ = await _import_integration(cw, "flow step two")
    body = {"name": "client flow", "steps": [{"referrer": first}, {"referrer": second}]}
    flow_id = await cw.create_flow(body)
    assert flow_id in {flow.id for flow in await cw.list_flows()}
    page = await cw.flows_page(limit=1)
    assert len(page.items) == 1
    assert page.meta.total_size is not None

    await cw.update_flow(flow_id, {**body, "name": "client flow v2"})
    flow = await cw.get_flow(flow_id)
    assert isinstance(flow, FlowDetail)
    assert flow.name == "client flow v2"
    assert [step.referrer for step in flow.steps] == [first, second]

    run_id = await cw.run_flow(flow_id, steps_to_run=[second])
    request = sent(sandbox, "POST", f"/integrationflows/{flow_id}/run")
    assert len(request) == 1
    assert run_id
    sandbox.clock.advance(3600)
    finished = await cw.get_flow(flow_id)
    assert finished.latest_run is not None
    assert finished.latest_run.end_date is not None

    await cw.delete_flow(flow_id)
    with pytest.raises(NotFoundError):
        await cw.get_flow(flow_id)


async def test_conflict_is_raised_for_a_second_run(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration_id, _ = await _import_integration(cw, "busy")
    await cw.run_integration(integration_id)
    with pytest.raises(ConflictError) as info:
        await cw.run_integration(integration_id)
    assert info.value.server_message == "Integration is already running"
    with pytest.raises(ConflictError):
        await cw.delete_integration(integration_id)
