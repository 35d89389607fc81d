"""An ASGI app on a port, for `serve --transport http` and `sandbox`.

The socket is bound before anything is announced: a URL printed for a server that then fails to
listen sends a person to the wrong place, and uvicorn reports a taken port as a log line among
others. Here a port that cannot be had is one `ListenError` naming it, before any start-up line.
"""

from __future__ import annotations

import errno
import socket
from typing import Any


class ListenError(OSError):
    """The port cannot be listened on; the message names the host, the port and why."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host`:`port` (port 0: any free port), ready to hand to `run`."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ListenError(
            f"cannot listen on {host}:{port}: unknown host ({exc.strerror})"
        ) from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by a server just stopped can be taken again.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(
                f"port {port} on {host} is in use: stop what holds it, or choose another with --port"
            ) from None
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    # Listening now, so a client that connects as soon as the URL is announced waits in the
    # backlog until uvicorn accepts, instead of being refused.
    sock.listen(2048)
    return sock


def bound_port(sock: socket.socket) -> int:
    """The port `sock` listens on (the one chosen for port 0)."""
    port: int = sock.getsockname()[1]
    return port


def run(app: Any, sock: socket.socket, **options: Any) -> None:
    """Serve `app` with uvicorn on the bound `sock` until interrupted."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, **options))
    server.run(sockets=[sock])
