"""One page of a run's failure dump plus the error patterns of the whole dump."""

from __future__ import annotations

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.errors import EndpointNotFoundError, NotFoundError
from anaplan_mcp.diagnosis.dumps import analyse_dump, page_rows, parse_dump
from anaplan_mcp.diagnosis.report import DumpData, FailureDump

PAGE_GROUPS = 10
PAGE_SAMPLES = 2


class DumpInputError(ValueError):
    """The run has no dump where the arguments point; the message says where to look."""


async def _fetch(
    client: CloudWorksClient, run_id: str, action_id: str | None
) -> tuple[bytes, str | None]:
    if action_id is not None:
        try:
            return await client.process_dump(run_id, action_id), action_id
        except EndpointNotFoundError:
            raise
        except NotFoundError:
            raise DumpInputError(
                f"action_id: run {run_id} has no failure dump for this action; get_run_errors "
                "shows which actions have one (failure_dump_generated)."
            ) from None
    try:
        return await client.import_dump(run_id), None
    except EndpointNotFoundError:
        raise
    except NotFoundError:
        pass
    # No import dump: a process run keeps its dumps per import action (contract §3.2).
    actions = (await client.run_errors(run_id)).dump_action_ids
    if len(actions) == 1:
        return await client.process_dump(run_id, actions[0]), actions[0]
    if actions:
        raise DumpInputError(
            f"action_id: run {run_id} is a process run with dumps for actions "
            f"{', '.join(actions)}; give one of them."
        )
    raise DumpInputError(
        f"run_id: run {run_id} produced no failure dump (no rows were rejected); "
        "get_run_errors shows its errors."
    )


async def read_failure_dump(
    client: CloudWorksClient,
    run_id: str,
    *,
    action_id: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> FailureDump:
    data, action = await _fetch(client, run_id, action_id)
    parsed = parse_dump(data)
    analysis = analyse_dump(parsed, max_groups=PAGE_GROUPS, samples_per_group=PAGE_SAMPLES)
    page = page_rows(parsed, offset, limit)
    return FailureDump(
        run_id=run_id,
        action_id=action,
        total_rows=page.total_rows,
        offset=offset,
        next_offset=page.next_offset,
        untrusted_data=DumpData(
            source_columns=parsed.source_columns, groups=analysis.groups, rows=page.rows
        ),
    )
