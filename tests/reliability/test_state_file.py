"""The sandbox's state file under SIGKILL: every acknowledged change survives, the file is whole.

`python -m anaplan_mcp sandbox --state FILE` runs as a child process on a loopback port. A burst of
concurrent creates (connections and integrations) goes to it over httpx2; the ids of the answers
that came back 2xx are recorded, and the process is killed with SIGKILL once a round's number of
acknowledgements is reached, with requests still in flight. The file must then parse and hold
every acknowledged id, and the sandbox restarted on it (the next round's, and a last one) must
list them all. Rounds share one file, so each restart keeps every earlier round's changes too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx2
import pytest

from anaplan_mcp.sandbox import seed_ids as seed

pytestmark = pytest.mark.anyio

CW = "/2/0/integrations"
BURST = 80
CONCURRENCY = 16
# Acknowledgements to wait for before the kill, one round each: at once, early, mid-burst.
KILL_AFTER = (0, 4, 30)
BURST_DEADLINE = 60.0


@dataclass
class Burst:
    """What one burst sent and which changes were acknowledged (id -> name, by kind)."""

    sent: int = 0
    connections: dict[str, str] = field(default_factory=dict)
    integrations: dict[str, str] = field(default_factory=dict)

    @property
    def acknowledged(self) -> int:
        return len(self.connections) + len(self.integrations)


def connection_body(name: str) -> dict[str, Any]:
    return {
        "type": "AmazonS3",
        "body": {
            "name": name,
            "bucketName": "burst-bucket",
            "accessKeyId": "AKIABURST",
            "secretAccessKey": "burst-secret-value",
        },
    }


def integration_body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "version": "2.0",
        "workspaceId": seed.WORKSPACE_ID,
        "modelId": seed.SALES_MODEL_ID,
        "nuxVisible": False,
        "jobs": [
            {
                "type": "AmazonS3ToAnaplan",
                "sources": [
                    {
                        "type": "AmazonS3",
                        "connectionId": seed.SALES_S3_CONNECTION_ID,
                        "file": "reference/products.csv",
                    }
                ],
                "targets": [
                    {"type": "Anaplan", "actionId": "112000000002", "fileId": "113000000002"}
                ],
            }
        ],
    }


async def burst_then_kill(
    http: httpx2.AsyncClient, round_number: int, kill: Callable[[], None]
) -> Burst:
    """Fire `BURST` creates, `CONCURRENCY` at a time; SIGKILL the sandbox after enough acks."""
    burst = Burst()
    enough = anyio.Event()
    threshold = KILL_AFTER[round_number]
    pending = iter(range(BURST))

    async def worker() -> None:
        for index in pending:
            name = f"burst {round_number}-{index}"
            burst.sent += 1
            try:
                if index % 2:
                    answer = await http.post(CW, json=integration_body(name))
                    table, key, wrapper = burst.integrations, "integrationId", "integration"
                else:
                    answer = await http.post(f"{CW}/connections", json=connection_body(name))
                    table, key, wrapper = burst.connections, "connectionId", "connections"
            except httpx2.TransportError:
                return  # the sandbox is gone: nothing after this was acknowledged
            assert answer.status_code == 200, answer.text
            table[answer.json()[wrapper][key]] = name
            if burst.acknowledged >= threshold:
                enough.set()

    with anyio.fail_after(BURST_DEADLINE):
        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(worker)
            if threshold == 0:
                await anyio.lowlevel.checkpoint()  # the workers send their first requests
            else:
                await enough.wait()
            kill()
    return burst


def read_state(path: Path) -> dict[str, Any]:
    """The state file as JSON: it must parse and have the sandbox's shape."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == 1
    store: dict[str, Any] = payload["store"]
    assert isinstance(store["connections"], dict) and isinstance(store["integrations"], dict)
    return store


async def listed(http: httpx2.AsyncClient, path: str, key: str, id_key: str) -> dict[str, str]:
    """Every item of a paged CloudWorks listing, id -> name."""
    found: dict[str, str] = {}
    offset = 0
    while True:
        answer = await http.get(path, params={"offset": offset, "limit": 100})
        assert answer.status_code == 200, answer.text
        page = answer.json()[key]
        for item in page:
            found[item[id_key]] = item.get("name") or item["body"]["name"]
        if len(page) < 100:
            return found
        offset += len(page)


async def test_every_acknowledged_change_survives_sigkill(
    tmp_path: Path,
    start_sandbox: Callable[..., Any],
    sign_in: Callable[[httpx2.AsyncClient], Any],
) -> None:
    """Each start on the file first checks the earlier rounds' changes, then bursts and dies."""
    state = tmp_path / "sandbox-state.json"
    connections: dict[str, str] = {}
    integrations: dict[str, str] = {}
    for round_number in range(len(KILL_AFTER) + 1):
        async with start_sandbox(state=state) as child:
            async with httpx2.AsyncClient(base_url=child.base, timeout=10.0) as http:
                http.headers["Authorization"] = f"AnaplanAuthToken {await sign_in(http)}"
                kept_connections = await listed(
                    http, f"{CW}/connections", "connections", "connectionId"
                )
                kept_integrations = await listed(http, CW, "integrations", "integrationId")
                # The seed is there too: a restart loads the file rather than seeding afresh.
                assert seed.SALES_S3_CONNECTION_ID in kept_connections
                assert connections.items() <= kept_connections.items()
                assert integrations.items() <= kept_integrations.items()
                if round_number == len(KILL_AFTER):
                    return
                burst = await burst_then_kill(http, round_number, child.kill)
            assert child.process.returncode == -9  # SIGKILL, not an orderly exit
        assert burst.acknowledged >= KILL_AFTER[round_number]
        assert burst.acknowledged < BURST, "the kill came after the burst had ended"
        connections |= burst.connections
        integrations |= burst.integrations
        on_disk = read_state(state)
        assert connections.keys() <= on_disk["connections"].keys()
        assert integrations.keys() <= on_disk["integrations"].keys()
