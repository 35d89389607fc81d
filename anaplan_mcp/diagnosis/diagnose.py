"""One call from "it failed" (or "it didn't run") to cause and fix.

`diagnose(client, target, now=...)` resolves the target (integration id or name, run id or flow
run id, flow id), gathers the facts concurrently (facts.py) and builds a compact `Diagnosis`. `now`
is the caller's wall clock (the server passes the sandbox's clock when it runs one), used only to
judge schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.errors import NotFoundError
from anaplan_mcp.diagnosis.build import build_diagnosis
from anaplan_mcp.diagnosis.facts import gather_facts
from anaplan_mcp.diagnosis.flows import diagnose_flow
from anaplan_mcp.diagnosis.gather import DEFAULT_CONCURRENCY
from anaplan_mcp.diagnosis.report import Candidate, Diagnosis, Evidence, TenantText
from anaplan_mcp.models import Integration

__all__ = ["DiagnosisInputError", "Target", "build_diagnosis", "diagnose", "match_name"]


class DiagnosisInputError(ValueError):
    """The target cannot be diagnosed as given; the message names the argument."""


@dataclass(frozen=True)
class Target:
    """Exactly one of integration_id, integration_name, run_id, flow_id (run_id may narrow)."""

    integration_id: str | None = None
    integration_name: str | None = None
    run_id: str | None = None
    flow_id: str | None = None


def match_name(integrations: list[Integration], name: str) -> list[Integration]:
    """Exact case-insensitive matches, else those whose name contains `name`."""
    wanted = name.strip().casefold()
    exact = [i for i in integrations if i.name.strip().casefold() == wanted]
    return exact or [i for i in integrations if wanted in i.name.casefold()]


async def diagnose(
    client: CloudWorksClient,
    target: Target,
    *,
    now: datetime,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Diagnosis:
    """Diagnose the run the target points at (see the module docstring)."""
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    if target.flow_id is not None:
        return await diagnose_flow(client, target.flow_id, limiter, now=now)
    integration_id = target.integration_id
    if target.integration_name is not None:
        matches = match_name(await client.list_integrations(), target.integration_name)
        if not matches:
            raise DiagnosisInputError(
                "integration_name: no integration has this name; list_integrations shows them."
            )
        if len(matches) > 1:
            return _ambiguous(matches)
        integration_id = matches[0].integration_id
    status = None
    if target.run_id is not None:
        try:
            status = await client.run_status(target.run_id)
        except NotFoundError:
            # A flow run id is a 404 here (contract sheet §4.2): its flow is diagnosed instead.
            flow = await client.flow_of_run(target.run_id)
            if flow is None:
                raise
            if integration_id is not None:
                raise DiagnosisInputError(
                    "run_id: this is a flow run; give it alone (or flow_id)."
                ) from None
            return await diagnose_flow(client, flow.id, limiter, now=now)
        if integration_id is not None and status.integration_id != integration_id:
            raise DiagnosisInputError("run_id: this run belongs to another integration.")
        integration_id = status.integration_id
    if integration_id is None:
        raise DiagnosisInputError("give one of integration_id, integration_name, run_id, flow_id.")
    facts = await gather_facts(client, integration_id, limiter, status=status)
    return build_diagnosis(facts, now=now)


def _ambiguous(matches: list[Integration]) -> Diagnosis:
    return Diagnosis(
        outcome="ambiguous",
        what_happened=f"The name matches {len(matches)} integrations.",
        cause="Nothing diagnosed yet: the name is ambiguous.",
        evidence=Evidence(),
        what_changed=[],
        fix=["Call diagnose_integration again with the integration_id of the one meant."],
        candidates=[
            Candidate(integration_id=m.integration_id, untrusted_data=m.name) for m in matches
        ],
        next_calls=[],
        untrusted_data=TenantText(),
    )
