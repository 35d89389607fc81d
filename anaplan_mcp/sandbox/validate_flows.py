"""Checks of integration-flow and notification-config bodies (contract §4.3, reference text)."""

from __future__ import annotations

from typing import Any

from anaplan_mcp.sandbox.responses import bad_request
from anaplan_mcp.sandbox.store import Store
from anaplan_mcp.sandbox.validate import as_object, flag, text

TWO_ENABLED_STEPS = "Integration flow has to have at least two enabled steps."
EXCEPTION_DEFAULTS = {"failure": "stop", "partial_success": "continue"}
NOTIFICATION_TYPES = ("success", "partial_failure", "full_failure")
CHANNELS = ("email", "in_app")
MAX_USERS_PER_TYPE = 5


def flow_body(body: Any, store: Store) -> dict[str, Any]:
    """POST/PUT /integrationflows -> `{name, version, type, steps}` with defaults filled in."""
    obj = as_object(body)
    name = text(obj, "name")
    if obj.get("version", "2.0") != "2.0":
        raise bad_request("This API version is not supported for this request")
    if obj.get("type", "IntegrationFlow") != "IntegrationFlow":
        raise bad_request("type")
    raw_steps = obj.get("steps")
    if not isinstance(raw_steps, list) or len(raw_steps) < 2:
        raise bad_request("steps")
    steps = [_step(raw, store) for raw in raw_steps]
    referrers = [step["referrer"] for step in steps]
    if len(set(referrers)) != len(referrers):
        raise bad_request("referrer")
    for step in steps:
        if any(dep not in referrers or dep == step["referrer"] for dep in step["dependsOn"] or []):
            raise bad_request("dependsOn")
    if sum(1 for step in steps if not step["isSkipped"]) < 2:
        # "Enabled" means isSkipped false (contract §4.3).
        raise bad_request(TWO_ENABLED_STEPS)
    execution_order(steps)
    return {"name": name, "version": "2.0", "type": "IntegrationFlow", "steps": steps}


def _step(raw: Any, store: Store) -> dict[str, Any]:
    step = as_object(raw)
    if step.get("type", "Integration") != "Integration":
        raise bad_request("type")
    referrer = text(step, "referrer")
    if referrer not in store.integrations:
        raise bad_request("referrer")
    depends_on = step.get("dependsOn")
    if depends_on is not None and (
        not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on)
    ):
        raise bad_request("dependsOn")
    behaviour = dict(EXCEPTION_DEFAULTS)
    raw_behaviour = step.get("exceptionBehavior")
    if raw_behaviour is not None:
        if not isinstance(raw_behaviour, list):
            raise bad_request("exceptionBehavior")
        for item in raw_behaviour:
            if (
                not isinstance(item, dict)
                or item.get("type") not in EXCEPTION_DEFAULTS
                or item.get("strategy") not in ("stop", "continue")
            ):
                raise bad_request("exceptionBehavior")
            behaviour[item["type"]] = item["strategy"]
    return {
        "type": "Integration",
        "referrer": referrer,
        "dependsOn": list(depends_on) if depends_on is not None else None,
        "isSkipped": flag(step, "isSkipped", False),
        "exceptionBehavior": [{"type": k, "strategy": v} for k, v in behaviour.items()],
    }


def execution_order(steps: list[dict[str, Any]]) -> list[str]:
    """Referrers in `dependsOn` order, array order breaking ties and standing in when absent.

    Without `dependsOn` the flow is taken as sequential in array order (contract §4.3); a cycle
    is refused with 400 "dependsOn".
    """
    referrers = [step["referrer"] for step in steps]
    if all(step["dependsOn"] is None for step in steps):
        return referrers
    pending = {step["referrer"]: set(step["dependsOn"] or []) for step in steps}
    ordered: list[str] = []
    while pending:
        ready = [r for r in referrers if r in pending and not pending[r] - set(ordered)]
        if not ready:
            raise bad_request("dependsOn")
        ordered.append(ready[0])
        del pending[ready[0]]
    return ordered


def notification_body(body: Any, store: Store) -> dict[str, Any]:
    """POST/PUT /integrations/notification -> `{integrationIds, channels, config}`."""
    obj = as_object(body)
    ids = obj.get("integrationIds")
    # "Currently supports only a single integrationId" (reference text).
    if not isinstance(ids, list) or len(ids) != 1 or not isinstance(ids[0], str):
        raise bad_request("integrationIds")
    if ids[0] not in store.integrations and ids[0] not in store.flows:
        raise bad_request("integrationIds")
    channels = obj.get("channels")
    if (
        not isinstance(channels, list)
        or not channels
        or any(channel not in CHANNELS for channel in channels)
    ):
        raise bad_request("channels")
    notifications = obj.get("notifications")
    if not isinstance(notifications, dict) or not isinstance(notifications.get("config"), list):
        raise bad_request("notifications")
    known_guids = {user["userGuid"] for user in store.users.values()}
    config: list[dict[str, Any]] = []
    for item in notifications["config"]:
        if not isinstance(item, dict) or item.get("type") not in NOTIFICATION_TYPES:
            raise bad_request("type")
        users = item.get("users")
        if (
            not isinstance(users, list)
            or len(users) > MAX_USERS_PER_TYPE
            or any(user not in known_guids for user in users)
        ):
            raise bad_request("users")
        config.append({"type": item["type"], "users": list(users)})
    return {
        "integrationIds": list(ids),
        "channels": list(dict.fromkeys(channels)),
        "config": config,
    }
