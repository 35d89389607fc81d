"""The streamable HTTP transport: stateless, so any number of replicas can share a load balancer.

Stateless mode keeps no session between requests (2025-era clients included), and SSE replies
(`json_response=False`) keep progress notifications, which JSON replies would drop. `/healthz` answers
load-balancer probes without touching CloudWorks. `CancelLegacyCalls` makes a 2025-era client's
`notifications/cancelled` stop its call, which stateless mode alone would drop (see its module).
`PlainRequestErrors` answers a malformed request in a short line that never repeats it.
"""

from __future__ import annotations

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from anaplan_mcp.server.authorization import TeamAuthorization
from anaplan_mcp.server.cancellation import CancelLegacyCalls
from anaplan_mcp.server.http_errors import PlainRequestErrors

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def transport_security(host: str, allowed_hosts: tuple[str, ...]) -> TransportSecuritySettings:
    """DNS-rebinding protection that admits the loopback names, the bound host and `allowed_hosts`."""
    names = dict.fromkeys((*_LOCAL_HOSTS, host, *allowed_hosts))
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [f"{scheme}://{pattern}" for scheme in ("http", "https") for pattern in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def http_app(
    server: MCPServer,
    *,
    host: str,
    allowed_hosts: tuple[str, ...] = (),
    authorization: TeamAuthorization | None = None,
) -> Starlette:
    """The ASGI app that `serve --transport http` runs: MCP at /mcp, health at /healthz, and with
    `authorization` (--oauth) the authorization server's routes beside them."""

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "server": server.name})

    server.custom_route(HEALTH_PATH, methods=["GET"])(health)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=False,
        transport_security=transport_security(host, allowed_hosts),
        host=host,
    )
    if authorization is not None:
        authorization.install(app)
    app.add_middleware(CancelLegacyCalls)
    app.add_middleware(PlainRequestErrors)
    return app
