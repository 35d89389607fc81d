"""Many processes, one sign-in, a real sandbox process: the rotation rule across OS processes.

The sandbox runs with reuse detection on (a reused refresh token revokes the whole sign-in), so a
single refresh made twice would show in `reuses` and sign everyone out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from anaplan_mcp.oauth.client import AnaplanOAuthClient
from tests.listening import sandbox_process

REPO = Path(__file__).resolve().parents[2]
WORKERS = 8
ROUNDS = 20
USER = "sandbox@example.com"


@pytest.fixture
def sandbox() -> Iterator[str]:
    with sandbox_process() as base:
        yield base


def device_client_id(base: str) -> str:
    """The seeded device-grant client: the one without a secret, as the sandbox lists it."""
    clients = httpx2.get(f"{base}/_sandbox/oauth").json()["clients"]
    return next(str(client["client_id"]) for client in clients if not client["client_secret"])


def sign_in(base: str, store: Path) -> dict[str, str]:
    """The device grant against the sandbox, approved through its admin route; the store seeded
    the way `anaplan-mcp login --device` would. Returns the workers' environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANAPLAN_") and key != "PYTHON_KEYRING_BACKEND"
    }
    env |= {
        "ANAPLAN_OAUTH_CLIENT_ID": device_client_id(base),
        "ANAPLAN_OAUTH_URL": base,
        "ANAPLAN_CLOUDWORKS_URL": f"{base}/2/0",
        "ANAPLAN_API_URL": f"{base}/2/0",
        "ANAPLAN_AUTH_URL": base,
        "ANAPLAN_MCP_TOKEN_STORE": str(store),
        "ANAPLAN_MAX_RETRIES": "0",
        # Never the developer's own keyring: the named file is the store.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }

    async def grant() -> None:
        from anaplan_mcp.oauth.store import FileSignInStore, sign_in_key

        oauth = AnaplanOAuthClient(base, env["ANAPLAN_OAUTH_CLIENT_ID"])
        device = await oauth.start_device()
        async with httpx2.AsyncClient(base_url=base) as http:
            answer = await http.post(
                "/_sandbox/oauth/approve", json={"user_code": device.user_code, "username": USER}
            )
            assert answer.status_code == 200, answer.text

        async def no_wait(seconds: float) -> None:
            pass

        tokens = await oauth.poll_device(device, sleep=no_wait)
        await oauth.aclose()
        await FileSignInStore(store, sign_in_key(env["ANAPLAN_OAUTH_CLIENT_ID"], base)).save(tokens)

    anyio.run(grant)
    return env


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oauth.worker"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ready(self) -> Worker:
        assert self.answer() == "mode oauth"  # settings chose the stored sign-in by themselves
        return self

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def answer(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


def oauth_counts(base: str) -> dict[str, Any]:
    return dict(httpx2.get(f"{base}/_sandbox/oauth").json())


def test_eight_processes_share_one_sign_in_through_twenty_rotations(
    sandbox: str, tmp_path: Path
) -> None:
    env = sign_in(sandbox, tmp_path / "sign-in.json")
    workers = [Worker(env) for _ in range(WORKERS)]  # started together, then awaited
    try:
        for worker in workers:
            worker.ready()
        for worker in workers:  # each loads the sign-in and uses it once before the rounds
            worker.send("call")
        assert [worker.answer() for worker in workers] == ["ok"] * WORKERS
        for round_number in range(1, ROUNDS + 1):
            assert httpx2.post(f"{sandbox}/_sandbox/tokens/expire").status_code < 300
            for worker in workers:  # released together: all eight hold the expired token
                worker.send("call")
            answers = [worker.answer() for worker in workers]
            assert answers == ["ok"] * WORKERS, (round_number, answers)
            counts = oauth_counts(sandbox)
            assert (counts["refreshes"], counts["reuses"]) == (round_number, 0)
        ninth = Worker(env).ready()
        ninth.send("call")
        assert ninth.answer() == "ok"
        ninth.close()
        assert oauth_counts(sandbox)["reuses"] == 0
    finally:
        for worker in workers:
            worker.close()


def test_a_process_killed_holding_the_lock_leaves_a_usable_sign_in(
    sandbox: str, tmp_path: Path
) -> None:
    env = sign_in(sandbox, tmp_path / "sign-in.json")
    holder = Worker(env).ready()
    holder.send("hold")
    assert holder.answer() == "holding"
    holder.process.send_signal(signal.SIGKILL)
    holder.close()
    httpx2.post(f"{sandbox}/_sandbox/tokens/expire")
    after = Worker(env).ready()
    try:
        after.send("call")
        assert after.answer() == "ok"  # the kernel let go of the dead process's lock
        assert (oauth_counts(sandbox)["refreshes"], oauth_counts(sandbox)["reuses"]) == (1, 0)
    finally:
        after.close()


def test_a_process_killed_mid_refresh_leaves_a_store_the_next_one_can_use(
    sandbox: str, tmp_path: Path
) -> None:
    store = tmp_path / "sign-in.json"
    env = sign_in(sandbox, store)
    before = store.read_bytes()
    fault = {
        "kind": "latency",
        "method": "POST",
        "path": "/oauth/token",
        "latency_ms": 1500,
        "times": 1,
    }
    assert httpx2.post(f"{sandbox}/_sandbox/faults", json=fault).status_code == 201
    httpx2.post(f"{sandbox}/_sandbox/tokens/expire")
    victim = Worker(env).ready()
    victim.send("call")
    deadline = time.monotonic() + 10
    while in_flight(sandbox) == 0:
        assert time.monotonic() < deadline, "the refresh never reached the sandbox"
        time.sleep(0.01)
    victim.process.send_signal(signal.SIGKILL)  # its refresh is on the wire, its answer lost
    victim.close()
    while in_flight(sandbox):  # whatever the service does with the orphaned refresh, it is done
        assert time.monotonic() < deadline, "the delayed refresh never ended"
        time.sleep(0.02)
    assert store.read_bytes() == before  # nothing written half: the record the victim read
    rotated = oauth_counts(sandbox)["refreshes"] == 1
    after = Worker(env).ready()
    try:
        after.send("call")
        answer = after.answer()
    finally:
        after.close()
    if rotated:
        assert answer.startswith("error ") and "run `anaplan-mcp login` again" in answer
    else:
        assert answer == "ok"


def test_a_refresh_whose_answer_is_lost_is_not_repeated_and_then_says_to_log_in_again(
    sandbox: str, tmp_path: Path
) -> None:
    env = sign_in(sandbox, tmp_path / "sign-in.json")
    # The service rotates, the answer never arrives: the rotation is lost on the service's side.
    fault = {"kind": "drop", "method": "POST", "path": "/oauth/token", "times": 1}
    httpx2.delete(f"{sandbox}/_sandbox/requests")  # forget the sign-in's own token request
    assert httpx2.post(f"{sandbox}/_sandbox/faults", json=fault).status_code == 201
    httpx2.post(f"{sandbox}/_sandbox/tokens/expire")
    worker = Worker(env).ready()
    try:
        worker.send("call")
        first = worker.answer()
        assert first.startswith("error ") and "/oauth/token" in first
        refreshes = [
            r
            for r in httpx2.get(f"{sandbox}/_sandbox/requests").json()["requests"]
            if r["path"] == "/oauth/token"
        ]
        assert len(refreshes) == 1  # sent once: repeating a spent token would be a reuse
        worker.send("call")
        second = worker.answer()
        assert second.startswith("error ") and "run `anaplan-mcp login` again" in second
        assert "Traceback" not in second
    finally:
        worker.close()


def in_flight(base: str) -> int:
    return int(httpx2.get(f"{base}/_sandbox/requests").json()["in_flight"])
