"""`CloudWorksClient`: every CloudWorks operation, plus the Integration API reads.

    async with CloudWorksClient(endpoints_for("us1"), BasicAuth(user, password)) as cw:
        run_id = await cw.run_integration(integration_id)
        status = await wait_for_run(cw, run_id)

Each method checks its arguments before any request, sends one call through `_request` (base URL,
timeout, retries, error mapping) and returns a model from `anaplan_mcp.models`.
"""

from __future__ import annotations

from anaplan_mcp.cloudworks.ops_models import ModelOps
from anaplan_mcp.cloudworks.ops_runs import RunOps
from anaplan_mcp.cloudworks.ops_setup import SetupOps


class CloudWorksClient(SetupOps, RunOps, ModelOps):
    """Async client for Anaplan CloudWorks v2 and the read-only Integration API v2.

    `CloudWorksClient(endpoints, auth, *, timeout=30.0, max_retries=3, transport=None,
    sleep=anyio.sleep, rng=None, page_size=1000, max_concurrency=8)`: one `httpx2.AsyncClient`
    per base URL (CloudWorks, Integration API, auth), all sharing `auth`. `transport` replaces
    the network (e.g. the sandbox's in-process transport); `sleep` and `rng` drive the retry
    waits so tests can observe them. Use it as an async context manager, or call `aclose()`.
    """
