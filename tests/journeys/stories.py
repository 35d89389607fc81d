"""The stories people bring to an assistant, scripted as the calls an agent makes.

Each story takes an open `Journey` on a freshly seeded sandbox and walks it the way a model would:
it reads ids and suggested calls from results rather than knowing them, except what the person says
(a corrected file's name, their bucket's keys). `FEWEST` is the least number of calls that could
do each story, for the benchmark's comparison.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from anaplan_mcp.sandbox import seed_ids as seed
from tests.journeys.harness import Journey, suggested
from tests.suggestions import next_calls_in

Story = Callable[[Journey], Awaitable[dict[str, Any]]]

# What the person says in the conversation: the corrected file, and their bucket and keys.
CORRECTED_FILE = seed.SALES_CORRECTED_FILE
BUCKET = seed.SALES_BUCKET
KEYS = {"access_key_id": "AKIASANDBOXSALES0001", "secret_access_key": "sandbox-sales-secret"}
# How long the host's agent waits between two looks at a long run, on the sandbox clock.
LOOK_EVERY_SECONDS = 60.0


async def follow_to_end(journey: Journey, result: dict[str, Any]) -> dict[str, Any]:
    """Follow a running run by its suggested get_run_status call until it has an outcome."""
    looks = 0
    while result["outcome"] == "running":
        looks += 1
        if looks > 60:
            raise AssertionError("the run never ended")
        journey.sandbox.clock.advance(LOOK_EVERY_SECONDS)
        result = await journey.follow(suggested(result, "get_run_status"))
    return result


async def last_night(journey: Journey) -> dict[str, Any]:
    """ "Why did last night's loads fail? Fix what you can." Diagnose every failure; the person
    names the corrected sales file, so that load is fixed and re-run."""
    found = await journey.call("find_failed_runs")
    diagnoses = [
        await journey.follow(suggested(item, "diagnose_integration")) for item in items(found)
    ]
    sales = next(d for d in diagnoses if d.get("integration_id") == seed.SALES_IMPORT_ID)
    repoint = suggested(sales, "update_integration")
    await journey.call(repoint["tool"], **{**repoint["arguments"], "path": CORRECTED_FILE})
    rerun = await journey.follow(suggested(sales, "run_integration"))
    return {"diagnosed": len(diagnoses), "rerun": await follow_to_end(journey, rerun)}


def items(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The failures find_failed_runs lists one by one (the seeded night has too few of one cause to
    form a group; tests/server/test_failure_storm.py follows the groups)."""
    return list(found.get("items", []))


async def set_up_load(journey: Journey) -> dict[str, Any]:
    """ "Create an S3 connection, an import on it, schedule it daily at 02:00 Europe/London, run it,
    tell me the result.\""""
    places = await journey.call("list_model_objects")
    model = next(m for m in places["models"] if m["id"] == seed.SALES_MODEL_ID)
    objects = await journey.call(
        "list_model_objects", workspace_id=model["workspace_id"], model_id=model["id"]
    )
    action = next(i for i in objects["imports"] if i["id"] == seed.SALES_IMPORT_ACTION_ID)
    connection = await journey.call(
        "create_connection", type="AmazonS3", name="Sales drop (S3)", bucket_name=BUCKET, **KEYS
    )
    integration = await journey.call(
        "create_integration",
        kind="import",
        name="Sales drop import",
        workspace_id=model["workspace_id"],
        model_id=model["id"],
        connection_id=connection["connection_id"],
        path=CORRECTED_FILE,
        action_id=action["id"],
        file_id=action["file_id"],
    )
    ident = integration["integration_id"]
    await journey.call(
        "schedule_integration",
        integration_id=ident,
        type="daily",
        time="02:00",
        timezone="Europe/London",
    )
    run = await journey.call("run_integration", integration_id=ident, wait=True)
    return await follow_to_end(journey, run)


async def build_flow(journey: Journey) -> dict[str, Any]:
    """ "Build a flow of two integrations, run it, follow it to the end.\""""
    listed = await journey.call("list_integrations", name="import", limit=50)
    healthy = [
        i["integration_id"]
        for i in listed["items"]
        if i["integration_id"] in (seed.PRODUCTS_IMPORT_ID, seed.GL_IMPORT_ID)
    ]
    flow = await journey.call(
        "create_flow",
        name="Products then GL",
        steps=[{"integration_id": ident} for ident in healthy],
    )
    run = await journey.call("run_flow", flow_id=flow["flow_id"], wait=True)
    return await follow_to_end(journey, run)


async def long_run(journey: Journey) -> dict[str, Any]:
    """A run that takes 15 minutes, followed to its end across several calls."""
    run = await journey.call("run_integration", integration_id=seed.PRODUCTS_IMPORT_ID, wait=True)
    if run["outcome"] != "running":
        raise AssertionError(f"a 15-minute run ended inside one call: {run}")
    return await follow_to_end(journey, run)


async def notify_me(journey: Journey) -> dict[str, Any]:
    """ "Notify me when the sales import fails.\""""
    me = await journey.call("who_am_i")
    await journey.call(
        "set_notification_config",
        integration_id=seed.SALES_IMPORT_ID,
        channels=["email"],
        failed=[me["user_id"]],
    )
    return await journey.call("get_notification_config", integration_id=seed.SALES_IMPORT_ID)


async def declined_delete(journey: Journey) -> dict[str, Any]:
    """The model asks to delete an integration, passing the id as confirmation; the person says
    no through the host's question, and nothing is deleted."""
    attempt = await journey.attempt(
        "delete_integration", integration_id=seed.GL_IMPORT_ID, confirm=seed.GL_IMPORT_ID
    )
    still = await journey.call("get_integration", integration_id=seed.GL_IMPORT_ID)
    return {"refused": attempt.error, "text": attempt.text, "still_there": still["integration_id"]}


async def guided_agent(journey: Journey) -> dict[str, Any]:
    """An agent that knows nothing but find_failed_runs and the calls each result suggests: it
    follows every item's first suggestion until a result explains a cause."""
    found = await journey.call("find_failed_runs")
    reached = 0
    for item in items(found):
        result = item
        for _ in range(3):  # a few hops at most: find -> diagnose is one
            first = next(iter(next_calls_in(result)), None)
            if first is None:
                break
            result = await journey.follow(first)
            if "what_happened" in result:
                reached += 1
                break
    return {"items": len(items(found)), "diagnosed": reached}


STORIES: dict[str, Story] = {
    "last_night": last_night,
    "set_up_load": set_up_load,
    "build_flow": build_flow,
    "long_run": long_run,
    "notify_me": notify_me,
    "declined_delete": declined_delete,
    "guided_agent": guided_agent,
}
# The least number of calls each story needs: what it must read or change, nothing else.
FEWEST: dict[str, int] = {
    # find, one diagnosis per failure (six on the seeded night), repoint the job, re-run with wait
    "last_night": 9,
    # model objects (workspaces and models, then the model's imports), connection, integration,
    # schedule, run with wait
    "set_up_load": 6,
    # find the two integrations, create the flow, run it with wait
    "build_flow": 3,
    # start it, then one look once the 15 minutes have passed
    "long_run": 2,
    # who am I, set, read back
    "notify_me": 3,
    # the refused delete, the check that it is still there
    "declined_delete": 2,
    # find, then one diagnosis per failure of the seeded night
    "guided_agent": 7,
}
