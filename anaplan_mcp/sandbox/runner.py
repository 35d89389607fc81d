"""Serve the sandbox over HTTP with uvicorn; logs go to stderr."""

from __future__ import annotations

import logging
import sys

import uvicorn

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER
from anaplan_mcp.sandbox.oauth import CODE_CLIENT_ID, CODE_CLIENT_SECRET, DEVICE_CLIENT_ID

logger = logging.getLogger(__name__)


def announce(host: str, port: int) -> str:
    """The lines that tell a person which URLs and credentials to use."""
    base = f"http://{host}:{port}"
    # Lines a shell runs as they are: `A=B=x` would set A to the text "B=x".
    return "\n".join(
        [
            f"Anaplan CloudWorks sandbox listening on {base}; to point anaplan-mcp at it:",
            f"  export ANAPLAN_CLOUDWORKS_URL={base}/2/0 ANAPLAN_API_URL={base}/2/0",
            f"  export ANAPLAN_AUTH_URL={base} ANAPLAN_USERNAME={SEEDED_USER} "
            f"ANAPLAN_PASSWORD={SEEDED_PASSWORD}",
            "or, to sign in with OAuth instead, then `anaplan-mcp login --device`:",
            f"  export ANAPLAN_OAUTH_URL={base}",
            f"  export ANAPLAN_OAUTH_CLIENT_ID={DEVICE_CLIENT_ID}",
            f"  (`anaplan-mcp login` in the browser: ANAPLAN_OAUTH_CLIENT_ID={CODE_CLIENT_ID} "
            f"ANAPLAN_OAUTH_CLIENT_SECRET={CODE_CLIENT_SECRET}; POST {base}/_sandbox/oauth/approve "
            "approves a sign-in as a seeded user)",
        ]
    )


def serve(host: str, port: int, config: SandboxConfig | None = None) -> None:
    """Build a sandbox and serve it until interrupted."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    sandbox = Sandbox(config)
    logger.info("%s", announce(host, port))
    uvicorn.run(sandbox.app, host=host, port=port, log_level="info", access_log=False)
