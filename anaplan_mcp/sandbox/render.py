"""Stored records -> the JSON shapes CloudWorks answers with (allow-lists: no secret leaves).

Shapes follow the reference text with the live corrections of the contract sheet: the detail GET
has no `integrationType` (§6.5), job ends carry `connectionName`/`isConnectionDeleted` (§12),
`lastRun` is epoch seconds (§1.3) and an absent latest run is `{}` (§12).
"""

from __future__ import annotations

from typing import Any

from anaplan_mcp.sandbox.store import Record, Store

VERSIONED = ("creationDate", "modificationDate", "createdBy", "modifiedBy")


def connection(record: Record) -> Record:
    """A connection as listed: only the non-secret body fields."""
    body = dict(record["body"])
    if record["connectionType"] == "AzureBlob":
        body["authMethod"] = record["_authMethod"]
    return {
        "connectionId": record["connectionId"],
        "connectionType": record["connectionType"],
        "body": body,
        **{key: record[key] for key in VERSIONED},
        "status": record["status"],
        "integrationErrorCode": record["integrationErrorCode"],
        "workspaceId": record.get("workspaceId"),
    }


def latest_run(run: Record | None) -> Record:
    """`latestRun` of an integration: `{}` when it never ran."""
    if run is None:
        return {}
    return {
        "triggeredBy": run["triggeredBy"],
        "startDate": run["startDate"],
        "endDate": run["endDate"],
        "success": run["success"],
        "message": run["message"],
        "executionErrorCode": run["executionErrorCode"],
        "triggerSource": run["triggerSource"],
    }


def run_record(run: Record) -> Record:
    """One entry of `history_of_runs.runs` (contract §6.2)."""
    return {
        "id": run["id"],
        "triggeredBy": run["triggeredBy"],
        "lastRun": int(run["_startTs"]),
        "startDate": run["startDate"],
        "endDate": run["endDate"],
        "success": run["success"],
        "message": run["message"],
        "executionErrorCode": run["executionErrorCode"],
        "traceId": run["traceId"],
        "triggerSource": run["triggerSource"],
    }


def run_status(run: Record) -> Record:
    """The `run` of GET /integrations/run/{runId} (contract §6.1)."""
    keys = ("id", "integrationId", "traceId", "startDate", "endDate", "success", "message")
    status = {key: run[key] for key in keys}
    status.update({key: run[key] for key in VERSIONED})
    for key in ("executionErrorCode", "flowGroupId", "triggerSource"):
        status[key] = run[key]
    return status


def schedule(integration: Record) -> Record | None:
    """The stored schedule with its `Active`/`Inactive` status."""
    stored = integration.get("_schedule")
    if stored is None:
        return None
    return {**stored, "status": "Active" if integration["_scheduleEnabled"] else "Inactive"}


def integration_summary(store: Store, record: Record) -> Record:
    """An item of GET /integrations."""
    item: Record = {
        "integrationId": record["integrationId"],
        "name": record["name"],
        "integrationType": record["integrationType"],
    }
    if record.get("processId"):
        item["processId"] = record["processId"]
    item.update(
        {
            "workspaceId": record["workspaceId"],
            "modelId": record["modelId"],
            **{key: record[key] for key in VERSIONED},
            "latestRun": latest_run(store.latest_run(record["integrationId"])),
            "schedule": schedule(record),
            "notificationId": record.get("notificationId"),
            "nuxVisible": record["nuxVisible"],
        }
    )
    return item


def integration_detail(store: Store, record: Record) -> Record:
    """GET /integrations/{id}: the summary without `integrationType`, plus the jobs."""
    detail = integration_summary(store, record)
    del detail["integrationType"]
    detail["version"] = record["version"]
    jobs = record.get("jobs")
    detail["jobs"] = None if jobs is None else [_job(store, job) for job in jobs]
    return detail


def _job(store: Store, job: Record) -> Record:
    rendered: Record = {
        "type": job["type"],
        "sources": [_end(store, end) for end in job["sources"]],
        "targets": [_end(store, end) for end in job["targets"]],
    }
    if "mapping" in job:
        rendered["mapping"] = job["mapping"]
    return rendered


def _end(store: Store, end: Record) -> Record:
    rendered = dict(end)
    connection_id = end.get("connectionId")
    if connection_id is not None:
        connection = store.connections.get(connection_id)
        rendered["connectionName"] = connection["body"]["name"] if connection else None
        rendered["isConnectionDeleted"] = connection is None
        if end["type"] == "AmazonS3" and connection is not None:
            rendered["bucketName"] = connection["body"]["bucketName"]
    return rendered


def flow_latest_run(store: Store, flow: Record) -> Record:
    """`latestRun` of a flow, with the flow run `id` (reference: flow list example)."""
    flow_run = store.flow_runs.get(flow.get("_latestRunId") or "")
    if flow_run is None:
        return {}
    keys = ("id", "triggeredBy", "success", "message", "lastRun", "startDate", "endDate")
    return {
        **{key: flow_run[key] for key in keys},
        "executionErrorCode": flow_run["executionErrorCode"],
    }


def flow_summary(store: Store, flow: Record) -> Record:
    """An item of GET /integrationflows: `id`, not `integrationFlowId` (contract §4.2)."""
    return {
        "id": flow["id"],
        "name": flow["name"],
        **{key: flow[key] for key in VERSIONED},
        "notificationId": flow.get("notificationId"),
        "stepsCount": len(flow["steps"]),
        "latestRun": flow_latest_run(store, flow),
    }


def flow_detail(store: Store, flow: Record) -> Record:
    """GET /integrationflows/{id}: steps with the latest run of each step's integration."""
    detail = flow_summary(store, flow)
    detail.update({"version": flow["version"], "nuxVisible": False, "type": flow["type"]})
    detail["steps"] = [_step(store, flow, step) for step in flow["steps"]]
    return detail


def _step(store: Store, flow: Record, step: Record) -> Record:
    integration = store.integrations.get(step["referrer"])
    run = store.latest_run(step["referrer"])
    step_run: dict[str, Any] = {}
    if run is not None:
        step_run = {**latest_run(run), "lastRun": int(run["_startTs"])}
    return {
        "referrer": step["referrer"],
        "name": integration["name"] if integration else None,
        "type": integration["integrationType"] if integration else None,
        "createdBy": flow["createdBy"],
        "createdDate": flow["_stepDate"],
        "modifiedDate": flow["_stepDate"],
        "modifiedBy": flow["modifiedBy"],
        "dependsOn": step["dependsOn"],
        "exceptionBehavior": step["exceptionBehavior"],
        "isSkipped": step["isSkipped"],
        "workspaceId": integration["workspaceId"] if integration else None,
        "modelId": integration["modelId"] if integration else None,
        "accessible": integration is not None,
        "latestRun": step_run,
    }


def notification(store: Store, record: Record) -> Record:
    """A notification config with its users spelled out."""
    by_guid = {user["userGuid"]: user for user in store.users.values()}
    config = [
        {
            "type": item["type"],
            "users": [
                {
                    "userGuid": guid,
                    "firstName": by_guid[guid]["firstName"],
                    "lastName": by_guid[guid]["lastName"],
                }
                for guid in item["users"]
                if guid in by_guid
            ],
        }
        for item in record["config"]
    ]
    return {
        "notificationId": record["notificationId"],
        "integrationIds": record["integrationIds"],
        "channels": record["channels"],
        "notifications": {"config": config},
    }
