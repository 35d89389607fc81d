"""One word for one thing: identifiers from every tool schema and from the results of every story and
of a tour of the read tools, checked for second spellings.

Two identifiers are spellings of one thing when their words reduce to the same stems (`partly_failed`
and `partial_failure`; a partial success is a partial failure seen from the other side). Datetime
fields end in `_at`; outcomes and kinds take only the values of `anaplan_mcp.models.outcomes`; the
wire's trigger words (`manual_inf`) never reach the server's own prose.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any, get_args

import pytest

from anaplan_mcp.diagnosis.report import Outcome
from anaplan_mcp.models.outcomes import KINDS, StepOutcome
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.server import catalogue
from tests.journeys.conftest import journey_on
from tests.journeys.harness import Journey
from tests.journeys.stories import STORIES

pytestmark = pytest.mark.anyio

_STEMS = {
    "partial": "part",
    "partly": "part",
    "success": "success",
    "succeeded": "success",
    "successful": "success",
    "succeed": "success",
    "failed": "fail",
    "failure": "fail",
    "fail": "fail",
    "full": "",
    "cancelled": "cancel",
    "canceled": "cancel",
    "never": "never",
    "ran": "run",
    "run": "run",
}
_OUTCOME_WORDS = {"part", "success", "fail", ""}
# Keys whose values are vocabulary, wherever they appear in a result.
_VOCABULARY_KEYS = {"outcome", "kind", "trigger"}


def _args(alias: Any) -> set[str]:
    """The string values of a Literal, or of a union of Literals."""
    values: set[str] = set()
    for part in get_args(alias):
        values |= {part} if isinstance(part, str) else _args(part)
    return values


OUTCOMES = _args(StepOutcome) | _args(Outcome)


def stems(identifier: str) -> frozenset[str]:
    words = [_STEMS.get(word, word) for word in identifier.lower().split("_")]
    if "part" in words and set(words) <= _OUTCOME_WORDS:
        return frozenset({"part"})  # partial success == partial failure
    return frozenset(w for w in words if w)


def _walk(
    value: Any, key: str = "", inside_tenant_text: bool = False
) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v, inside_tenant_text
            yield from _walk(v, k, inside_tenant_text or k == "untrusted_data")
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key, inside_tenant_text)


def _schema_identifiers(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "enum":
                yield from (v for v in value if isinstance(v, str))
            elif key == "properties":
                yield from value
                for sub in value.values():
                    yield from _schema_identifiers(sub)
            else:
                yield from _schema_identifiers(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _schema_identifiers(item)


async def _tour(journey: Journey) -> None:
    """Every read tool once or more on the seeded tenant."""
    await journey.call("list_connections")
    listed = await journey.call("list_integrations", limit=50)
    for item in listed["items"]:
        await journey.call("get_integration", integration_id=item["integration_id"])
        history = await journey.call("get_run_history", integration_id=item["integration_id"])
        for run in history["items"][:1]:
            await journey.call("get_run_status", run_id=run["run_id"])
            await journey.call("get_run_errors", run_id=run["run_id"])
    flows = await journey.call("list_flows")
    for flow in flows["items"]:
        await journey.call("get_flow", flow_id=flow["flow_id"])
        await journey.call("diagnose_integration", flow_id=flow["flow_id"])
    await journey.call("find_failed_runs", hours=72)
    sales = await journey.call("get_run_history", integration_id=seed.SALES_IMPORT_ID, limit=1)
    await journey.call("get_failure_dump", run_id=sales["items"][0]["run_id"])
    await journey.call("get_notification_config", integration_id=seed.SALES_IMPORT_ID)
    await journey.call("list_model_objects")
    await journey.call("who_am_i")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


RESOURCES = (
    "cloudworks://integrations",
    f"cloudworks://integrations/{seed.SALES_IMPORT_ID}",
    "cloudworks://connections",
    "cloudworks://flows",
    f"cloudworks://flows/{seed.PLANNING_FLOW_ID}",
)


async def _resources(journey: Journey) -> list[Any]:
    """The JSON resources, and the run resource of the sales import's latest run."""
    history = await journey.call("get_run_history", integration_id=seed.SALES_IMPORT_ID, limit=1)
    uris = [*RESOURCES, f"cloudworks://runs/{history['items'][0]['run_id']}"]
    read = [await journey.client.read_resource(uri) for uri in uris]
    return [json.loads(getattr(result.contents[0], "text", "")) for result in read]


@pytest.fixture(scope="module")
async def seen() -> tuple[dict[str, Any], list[Any]]:
    """Tool schemas, and every structured result of the stories, the tour and the resources."""
    results: list[Any] = []
    schemas: dict[str, Any] = {}
    for story in STORIES.values():
        async with journey_on() as journey:
            # A story that breaks is test_stories' to report; its results so far still count here.
            with contextlib.suppress(AssertionError):
                await story(journey)
            results += [call.data for call in journey.calls if call.data]
    async with journey_on() as journey:
        await _tour(journey)
        results += [call.data for call in journey.calls if call.data]
        results += await _resources(journey)
        schemas = journey.schemas
        read_tools = {entry.name for entry in catalogue.load() if entry.access == "read"}
        missing = read_tools - {call.tool for call in journey.calls if not call.error}
        assert not missing, f"the tour left out read tools: {sorted(missing)}"
    return schemas, results


async def test_no_identifier_has_a_second_spelling(seen: tuple[dict[str, Any], list[Any]]) -> None:
    schemas, results = seen
    identifiers: set[str] = set()
    for schema in schemas.values():
        identifiers |= set(_schema_identifiers(schema))
    for result in results:
        for key, value, tenant in _walk(result):
            identifiers.add(key)
            if key in _VOCABULARY_KEYS and isinstance(value, str) and not tenant:
                identifiers.add(value)
    spellings: dict[frozenset[str], set[str]] = defaultdict(set)
    for identifier in identifiers:
        if identifier.isidentifier():
            spellings[stems(identifier)].add(identifier)
    doubles = {tuple(sorted(names)) for names in spellings.values() if len(names) > 1}
    assert not doubles, f"one thing, several spellings: {sorted(doubles)}"


async def test_outcomes_kinds_times_and_triggers_have_one_spelling(
    seen: tuple[dict[str, Any], list[Any]],
) -> None:
    _, results = seen
    problems = set()
    for result in results:
        for key, value, tenant in _walk(result):
            if tenant or not isinstance(value, str):
                continue
            if key == "outcome" and value not in OUTCOMES:
                problems.add(f"outcome {value!r}")
            if key == "kind" and value not in (*KINDS, "flow"):
                problems.add(f"kind {value!r}")
            if "_inf" in value:
                problems.add(f"wire trigger word in {key}: {value!r}")
            if _is_datetime(value) and not (key.endswith("_at") or key in ("since", "now")):
                problems.add(f"datetime field {key!r}")
    assert not problems, sorted(problems)


def _is_datetime(text: str) -> bool:
    if "T" not in text:
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
