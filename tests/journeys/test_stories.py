"""Whole stories through `mcp.Client` with a host's 60 s request timeout, none ending in a dead end.

Each asserts the calls the agent took and the tokens of the results it read; the harness fails a
story on a call longer than the host allows, an invalid suggested call or an error naming no next
step.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from tests.journeys.conftest import journey_on
from tests.journeys.stories import (
    build_flow,
    declined_delete,
    guided_agent,
    last_night,
    long_run,
    notify_me,
    set_up_load,
)

pytestmark = pytest.mark.anyio


async def test_last_nights_failures_are_each_diagnosed_and_the_sales_load_fixed() -> None:
    async with journey_on() as journey:
        result = await last_night(journey)
    assert result["rerun"]["outcome"] == "succeeded"
    assert journey.tools_called == [
        "find_failed_runs",
        *["diagnose_integration"] * result["diagnosed"],
        "update_integration",
        "run_integration",
    ]
    assert result["diagnosed"] >= 3
    # About 700 tokens a diagnosis: six failures and their fix stay near a page of text.
    assert journey.tokens < 5_500, journey.summary()


async def test_a_new_scheduled_import_is_set_up_and_run() -> None:
    async with journey_on() as journey:
        result = await set_up_load(journey)
    assert result["outcome"] == "succeeded"
    assert journey.tools_called == [
        "list_model_objects",
        "list_model_objects",
        "create_connection",
        "create_integration",
        "schedule_integration",
        "run_integration",
    ]
    assert journey.tokens < 3_000, journey.summary()


async def test_a_new_flow_is_run_and_followed_to_its_end() -> None:
    async with journey_on() as journey:
        result = await build_flow(journey)
    assert result["outcome"] == "succeeded"
    assert [step["outcome"] for step in result["steps"]] == ["succeeded", "succeeded"]
    assert journey.tools_called[:3] == ["list_integrations", "create_flow", "run_flow"]
    assert journey.tokens < 4_000, journey.summary()


async def test_a_fifteen_minute_run_is_followed_across_calls_that_fit_the_host() -> None:
    async with journey_on(run_seconds=15 * 60) as journey:
        result = await long_run(journey)
    assert result["outcome"] == "succeeded"
    first, *looks = journey.calls
    assert first.tool == "run_integration" and first.data is not None
    assert first.data["outcome"] == "running" and first.seconds <= 45
    assert {call.tool for call in looks} == {"get_run_status"}
    # 45 s waited in the first call, then a look a minute: the run ends within the 15th look.
    assert len(looks) == 15
    assert journey.tokens < 3_000, journey.summary()


async def test_notify_me_needs_no_guessing_of_my_user_id() -> None:
    async with journey_on() as journey:
        config = await notify_me(journey)
        me = journey.calls[0].data
    assert me is not None
    assert journey.tools_called == [
        "who_am_i",
        "set_notification_config",
        "get_notification_config",
    ]
    guids = [user["user_guid"] for user in config["recipients"]["failed"]]
    assert guids == [me["user_id"]]
    assert journey.tokens < 1_000, journey.summary()


async def test_a_deletion_the_person_declines_deletes_nothing_whatever_the_model_passed() -> None:
    asked: list[str] = []

    async def decline(_: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="decline")

    async with journey_on(elicit=decline) as journey:
        result = await declined_delete(journey)
    assert asked, "the person was never asked"
    assert result["refused"] and "did not confirm" in result["text"]
    assert journey.tools_called == ["delete_integration", "get_integration"]
    assert journey.tokens < 1_000, journey.summary()


async def test_an_agent_that_only_follows_suggestions_diagnoses_every_failure_of_the_night() -> (
    None
):
    async with journey_on() as journey:
        result = await guided_agent(journey)
    assert result["items"] >= 3
    assert result["diagnosed"] == result["items"]
    assert journey.tools_called == ["find_failed_runs", *["diagnose_integration"] * result["items"]]
    assert journey.tokens < 5_500, journey.summary()
