"""Integration flows: ordered steps with skip flags and exception behaviour (contract sheet §4)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from anaplan_mcp.models._base import InputModel, WireModel
from anaplan_mcp.models._types import HexId, Name, OptionalWireDatetime, WireDatetime
from anaplan_mcp.models.runs import LatestRun

Strategy = Literal["stop", "continue"]


def _empty_to_none(value: Any) -> Any:
    return None if value == {} else value


class ExceptionBehavior(WireModel):
    """What a flow does when a step fails or partly succeeds."""

    type: Literal["failure", "partial_success"] | str = Field(description="Outcome.")
    strategy: Strategy | str = Field(description="stop or continue.")


class FlowStep(WireModel):
    """One step of a flow; a step is identified by its referrer (an integration id)."""

    referrer: str = Field(description="Integration id of the step.")
    name: str = Field(description="Integration name.")
    type: Literal["Import", "Export", "Process"] | str = Field(description="Integration kind.")
    created_by: str = Field(description="Creator.")
    created_date: WireDatetime = Field(description="Creation time.")
    modified_date: WireDatetime = Field(description="Last change time.")
    model_id: str = Field(description="Anaplan model id.")
    workspace_id: str = Field(description="Anaplan workspace id.")
    is_skipped: bool = Field(description="True if the step is disabled.")
    exception_behavior: list[ExceptionBehavior] = Field(description="Failure handling.")
    modified_by: str | None = Field(None, description="Last editor.")
    depends_on: list[str] | None = Field(None, description="Referrers this step waits for.")
    latest_run: LatestRun | None = Field(None, description="The step's most recent run.")

    _no_empty_run = field_validator("latest_run", mode="before")(_empty_to_none)


class Flow(WireModel):
    """A flow as GET /integrationflows lists it."""

    id: str = Field(description="Flow id.")
    name: str = Field(description="Flow name.")
    created_by: str = Field(description="Creator.")
    steps_count: int = Field(description="Number of steps.")
    creation_date: OptionalWireDatetime = Field(None, description="Creation time.")
    modification_date: OptionalWireDatetime = Field(None, description="Last change time.")
    modified_by: str | None = Field(None, description="Last editor.")
    notification_id: str | None = Field(None, description="Notification config id.")
    latest_run: LatestRun | None = Field(None, description="Most recent flow run.")

    _no_empty_run = field_validator("latest_run", mode="before")(_empty_to_none)


class FlowDetail(Flow):
    """One flow with its steps (GET /integrationflows/{id})."""

    nux_visible: bool = Field(description="Shown in Anaplan UX action cards.")
    version: str = Field(description="Body schema version.")
    steps: list[FlowStep] = Field(description="Steps in order.")


class FlowStepInput(InputModel):
    """A step: run an integration, optionally after others."""

    referrer: HexId = Field(description="Integration id to run.")
    depends_on: list[HexId] | None = Field(
        None, description="Integration ids to wait for; default: the previous step."
    )
    is_skipped: bool = Field(False, description="Disable this step.")
    on_failure: Strategy = Field("stop", description="On step failure: stop or continue.")
    on_partial_success: Strategy = Field(
        "continue", description="On partial success: continue or stop."
    )
    type: Literal["Integration"] = Field("Integration", description="Step resource type.")

    @model_validator(mode="before")
    @classmethod
    def _accept_wire_behaviour(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        key = next((k for k in ("exception_behavior", "exceptionBehavior") if k in data), None)
        if key is None:
            return data
        rest = {k: v for k, v in data.items() if k != key}
        behaviours = data[key]
        if not isinstance(behaviours, list):
            raise ValueError("exception_behavior must be a list")
        for item in behaviours:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "failure":
                rest["on_failure"] = item.get("strategy")
            elif kind == "partial_success":
                rest["on_partial_success"] = item.get("strategy")
            else:
                raise ValueError("exception_behavior types are failure and partial_success")
        return rest

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"type": self.type, "referrer": self.referrer}
        if self.depends_on is not None:
            wire["dependsOn"] = list(self.depends_on)
        wire["isSkipped"] = self.is_skipped
        wire["exceptionBehavior"] = [
            {"type": "failure", "strategy": self.on_failure},
            {"type": "partial_success", "strategy": self.on_partial_success},
        ]
        return wire


class FlowInput(InputModel):
    """Body of POST /integrationflows and PUT /integrationflows/{id} (always the full flow)."""

    name: Name = Field(description="Flow name.")
    steps: list[FlowStepInput] = Field(min_length=2, description="Steps in run order.")
    version: Literal["2.0"] = Field("2.0", description="Body schema version.")
    type: Literal["IntegrationFlow"] = Field("IntegrationFlow", description="Resource type.")

    @field_validator("steps")
    @classmethod
    def _valid_chain(cls, steps: list[FlowStepInput]) -> list[FlowStepInput]:
        # 400 "Integration flow has to have at least two enabled steps" (contract sheet §4.3).
        if sum(not step.is_skipped for step in steps) < 2:
            raise ValueError("at least two steps must be enabled (is_skipped false)")
        referrers = [step.referrer for step in steps]
        if len(set(referrers)) != len(referrers):
            raise ValueError("each integration may appear only once")
        chained: list[FlowStepInput] = []
        for position, step in enumerate(steps):
            if step.depends_on is None and position > 0:
                # Without dependsOn the service builds a corrupt flow (contract sheet §4.3).
                step = step.model_copy(update={"depends_on": [referrers[position - 1]]})
            if step.depends_on and not set(step.depends_on) <= set(referrers[:position]):
                raise ValueError("depends_on may only name earlier steps of this flow")
            chained.append(step)
        return chained

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "type": self.type,
            "steps": [step.to_wire() for step in self.steps],
        }


class FlowRunInput(InputModel):
    """Body of POST /integrationflows/{id}/run: a subset of steps, by referrer."""

    steps_to_run: list[HexId] | None = Field(
        None, min_length=1, description="Integration ids of the steps to run; default all."
    )
