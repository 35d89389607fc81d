"""Endpoints that run things and read the outcome: integration runs, dumps and flows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from anaplan_mcp.cloudworks.arguments import page_window, segment, wire
from anaplan_mcp.cloudworks.core import ClientCore
from anaplan_mcp.cloudworks.paging import Page, page_meta
from anaplan_mcp.models import (
    Flow,
    FlowDetail,
    FlowInput,
    FlowRunInput,
    RunErrors,
    RunHistory,
    RunStatus,
)

Body = Mapping[str, Any]


class RunOps(ClientCore):
    """Runs, run history, run errors, failure dumps and integration flows."""

    # --- integration runs
    async def run_integration(self, integration_id: str) -> str:
        """`POST /integrations/{integrationId}/run`; returns the run id. Never retried once sent."""
        path = f"/integrations/{segment('integration_id', integration_id)}/run"
        return str(await self._request("POST", path, unwrap=("run", "id")))

    async def cancel_run(self, integration_id: str) -> None:
        """`POST /integrations/{integrationId}/cancel`: cancel the integration's running run.

        The success body is either the usual envelope or `{"success", "message"}` (§2); both
        are accepted. 409 when nothing is running, 404 while the run is still queued.
        """
        path = f"/integrations/{segment('integration_id', integration_id)}/cancel"
        await self._request("POST", path)

    async def run_history(
        self, integration_id: str, *, offset: int = 0, limit: int = 25
    ) -> RunHistory:
        """`GET /integrations/runs/{integrationId}?offset=&limit=`: one page of runs."""
        params = page_window(offset, limit)
        path = f"/integrations/runs/{segment('integration_id', integration_id)}"
        body = await self._request("GET", path, params=params, unwrap=("history_of_runs",))
        return RunHistory.model_validate(body)

    async def run_status(self, run_id: str) -> RunStatus:
        """`GET /integrations/run/{runId}`: one run (finished once `end_date` is set)."""
        path = f"/integrations/run/{segment('run_id', run_id)}"
        return RunStatus.model_validate(await self._request("GET", path, unwrap=("run",)))

    async def run_errors(self, run_id: str) -> RunErrors:
        """`GET /integrations/runerror/{runId}`: failed actions and whether each has a dump."""
        path = f"/integrations/runerror/{segment('run_id', run_id)}"
        return RunErrors.model_validate(await self._request("GET", path))

    async def import_dump(self, run_id: str) -> bytes:
        """`GET /integrations/run/{runId}/dumps` (plural; `/dump` is unrouted): the failing rows.

        Returns the raw CSV bytes. A JSON 404 means the run produced no dump.
        """
        path = f"/integrations/run/{segment('run_id', run_id)}/dumps"
        body: bytes = await self._request("GET", path, expect="bytes")
        return body

    async def process_dump(self, run_id: str, action_id: str | int) -> bytes:
        """`GET /integrations/run/{runId}/process/import/{actionId}/dumps`: a process run's rows.

        `action_id` is the import action inside the process, from `run_errors()`.
        """
        run = segment("run_id", run_id)
        action = segment("action_id", action_id, "numeric")
        path = f"/integrations/run/{run}/process/import/{action}/dumps"
        body: bytes = await self._request("GET", path, expect="bytes")
        return body

    # --- integration flows
    async def list_flows(self, *, my_integrations: bool = False) -> list[Flow]:
        """`GET /integrationflows?myIntegrations=` (every page)."""
        params = {"myIntegrations": int(my_integrations)}
        items = await self._list_all("/integrationflows", "integrationFlows", params=params)
        return [Flow.model_validate(item) for item in items]

    async def flow_of_run(self, run_id: str) -> Flow | None:
        """The flow whose latest run has id `run_id` (every page of `GET /integrationflows`).

        CloudWorks has no flow-run endpoint (contract sheet §4.2): a flow run is seen only as its
        flow's `latestRun`, so an older flow run id matches no flow.
        """
        flows = await self.list_flows()
        return next((f for f in flows if f.latest_run and f.latest_run.id == run_id), None)

    async def flows_page(
        self, *, offset: int = 0, limit: int = 25, my_integrations: bool = False
    ) -> Page[Flow]:
        """`GET /integrationflows?offset=&limit=&myIntegrations=`: one page and its total."""
        params = {"myIntegrations": int(my_integrations), **page_window(offset, limit)}
        body = await self._request("GET", "/integrationflows", params=params)
        items = [Flow.model_validate(item) for item in body.get("integrationFlows") or []]
        return Page(items, page_meta(body))

    async def create_flow(self, flow: FlowInput | Body) -> str:
        """`POST /integrationflows`; returns the new flow id."""
        body = wire("flow", FlowInput, flow)
        unwrap = ("integrationFlow", "integrationFlowId")
        return str(await self._request("POST", "/integrationflows", json=body, unwrap=unwrap))

    async def get_flow(self, flow_id: str) -> FlowDetail:
        """`GET /integrationflows/{flowId}`: steps, each with its latest run."""
        path = f"/integrationflows/{segment('flow_id', flow_id)}"
        return FlowDetail.model_validate(
            await self._request("GET", path, unwrap=("integrationFlow",))
        )

    async def update_flow(self, flow_id: str, flow: FlowInput | Body) -> None:
        """`PUT /integrationflows/{flowId}` with the full definition."""
        path = f"/integrationflows/{segment('flow_id', flow_id)}"
        await self._request("PUT", path, json=wire("flow", FlowInput, flow))

    async def delete_flow(self, flow_id: str) -> None:
        """`DELETE /integrationflows/{flowId}` (its integrations stay)."""
        path = f"/integrationflows/{segment('flow_id', flow_id)}"
        await self._request("DELETE", path)

    async def run_flow(self, flow_id: str, steps_to_run: Sequence[str] | None = None) -> str:
        """`POST /integrationflows/{flowId}/run` with optional `{"stepsToRun": [...]}`.

        Steps are named by their integration id (`referrer`, contract sheet §4.1). Returns the
        flow run id. Never retried once sent.
        """
        path = f"/integrationflows/{segment('flow_id', flow_id)}/run"
        body = None
        if steps_to_run is not None:
            steps = [steps_to_run] if isinstance(steps_to_run, str) else list(steps_to_run)
            body = wire("steps_to_run", FlowRunInput, {"steps_to_run": steps})
        return str(await self._request("POST", path, json=body, unwrap=("run", "id")))
