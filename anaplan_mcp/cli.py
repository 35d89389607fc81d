"""The `anaplan-mcp` command: one function per subcommand, added to one argparse parser.

Flags win over `ANAPLAN_*` variables. Nothing is written to stdout except by `tools`, `call`, `check`,
`demo`, `login` and `logout`, whose output is for a person; `serve` keeps stdout for the MCP protocol
and logs to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from anaplan_mcp.server.authorization import TeamAuthorization
    from anaplan_mcp.settings import Settings

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

Command = Callable[[argparse.Namespace], int]
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand; each subcommand sets `handler` to its function."""
    parser = argparse.ArgumentParser(
        prog="anaplan-mcp", description="MCP server for Anaplan CloudWorks."
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_serve(subcommands)
    _add_tools(subcommands)
    _add_call(subcommands)
    _add_check(subcommands)
    _add_demo(subcommands)
    _add_login(subcommands)
    _add_sandbox(subcommands)
    return parser


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        default=None,
        help="use the built-in CloudWorks sandbox (ANAPLAN_MCP_SANDBOX=1)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="list only read tools and refuse writes (ANAPLAN_MCP_READ_ONLY=1)",
    )
    parser.add_argument(
        "--toolsets",
        metavar="A,B",
        help="comma list of connections,integrations,runs,schedules,flows,notifications "
        "(ANAPLAN_MCP_TOOLSETS; default all)",
    )
    parser.add_argument(
        "--token-passthrough",
        action="store_true",
        default=None,
        help="use each caller's own token from 'Authorization: AnaplanAuthToken <token>' "
        "(HTTP only; ANAPLAN_MCP_TOKEN_PASSTHROUGH=1)",
    )


def _add_serve(subcommands: Subcommands) -> None:
    serve = subcommands.add_parser(
        "serve",
        help="run the MCP server (the default command)",
        description="Run the MCP server over stdio (default) or streamable HTTP.",
    )
    _server_flags(serve)
    serve.add_argument(
        "--transport",
        choices=("stdio", "http"),
        default="stdio",
        help="stdio (default) or streamable HTTP",
    )
    serve.add_argument("--host", default="127.0.0.1", help="HTTP interface (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    serve.add_argument(
        "--allowed-hosts",
        metavar="A,B",
        help="extra Host names the HTTP server answers to, behind a proxy "
        "(ANAPLAN_MCP_ALLOWED_HOSTS)",
    )
    serve.add_argument(
        "--oauth",
        action="store_true",
        default=None,
        help="sign each person in to Anaplan and act as the MCP clients' OAuth server "
        "(HTTP only; ANAPLAN_MCP_OAUTH=1, needs ANAPLAN_MCP_PUBLIC_URL, ANAPLAN_OAUTH_CLIENT_ID)",
    )
    serve.set_defaults(handler=run_serve)


def _add_tools(subcommands: Subcommands) -> None:
    tools = subcommands.add_parser(
        "tools", help="list the tools", description="List the tools this configuration exposes."
    )
    _server_flags(tools)
    tools.set_defaults(handler=run_tools)


def _add_call(subcommands: Subcommands) -> None:
    call = subcommands.add_parser(
        "call",
        help="call one tool and print the result",
        description="Call one tool through the MCP protocol in-process. Values are read as JSON "
        "when they are JSON (limit=5, wait=true), else as text.",
    )
    _server_flags(call)
    call.add_argument("tool", help="tool name (see `anaplan-mcp tools`)")
    call.add_argument("arguments", nargs="*", metavar="key=value", help="tool arguments")
    call.add_argument("--json", metavar="OBJECT", help="all arguments as one JSON object")
    call.set_defaults(handler=run_call)


def _add_check(subcommands: Subcommands) -> None:
    check = subcommands.add_parser(
        "check",
        help="check credentials, region and URLs against Anaplan",
        description="Check the configuration: authenticate, validate the token, reach CloudWorks "
        "and the Integration API. One line per check, with the fix for any that fails.",
    )
    check.add_argument(
        "--sandbox", action="store_true", default=None, help="check against the built-in sandbox"
    )
    check.set_defaults(handler=run_check)


def _add_demo(subcommands: Subcommands) -> None:
    demo = subcommands.add_parser(
        "demo",
        help="a guided troubleshooting session on the sandbox",
        description="Troubleshoot a failed load on the built-in sandbox, step by step, through "
        "the MCP tools. No credentials, no network.",
    )
    demo.set_defaults(handler=run_demo)


def _add_login(subcommands: Subcommands) -> None:
    login = subcommands.add_parser(
        "login",
        help="sign in to Anaplan with OAuth 2.0 and keep the sign-in",
        description="Sign in to Anaplan through the OAuth client ANAPLAN_OAUTH_CLIENT_ID: in the "
        "browser (works with SSO), or with --device by typing a code on any device. The sign-in "
        "is kept in the OS keyring or ANAPLAN_MCP_TOKEN_STORE, and serve, tools, call and check "
        "use it when no other credentials are set.",
    )
    login.add_argument(
        "--device",
        action="store_true",
        help="use the device grant: print a URL and a code instead of opening a browser "
        "(basic-auth users)",
    )
    login.set_defaults(handler=run_login)
    logout = subcommands.add_parser(
        "logout",
        help="forget the stored OAuth sign-in",
        description="Forget the sign-in kept for the OAuth client ANAPLAN_OAUTH_CLIENT_ID.",
    )
    logout.set_defaults(handler=run_logout)


def _add_sandbox(subcommands: Subcommands) -> None:
    sandbox = subcommands.add_parser(
        "sandbox",
        help="run the local CloudWorks emulator as an HTTP server",
        description="Run the CloudWorks + Anaplan auth emulator with a seeded demo tenant.",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8899, help="port (default 8899)")
    sandbox.add_argument("--state", type=Path, metavar="FILE", help="keep the tenant in FILE")
    sandbox.add_argument(
        "--seed-integrations",
        type=int,
        metavar="N",
        help="grow the tenant to N integrations (at most 500 with flows)",
    )
    sandbox.set_defaults(handler=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    """`anaplan-mcp sandbox`: serve the emulator until interrupted."""
    from anaplan_mcp import serving
    from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
    from anaplan_mcp.sandbox.runner import announce

    if args.seed_integrations is not None and not 0 <= args.seed_integrations <= 500:
        print("anaplan-mcp sandbox: --seed-integrations must be between 0 and 500", file=sys.stderr)
        return 2
    config = SandboxConfig(state_file=args.state, seed_integrations=args.seed_integrations)
    try:
        sock = serving.listen(args.host, args.port)
    except serving.ListenError as exc:
        return _fail(f"sandbox: {exc}")
    sandbox = Sandbox(config)
    print(announce(args.host, serving.bound_port(sock)), file=sys.stderr)
    serving.run(sandbox.app, sock, log_level="info", access_log=False)
    return 0


def _fail(message: str) -> int:
    print(f"anaplan-mcp: {message}", file=sys.stderr)
    return EXIT_USAGE


def _settings(args: argparse.Namespace) -> Settings:
    from anaplan_mcp.settings import load_settings

    flags: dict[str, Any] = {
        name: getattr(args, name, None)
        for name in (
            "sandbox",
            "read_only",
            "toolsets",
            "allowed_hosts",
            "token_passthrough",
            "oauth",
        )
    }
    settings = load_settings(**flags)
    if settings.sandbox and settings.has_credentials:
        print(
            "anaplan-mcp: --sandbox is set, so the Anaplan credentials given are not used",
            file=sys.stderr,
        )
    return settings


def _server(settings: Settings, authorization: TeamAuthorization | None = None) -> MCPServer:
    from anaplan_mcp.server.app import create_server

    return create_server(settings, authorization=authorization)


def _team_authorization(settings: Settings) -> TeamAuthorization:
    """serve --oauth: the authorization server; says on stderr when it holds sign-ins in memory."""
    from anaplan_mcp.server.authorization import ONE_REPLICA_NOTE, team_authorization

    authorization = team_authorization(settings)
    if not authorization.shared:
        print(ONE_REPLICA_NOTE, file=sys.stderr)
    return authorization


def run_serve(args: argparse.Namespace) -> int:
    """`anaplan-mcp serve`: the MCP server over stdio or streamable HTTP."""
    settings = _settings(args)
    if settings.token_passthrough and args.transport != "http":
        # The flag or ANAPLAN_MCP_TOKEN_PASSTHROUGH: either way stdio has no caller to take it from.
        return _fail(
            "--token-passthrough (ANAPLAN_MCP_TOKEN_PASSTHROUGH) needs --transport http "
            "(stdio has no caller headers)"
        )
    if settings.oauth and args.transport != "http":
        return _fail("--oauth (ANAPLAN_MCP_OAUTH) needs --transport http (stdio has one user)")
    if settings.oauth and (settings.sandbox or settings.token_passthrough):
        return _fail(
            "--oauth signs each person in to Anaplan: it cannot be combined with --sandbox "
            "or --token-passthrough"
        )
    authorization = _team_authorization(settings) if settings.oauth else None
    server = _server(settings, authorization)
    if args.transport == "stdio":
        server.run("stdio")
        return 0
    from anaplan_mcp import serving
    from anaplan_mcp.server.http import http_app

    try:
        sock = serving.listen(args.host, args.port)
    except serving.ListenError as exc:
        return _fail(f"serve: {exc}")
    app = http_app(
        server,
        host=args.host,
        allowed_hosts=tuple(_split(args.allowed_hosts)),
        authorization=authorization,
    )
    print(f"anaplan-mcp: MCP at http://{args.host}:{serving.bound_port(sock)}/mcp", file=sys.stderr)
    serving.run(app, sock, log_level="warning")
    return 0


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def run_tools(args: argparse.Namespace) -> int:
    """`anaplan-mcp tools`: list the tools."""
    import anyio

    from anaplan_mcp.console import list_tools

    return anyio.run(list_tools, _server(_settings(args)))


def run_call(args: argparse.Namespace) -> int:
    """`anaplan-mcp call TOOL key=value ...`: call one tool."""
    import anyio

    from anaplan_mcp.console import ArgumentsError, call_tool, parse_arguments

    try:
        arguments = parse_arguments(args.arguments, args.json)
    except ArgumentsError as exc:
        return _fail(f"call: {exc}")
    return anyio.run(call_tool, _server(_settings(args)), args.tool, arguments)


def run_check(args: argparse.Namespace) -> int:
    """`anaplan-mcp check`: authenticate and reach CloudWorks with this configuration."""
    import anyio

    from anaplan_mcp.check import run_check as check
    from anaplan_mcp.server.app import open_client
    from anaplan_mcp.settings import SettingsError

    async def main(settings: Settings) -> int:
        sandbox = None
        if settings.sandbox:
            from anaplan_mcp.sandbox.app import Sandbox

            sandbox = Sandbox()
        async with open_client(settings, sandbox) as client:
            return await check(settings, client, print)

    # A setting that cannot work (bad region, unreadable certificate) fails the check before any
    # request, on stderr with the usage status, as it does for every other command.
    try:
        return anyio.run(main, _settings(args))
    except SettingsError as exc:
        print(f"FAIL configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_login(args: argparse.Namespace) -> int:
    """`anaplan-mcp login [--device]`: sign in with OAuth 2.0 and keep the sign-in."""
    import anyio

    from anaplan_mcp.cloudworks import CloudWorksError
    from anaplan_mcp.oauth import login
    from anaplan_mcp.oauth.configured import client_id

    settings = _settings(args)
    if settings.sandbox:
        return _fail("login: ANAPLAN_MCP_SANDBOX is set, and the sandbox needs no sign-in")
    client_id(settings)  # before anything is bound or opened

    async def sign_in() -> str:
        grant = login.device_login if args.device else login.browser_login
        return await login.keep(settings, await grant(settings, _say))

    try:
        print(anyio.run(sign_in))
    except (login.LoginError, CloudWorksError) as exc:
        print(f"anaplan-mcp: login: {exc}", file=sys.stderr)
        return 1
    return 0


def run_logout(args: argparse.Namespace) -> int:
    """`anaplan-mcp logout`: forget the stored sign-in of the configured OAuth client."""
    import anyio

    from anaplan_mcp.cloudworks import CloudWorksError
    from anaplan_mcp.oauth.login import logout

    try:
        print(anyio.run(logout, _settings(args)))
    except CloudWorksError as exc:
        print(f"anaplan-mcp: logout: {exc}", file=sys.stderr)
        return 1
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """`anaplan-mcp demo`: a guided troubleshooting session on the sandbox."""
    import anyio

    from anaplan_mcp.server.demo import run_demo as demo

    return anyio.run(demo, print)


def _configure_logging() -> None:
    # stderr only: on stdio, stdout is the protocol. Our own INFO lines (the audit trail) are kept;
    # other libraries speak from WARNING up.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("anaplan_mcp").setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `anaplan-mcp` and `python -m anaplan_mcp`; returns the exit status."""
    from anaplan_mcp.console import quiet_on_closed_pipe
    from anaplan_mcp.settings import SettingsError

    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help")):
        arguments.insert(0, "serve")
    args = parser.parse_args(arguments)
    handler: Command | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure_logging()
    handler = quiet_on_closed_pipe(handler)
    try:
        return handler(args)
    except SettingsError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
