"""The tenant's state: plain JSON-ready records, so the state file is a dump of this object.

Records keep their wire keys (camelCase) plus private keys that start with `_` (secrets, run
deadlines, owners); every renderer copies an allow-list of public keys, so a private key never
reaches a response.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from anaplan_mcp.sandbox.responses import iso_utc, not_found

Record = dict[str, Any]

TENANT_MAX_INTEGRATIONS = 500


def derived_id(*parts: str) -> str:
    """A 32-char lowercase hex id derived from names, so seeded ids are equal on every start."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


@dataclass
class Store:
    """Everything a tenant holds. Mutations bump `revision`, which tells the app to save."""

    users: dict[str, Record] = field(default_factory=dict)
    workspaces: dict[str, Record] = field(default_factory=dict)
    models: dict[str, Record] = field(default_factory=dict)
    storage: dict[str, Record] = field(default_factory=dict)
    connections: dict[str, Record] = field(default_factory=dict)
    integrations: dict[str, Record] = field(default_factory=dict)
    notifications: dict[str, Record] = field(default_factory=dict)
    flows: dict[str, Record] = field(default_factory=dict)
    runs: dict[str, Record] = field(default_factory=dict)
    flow_runs: dict[str, Record] = field(default_factory=dict)
    run_errors: dict[str, Record] = field(default_factory=dict)
    dumps: dict[str, dict[str, str]] = field(default_factory=dict)
    run_index: dict[str, list[str]] = field(default_factory=dict)
    active_runs: list[str] = field(default_factory=list)
    id_counter: int = 0
    revision: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A deep, JSON-ready copy for the state file."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Store:
        """The inverse of `to_dict`; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})

    def touch(self) -> None:
        """Mark an accepted change, so the app writes the state file before answering."""
        self.revision += 1

    def new_id(self, kind: str) -> str:
        """A fresh 32-hex id; a counter in the state keeps ids unique across restarts."""
        self.id_counter += 1
        return derived_id("sandbox", kind, str(self.id_counter))

    # --- lookups answering 404 "Resource not found" for unknown ids -------------------------

    def connection(self, connection_id: str) -> Record:
        """The connection, or 404."""
        return _get(self.connections, connection_id)

    def integration(self, integration_id: str) -> Record:
        """The integration, or 404."""
        return _get(self.integrations, integration_id)

    def notification(self, notification_id: str) -> Record:
        """The notification config, or 404."""
        return _get(self.notifications, notification_id)

    def flow(self, flow_id: str) -> Record:
        """The integration flow, or 404."""
        return _get(self.flows, flow_id)

    def run(self, run_id: str) -> Record:
        """The integration run, or 404."""
        return _get(self.runs, run_id)

    def model(self, model_id: str) -> Record:
        """The Anaplan model, or 404."""
        return _get(self.models, model_id)

    # --- derived views ------------------------------------------------------------------

    def tenant_count(self) -> int:
        """Integrations plus flows: both count toward the 500 limit (contract §5)."""
        return len(self.integrations) + len(self.flows)

    def add_run(self, run: Record) -> None:
        """Register a new run; runs of an integration are kept in start order."""
        self.runs[run["id"]] = run
        self.run_index.setdefault(run["integrationId"], []).append(run["id"])
        if run["endDate"] is None:
            self.active_runs.append(run["id"])

    def runs_of(self, integration_id: str) -> list[Record]:
        """Runs of one integration, newest first."""
        ids = self.run_index.get(integration_id, [])
        return [self.runs[run_id] for run_id in reversed(ids)]

    def latest_run(self, integration_id: str) -> Record | None:
        """The newest run of an integration."""
        ids = self.run_index.get(integration_id)
        return self.runs[ids[-1]] if ids else None

    def running_run(self, integration_id: str) -> Record | None:
        """The run in flight for an integration, if any (one at a time, contract §8)."""
        latest = self.latest_run(integration_id)
        return latest if latest is not None and latest["endDate"] is None else None

    def flows_referencing(self, integration_id: str) -> list[Record]:
        """Flows with a step on this integration."""
        return [
            flow
            for flow in self.flows.values()
            if any(step["referrer"] == integration_id for step in flow["steps"])
        ]

    def integrations_using(self, connection_id: str) -> list[Record]:
        """Integrations with a job source or target on this connection."""
        return [
            integration
            for integration in self.integrations.values()
            if any(
                end.get("connectionId") == connection_id
                for job in integration.get("jobs") or []
                for end in [*job["sources"], *job["targets"]]
            )
        ]

    def action(self, model_id: str, action_id: str) -> Record | None:
        """An import, export or process of a model, by its numeric id."""
        model = self.models.get(model_id)
        if model is None:
            return None
        for kind in ("imports", "exports", "processes"):
            if action_id in model[kind]:
                return dict(model[kind][action_id])
        return None

    def user_name(self, user_id: str) -> str:
        """The display name CloudWorks puts in `createdBy`/`triggeredBy`."""
        user = self.users.get(user_id)
        if user is None:
            return user_id
        return f"{user['firstName']} {user['lastName']}"


def stamp_created(record: Record, user: str, now: datetime) -> None:
    """Set the versioned fields every connection, integration and flow carries (contract §12)."""
    record["creationDate"] = iso_utc(now)
    record["modificationDate"] = iso_utc(now)
    record["createdBy"] = user
    record["modifiedBy"] = None


def stamp_modified(record: Record, user: str, now: datetime) -> None:
    """Record who changed it and when."""
    record["modificationDate"] = iso_utc(now)
    record["modifiedBy"] = user


def public(record: Record) -> Record:
    """A copy without the private (`_`-prefixed) keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def _get(table: dict[str, Record], key: str) -> Record:
    record = table.get(key)
    if record is None:
        raise not_found()
    return record
