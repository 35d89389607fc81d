"""The loopback redirect of the authorization code grant (RFC 8252 §7.3): a socket on this machine
that the browser brings the sign-in's answer to, and the small page it answers with.

Only the answer on the redirect's path is taken; anything else (a favicon, a probe) gets a 404. Each
connection is served on its own, so a browser's speculative connection that never sends a request
does not hold up the one that does.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hmac
import html
import socket
from urllib.parse import parse_qs, urlsplit

import anyio
from anyio.abc import SocketListener, SocketStream
from anyio.streams.memory import MemoryObjectSendStream

from anaplan_mcp.oauth.errors import LOGIN_AGAIN

REQUEST_SECONDS = 10.0  # a browser that connects and sends nothing (a preconnect) is let go
MAX_REQUEST_HEAD = 16 * 1024


class LoginError(Exception):
    """The sign-in did not happen (or was not kept); one line naming the cause and the fix."""


def bind(redirect_uri: str) -> tuple[socket.socket, str]:
    """A socket listening where the browser will bring the answer, and the path it comes to.

    Bound before the browser opens: an answer that arrives at a port nobody listens on is lost,
    and the person would wait for nothing.
    """
    parts = urlsplit(redirect_uri)  # a loopback http URL with a port: settings checked it
    ipv6 = parts.hostname == "::1"
    address = "::1" if ipv6 else "127.0.0.1"  # "localhost" too: never an outside interface
    port = parts.port or 80
    sock = socket.socket(socket.AF_INET6 if ipv6 else socket.AF_INET, socket.SOCK_STREAM)
    # A port left in TIME_WAIT by the previous login can be taken again; one held by a listening
    # program still cannot.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise LoginError(
            f"port {port} on {address} {why}, and the sign-in comes back there "
            "(ANAPLAN_OAUTH_REDIRECT_URI): stop what holds it, or set ANAPLAN_OAUTH_REDIRECT_URI "
            "to another port registered with the OAuth client"
        ) from None
    sock.listen(16)
    return sock, parts.path or "/"


def _page(status: str, message: str) -> bytes:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>anaplan-mcp sign-in</title>"
        f"</head><body><h1>anaplan-mcp</h1><p>{html.escape(message)}</p></body></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
        # The address bar holds the code: nothing on the page may carry it elsewhere.
        "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _verdict(params: dict[str, str], state: str) -> tuple[str, str]:
    if not hmac.compare_digest(params.get("state", ""), state):
        return "400 Bad Request", "This answer does not belong to the sign-in in progress."
    if "error" in params:
        return "200 OK", "The sign-in did not complete. Go back to the terminal to see why."
    return "200 OK", "Signed in. You can close this tab and go back to the terminal."


async def _answer(
    stream: SocketStream, *, path: str, state: str, found: MemoryObjectSendStream[dict[str, str]]
) -> None:
    """Serve one connection to the loopback: the redirect's page, or 404 for anything else."""
    async with stream:
        head = b""
        with anyio.move_on_after(REQUEST_SECONDS):
            try:
                while b"\r\n\r\n" not in head and len(head) < MAX_REQUEST_HEAD:
                    head += await stream.receive(4096)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return
        words = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        target = urlsplit(words[1]) if len(words) == 3 and words[0] == "GET" else None
        if target is None or target.path != path:  # a favicon, a probe: not the answer
            reply = _page("404 Not Found", "Nothing here.")
            params = None
        else:
            params = {key: values[0] for key, values in parse_qs(target.query).items()}
            reply = _page(*_verdict(params, state))
        with contextlib.suppress(anyio.BrokenResourceError):
            await stream.send(reply)  # the page first: the login ends once the answer is taken
        if params is not None:
            # The first answer decides; a second one (a reload) changes nothing.
            with contextlib.suppress(anyio.WouldBlock):
                found.send_nowait(params)


async def wait_for_answer(
    sock: socket.socket, path: str, state: str, limit: float
) -> dict[str, str]:
    send, receive = anyio.create_memory_object_stream[dict[str, str]](1)
    handler = functools.partial(_answer, path=path, state=state, found=send)
    answer: dict[str, str] | None = None
    listener = await SocketListener.from_socket(sock)
    async with send, receive, listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handler, group)
        with anyio.move_on_after(limit):
            answer = await receive.receive()
        group.cancel_scope.cancel()
    if answer is None:
        raise LoginError(
            f"no sign-in came back within {limit / 60:g} minutes; {LOGIN_AGAIN} "
            "(or `anaplan-mcp login --device` where the browser cannot reach this machine)"
        )
    return answer
