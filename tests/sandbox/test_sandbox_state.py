"""The state file survives a restart; reset goes back to the seed; the Integration API lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import httpx2
import pytest
from sandbox_http import CW, open_client, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio


async def test_changes_are_on_disk_before_the_answer_and_reload_with_tokens(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    state = tmp_path / "tenant.json"
    first = make_sandbox(state_file=state)
    assert state.exists()
    async with open_client(first) as cw:
        written = state.read_bytes()
        created = await cw.post(
            f"{CW}/connections",
            json={
                "type": "AmazonS3",
                "body": {
                    "name": "kept",
                    "bucketName": "bkt",
                    "accessKeyId": "a",
                    "secretAccessKey": "s",
                },
            },
        )
        assert state.read_bytes() != written  # saved before the answer arrived
        connection_id = created.json()["connections"]["connectionId"]
        run_id = (await cw.post(f"{CW}/{seed.GL_IMPORT_ID}/run")).json()["run"]["id"]
        refused = await cw.post(f"{CW}/connections", json={"type": "Nope"})
        assert refused.status_code == 400
        token = cw.headers["Authorization"]
    assert [p.name async for p in anyio.Path(tmp_path).iterdir()] == [
        "tenant.json"
    ]  # no temporary files left

    second = make_sandbox(state_file=state)
    transport = httpx2.ASGITransport(app=second.app)
    async with httpx2.AsyncClient(
        transport=transport, base_url="http://sandbox", headers={"Authorization": token}
    ) as cw:
        names = [
            c["connectionId"] for c in (await cw.get(f"{CW}/connections")).json()["connections"]
        ]
        assert connection_id in names
        assert (await cw.get(f"{CW}/run/{run_id}")).json()["run"]["message"] == "Running"
        second.clock.advance(second.config.run_seconds)
        assert (await cw.get(f"{CW}/run/{run_id}")).json()["run"]["message"] == "Success"
    third = make_sandbox(state_file=state)
    assert third.store.runs[run_id]["message"] == "Success"


async def test_seeded_ids_are_the_same_on_every_start(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    one, two = make_sandbox(), make_sandbox()
    assert set(one.store.integrations) == set(two.store.integrations)
    assert set(one.store.runs) == set(two.store.runs)
    assert seed.SALES_IMPORT_ID in one.store.integrations
    assert len(one.store.integrations) == 12


async def test_admin_reset_restores_the_seed(cw: httpx2.AsyncClient, cw_sandbox: Sandbox) -> None:
    assert (await cw.delete(f"{CW}/{seed.FX_IMPORT_ID}")).status_code == 200
    assert (await cw.post("/_sandbox/reset")).status_code < 300
    assert seed.FX_IMPORT_ID in cw_sandbox.store.integrations
    after = await cw.get(CW)
    assert status_message(after) == (401, "Not Authorized")  # reset forgets issued tokens


async def test_integration_api_lists_workspaces_models_and_actions(cw: httpx2.AsyncClient) -> None:
    workspaces = (await cw.get("/2/0/workspaces")).json()["workspaces"]
    assert [w["id"] for w in workspaces] == [seed.WORKSPACE_ID]
    models = (await cw.get(f"/2/0/workspaces/{seed.WORKSPACE_ID}/models")).json()["models"]
    assert {m["id"] for m in models} == {
        seed.SALES_MODEL_ID,
        seed.FINANCE_MODEL_ID,
        seed.WORKFORCE_MODEL_ID,
    }
    assert all(m["id"] == m["id"].upper() for m in models)
    assert len((await cw.get("/2/0/models")).json()["models"]) == 3
    base = f"/2/0/workspaces/{seed.WORKSPACE_ID}/models/{seed.SALES_MODEL_ID}"
    for kind, prefix in [
        ("imports", "112"),
        ("exports", "116"),
        ("processes", "118"),
        ("files", "113"),
    ]:
        items = (await cw.get(f"{base}/{kind}")).json()[kind]
        assert items
        assert all(i["id"].startswith(prefix) and i["name"] for i in items)
    wrong = await cw.get(f"/2/0/workspaces/{'0' * 32}/models/{seed.SALES_MODEL_ID}/imports")
    assert status_message(wrong) == (404, "Resource not found")
