"""A long-lived process holding one OAuthAuth-backed CloudWorks client, as a server process does.

`python -m tests.oauth.worker` with the ANAPLAN_* variables set; each line on stdin is a command:
`call` makes one CloudWorks call and prints `ok` or `error <message>`; `hold` takes the sign-in's
lock, prints `holding` and keeps it until the process dies. Settings pick the way in themselves, so
the worker also proves that a stored sign-in makes `auth_mode` "oauth" with no password set.
"""

from __future__ import annotations

import sys

import anyio
import anyio.to_thread

from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.oauth.auth import OAuthAuth
from anaplan_mcp.server.app import open_client
from anaplan_mcp.settings import load_settings


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main() -> None:
    settings = load_settings()
    say(f"mode {settings.auth_mode}")
    async with open_client(settings) as client:
        auth = client._auth
        assert isinstance(auth, OAuthAuth)
        while command := (await anyio.to_thread.run_sync(sys.stdin.readline)).strip():
            if command == "call":
                try:
                    await client.list_connections()
                except CloudWorksError as exc:
                    say(f"error {exc}")
                else:
                    say("ok")
            elif command == "hold":
                async with auth.store.locked():
                    say("holding")
                    await anyio.sleep_forever()


if __name__ == "__main__":
    anyio.run(main)
