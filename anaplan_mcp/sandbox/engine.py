"""Runs that happen: integration runs and flow runs on the sandbox clock, settled lazily.

A run starts as "Running" and ends when its deadline (`_dueTs`) has passed on the clock; every
request first calls `settle`, which finishes due runs in deadline order and moves flow runs on to
their next step. The outcome comes from the data (dataplane.py), read when the run ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from anaplan_mcp.sandbox.dataplane import PARTIAL_SUCCESS, ActionOutcome, run_export, run_import
from anaplan_mcp.sandbox.responses import iso_utc
from anaplan_mcp.sandbox.store import Record, Store
from anaplan_mcp.sandbox.validate_flows import execution_order

RUNNING = "Running"
CANCELLED = "Cancelled"


def start_run(
    store: Store,
    integration: Record,
    user: str,
    at: datetime,
    duration: float,
    *,
    trigger_source: str = "manual",
    flow_run_id: str | None = None,
) -> Record:
    """A new run, visible at once as Running with no end date (contract §8)."""
    run_id = store.new_id("run")
    run: Record = {
        "id": run_id,
        "integrationId": integration["integrationId"],
        "traceId": store.new_id("trace"),
        "startDate": iso_utc(at),
        "endDate": None,
        "success": False,
        "message": RUNNING,
        "executionErrorCode": None,
        "flowGroupId": flow_run_id,
        "triggerSource": trigger_source,
        "triggeredBy": user,
        "creationDate": iso_utc(at),
        "modificationDate": iso_utc(at),
        "createdBy": user,
        "modifiedBy": user,
        "_startTs": at.timestamp(),
        "_dueTs": (at + timedelta(seconds=duration)).timestamp(),
    }
    store.add_run(run)
    store.touch()
    return run


def settle(store: Store, now: datetime) -> None:
    """Finish every run whose deadline has passed, earliest first, moving flows along."""
    limit = now.timestamp()
    while True:
        due = [store.runs[r] for r in store.active_runs if store.runs[r]["_dueTs"] <= limit]
        if not due:
            return
        run = min(due, key=lambda r: (r["_dueTs"], r["id"]))
        at = datetime.fromtimestamp(run["_dueTs"], UTC)
        _finish(store, run, at)
        if run["flowGroupId"]:
            _advance_flow(store, store.flow_runs[run["flowGroupId"]], at, run)


def cancel_run(store: Store, run: Record, at: datetime) -> None:
    """End a running run as "Cancelled"; a flow it belongs to stops there."""
    _close(store, run, at, success=False, message=CANCELLED, code=None)
    if run["flowGroupId"]:
        _advance_flow(store, store.flow_runs[run["flowGroupId"]], at, run)


def _close(
    store: Store, run: Record, at: datetime, *, success: bool, message: str, code: int | None
) -> None:
    run.update(
        endDate=iso_utc(at),
        success=success,
        message=message,
        executionErrorCode=code,
        modificationDate=iso_utc(at),
    )
    run["_dueTs"] = at.timestamp()
    if run["id"] in store.active_runs:
        store.active_runs.remove(run["id"])
    store.touch()


def _finish(store: Store, run: Record, at: datetime) -> None:
    integration = store.integrations.get(run["integrationId"])
    model = store.models.get(integration["modelId"]) if integration else None
    if integration is None or model is None:
        _close(store, run, at, success=False, message="Anaplan model was deleted", code=None)
        return
    outcomes = _execute(store, integration, model, at)
    failed = next((o for o in outcomes if o.state == "failed"), None)
    partial = [o for o in outcomes if o.state == "partial"]
    if failed is not None:
        _close(store, run, at, success=False, message=failed.run_message, code=failed.error_code)
    elif partial:
        message = "; ".join(o.run_message for o in partial)
        _close(store, run, at, success=True, message=message, code=PARTIAL_SUCCESS)
    else:
        _close(store, run, at, success=True, message="Success", code=None)
    troubled = [o for o in outcomes if o.state != "ok"]
    if troubled:
        store.run_errors[run["id"]] = _run_error(store, run, troubled, at)
        dumps = {o.action_id: o.dump for o in troubled if o.dump is not None}
        if dumps:
            store.dumps[run["id"]] = dumps


def _execute(store: Store, integration: Record, model: Record, at: datetime) -> list[ActionOutcome]:
    """Run the integration's actions in order; a process stops at its first failed action."""
    jobs = integration.get("jobs") or []
    if integration.get("processId"):
        action_ids = list(model["processes"][integration["processId"]]["actions"])
    else:
        job = jobs[0]
        anaplan_end = job["targets"][0] if job["targets"][0]["type"] == "Anaplan" else None
        action_ids = [(anaplan_end or job["sources"][0])["actionId"]]
    outcomes: list[ActionOutcome] = []
    for action_id in action_ids:
        if action_id in model["imports"]:
            action = model["imports"][action_id]
            job = next((j for j in jobs if j["targets"][0].get("actionId") == action_id), None)
            outcome = (
                run_import(store, model, action, job["sources"][0])
                if job
                else ActionOutcome(action_id, action["name"], "ok")
            )
        elif action_id in model["exports"]:
            action = model["exports"][action_id]
            job = next((j for j in jobs if j["sources"][0].get("actionId") == action_id), None)
            outcome = (
                run_export(store, action, job["targets"][0], at)
                if job
                else ActionOutcome(action_id, action["name"], "ok")
            )
        else:
            outcome = ActionOutcome(action_id, action_id, "ok")
        outcomes.append(outcome)
        if outcome.state == "failed":
            break
    return outcomes


def _run_error(store: Store, run: Record, troubled: list[ActionOutcome], at: datetime) -> Record:
    """The `runs` object of GET /integrations/runerror (an object, not an array: §6.3)."""
    messages = [
        {
            "errorMessage": [
                {
                    "localMessageText": o.detail,
                    "occurrences": 0,
                    "type": o.error_type,
                    "values": [],
                }
            ],
            "actionId": o.action_id,
            "actionName": o.action_name,
            "failureDumpGenerated": o.dump is not None,
        }
        for o in troubled
    ]
    return {
        "id": run["id"],
        "errorMessages": messages,
        "taskId": store.new_id("task").upper(),
        "creationDate": iso_utc(at),
        "modificationDate": iso_utc(at),
        "createdBy": run["createdBy"],
        "modifiedBy": None,
    }


# --- flows ------------------------------------------------------------------------------


def start_flow_run(
    store: Store,
    flow: Record,
    user: str,
    at: datetime,
    duration: float,
    steps_to_run: list[str] | None,
) -> Record:
    """Run the flow's enabled steps (or the chosen subset) one after another (contract §4)."""
    by_referrer = {step["referrer"]: step for step in flow["steps"]}
    queue = [
        referrer
        for referrer in execution_order(flow["steps"])
        if not by_referrer[referrer]["isSkipped"]
        and (steps_to_run is None or referrer in steps_to_run)
    ]
    flow_run: Record = {
        "id": store.new_id("flowrun"),
        "flowId": flow["id"],
        "triggeredBy": user,
        "startDate": iso_utc(at),
        "endDate": None,
        "success": False,
        "message": RUNNING,
        "executionErrorCode": None,
        "lastRun": int(at.timestamp()),
        "_queue": queue,
        "_results": [],
        "_duration": duration,
    }
    store.flow_runs[flow_run["id"]] = flow_run
    flow["_latestRunId"] = flow_run["id"]
    _advance_flow(store, flow_run, at, None)
    return flow_run


def _step_state(run: Record) -> str:
    if run["message"] == CANCELLED:
        return "cancelled"
    if not run["success"]:
        return "failed"
    return "partial" if run["executionErrorCode"] == PARTIAL_SUCCESS else "ok"


def _advance_flow(store: Store, flow_run: Record, at: datetime, ended: Record | None) -> None:
    flow = store.flows.get(flow_run["flowId"])
    behaviour: dict[str, dict[str, str]] = {}
    if flow is not None:
        for step in flow["steps"]:
            behaviour[step["referrer"]] = {
                b["type"]: b["strategy"] for b in step["exceptionBehavior"]
            }
    result: dict[str, Any] | None = None
    if ended is not None:
        result = {
            "state": _step_state(ended),
            "message": ended["message"],
            "code": ended["executionErrorCode"],
            "referrer": ended["integrationId"],
        }
    while True:
        if result is not None:
            flow_run["_results"].append(result)
            if _stops(result["state"], behaviour.get(result["referrer"], {})):
                break
        if not flow_run["_queue"]:
            break
        referrer = flow_run["_queue"].pop(0)
        integration = store.integrations.get(referrer)
        if integration is None or store.running_run(referrer) is not None:
            result = {
                "state": "failed",
                "message": "Integration is already running",
                "code": None,
                "referrer": referrer,
            }
            continue
        start_run(
            store,
            integration,
            flow_run["triggeredBy"],
            at,
            flow_run["_duration"],
            trigger_source="manual_inf",
            flow_run_id=flow_run["id"],
        )
        return
    _finish_flow(store, flow_run, at)


def _stops(state: str, strategies: dict[str, str]) -> bool:
    if state == "cancelled":
        return True
    if state == "failed":
        return strategies.get("failure", "stop") == "stop"
    if state == "partial":
        return strategies.get("partial_success", "continue") == "stop"
    return False


def _finish_flow(store: Store, flow_run: Record, at: datetime) -> None:
    results = flow_run["_results"]
    cancelled = [r for r in results if r["state"] == "cancelled"]
    failed = [r for r in results if r["state"] == "failed"]
    partial = [r for r in results if r["state"] == "partial"]
    outcome: tuple[bool, str, int | None]
    if cancelled:
        outcome = (False, CANCELLED, None)
    elif failed:
        # Flow-level outcome after a failed step is undocumented: the failed step's (§4.3 INF).
        outcome = (False, failed[0]["message"], failed[0]["code"])
    elif partial:
        outcome = (True, partial[0]["message"], PARTIAL_SUCCESS)
    else:
        outcome = (True, "Success", None)
    flow_run.update(
        endDate=iso_utc(at), success=outcome[0], message=outcome[1], executionErrorCode=outcome[2]
    )
    flow_run["_queue"] = []
    store.touch()
