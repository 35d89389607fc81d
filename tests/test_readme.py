"""The README tells the truth: generated sections are current, every setting and flag is documented,
every sandbox client block starts a server that lists its tools, and every shell block that needs no
tenant runs as written, from a fresh copy of the repository."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from anaplan_mcp.cli import build_parser
from anaplan_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
REFRESH = "run `python scripts/gen_readme.py` and commit the README"
UVX_PREFIX = ["--from", "anaplan-cloudworks-mcp", "anaplan-mcp"]


@functools.cache
def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "scripts" / "gen_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_generated_sections_are_current(readme: str) -> None:
    generator = _generator()
    outdated = generator.stale(readme, generator.render_sections())
    assert not outdated, f"README sections out of date: {', '.join(outdated)}; {REFRESH}"


def test_every_setting_variable_is_documented(readme: str) -> None:
    variables = {
        name for info in Settings.model_fields.values() for name in _generator().env_names(info)
    }
    assert variables, "no ANAPLAN_* variables found in Settings"
    missing = sorted(name for name in variables if f"`{name}`" not in readme)
    assert not missing, f"variables missing from README.md: {missing}; {REFRESH}"


def test_every_flag_of_every_command_is_documented(readme: str) -> None:
    generator = _generator()
    parser = build_parser()
    flags = {
        (command, option)
        for command, sub in generator.subcommands(parser).items()
        for action in sub._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    missing = sorted(f"{command} {option}" for command, option in flags if option not in readme)
    assert not missing, f"flags missing from README.md: {missing}; {REFRESH}"
    for command in generator.subcommands(parser):
        assert f"anaplan-mcp {command} --help" in readme, f"no help of `{command}`; {REFRESH}"


def test_every_option_has_help_text() -> None:
    # `--help` is the other half of the documentation; an option without help text is a hole in it.
    generator = _generator()
    for command, sub in generator.subcommands(build_parser()).items():
        assert sub.description, f"`anaplan-mcp {command}` has no description"
        for action in sub._actions:
            assert action.help, f"`anaplan-mcp {command}` {action.dest} has no help text"


# -- client blocks ------------------------------------------------------------------------------

_MARKED = re.compile(
    r"<!-- client: (?P<client>[\w-]+) (?P<kind>sandbox|tenant) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```",
    re.DOTALL,
)


Process = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]
"""What a host starts: command, args and env."""


@dataclass(frozen=True)
class Launch:
    """How a client block starts the server."""

    where: str
    command: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def process(self) -> Process:
        return (self.command, tuple(self.args), tuple(sorted(self.env.items())))


def _from_json(where: str, body: str) -> Launch:
    config: dict[str, Any] = json.loads(body)
    servers = config.get("servers") or config.get("mcpServers")
    assert servers and "anaplan" in servers, f"{where}: no 'anaplan' entry under servers/mcpServers"
    if where.startswith("vscode"):
        assert "servers" in config, f"{where}: VS Code reads 'servers', not 'mcpServers'"
        assert servers["anaplan"].get("type") == "stdio", f"{where}: VS Code needs type stdio"
    else:
        assert "mcpServers" in config, f"{where}: this client reads 'mcpServers'"
    entry = servers["anaplan"]
    return Launch(where, entry["command"], list(entry.get("args", [])), dict(entry.get("env", {})))


def _from_claude_mcp_add(where: str, body: str) -> Launch:
    words = shlex.split(body.replace("\\\n", " "))
    assert words[:3] == ["claude", "mcp", "add"] and "--" in words, f"{where}: not `claude mcp add`"
    split = words.index("--")
    options, command = words[3:split], words[split + 1 :]
    env = {}
    for flag, value in itertools.pairwise(options):
        if flag in ("-e", "--env"):
            name, _, text = value.partition("=")
            env[name] = text
    assert options[-1] == "anaplan", f"{where}: the server name must come just before `--`"
    return Launch(where, command[0], command[1:], env)


def _launches(readme: str, kind: str) -> list[Launch]:
    found = []
    for number, match in enumerate(_MARKED.finditer(readme), start=1):
        if match["kind"] != kind:
            continue
        where = f"{match['client']} block #{number}"
        parse = _from_json if match["lang"] == "json" else _from_claude_mcp_add
        found.append(parse(where, match["body"]))
    return found


def test_the_readme_has_sandbox_and_tenant_blocks_for_every_client(readme: str) -> None:
    marked = {(m["client"], m["kind"]) for m in _MARKED.finditer(readme)}
    for client in ("claude-desktop", "claude-code", "cursor", "vscode"):
        assert {(client, "sandbox"), (client, "tenant")} <= marked, client
    tenant_envs = [launch.env for launch in _launches(readme, "tenant")]
    assert any("ANAPLAN_PASSWORD" in env for env in tenant_envs), "no basic-auth tenant block"
    assert any("ANAPLAN_CERTIFICATE" in env for env in tenant_envs), "no certificate tenant block"


def test_tenant_blocks_run_the_released_package_with_valid_settings(readme: str) -> None:
    known = {
        name for info in Settings.model_fields.values() for name in _generator().env_names(info)
    }
    for launch in _launches(readme, "tenant"):
        assert launch.command == "uvx", f"{launch.where}: tenant blocks use uvx"
        assert launch.args[:3] == UVX_PREFIX, f"{launch.where}: expected uvx {UVX_PREFIX}"
        build_parser().parse_args(launch.args[3:])  # exits (fails the test) on a wrong flag
        unknown = set(launch.env) - known
        assert not unknown, f"{launch.where}: unknown variables {sorted(unknown)}"


def _installed_path() -> str:
    # The sandbox blocks name the installed command; it sits beside the interpreter running the
    # tests (the virtualenv's bin folder), which a person's PATH would hold after installing.
    scripts = Path(sys.executable).parent
    assert (scripts / "anaplan-mcp").exists(), f"anaplan-mcp is not installed in {scripts}"
    return os.pathsep.join([str(scripts), os.environ.get("PATH", "")])


@pytest.mark.anyio
async def test_every_sandbox_block_starts_a_server_that_lists_tools(readme: str) -> None:
    launches = _launches(readme, "sandbox")
    assert len(launches) >= 4
    path = _installed_path()
    listed: dict[Process, set[str]] = {}

    # Blocks that start the very same process (same command, args and env) are started once.
    distinct = {launch.process for launch in launches}

    async def start(key: Process) -> None:
        command, args, env = key
        params = StdioServerParameters(
            command=command, args=list(args), env={**dict(env), "PATH": path}
        )
        with anyio.fail_after(60):
            async with Client(params) as client:
                listed[key] = {tool.name for tool in (await client.list_tools()).tools}

    async with anyio.create_task_group() as group:
        for key in distinct:
            group.start_soon(start, key)
    for launch in launches:
        names = listed[launch.process]
        assert "diagnose_integration" in names, f"{launch.where}: listed {sorted(names)}"
        if "--read-only" in launch.args:
            assert "run_integration" not in names, f"{launch.where}: write tools listed"
        else:
            assert "run_integration" in names, f"{launch.where}: write tools missing"


# -- shell blocks, run as a person runs them -------------------------------------------------

QUICK_START = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/anaplan-mcp demo\n"
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest\n"
)
# Blocks not run here, by the HTML comment just above them, and why. `client:` blocks configure a
# host; the client tests above start what they describe.
NOT_RUN = {
    "shell: tenant": "needs an Anaplan tenant",
    "shell: ci": "CI runs these (`bash .ci/run`); the suite cannot run itself",
    "shell: inspector": "fetches the MCP Inspector from npm; tests/external drives the Inspector",
    "shell: bundle": "tests/external/test_mcpb.py builds, validates and starts the bundle",
}
SANDBOX_MARK = "shell: sandbox"  # run with a sandbox listening where the block expects it
# The README's ports, swapped for free ones so that runs side by side do not collide.
PORTS = ("8899", "8765")
BLOCK_TIMEOUT_SECONDS = 240  # the install block builds the package and installs its dependencies

_SHELL = re.compile(
    r"(?:<!-- (?P<mark>[^>]*?) -->\n)?^```(?:bash|sh|shell)\n(?P<body>.*?)^```",
    re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class ShellBlock:
    line: int
    mark: str
    body: str


def _shell_blocks() -> list[ShellBlock]:
    """The shell blocks after the quick start's, each with the comment marking it (or "")."""
    text = README.read_text(encoding="utf-8")
    quick_start = text.index("## Quick start")
    after = text.index("\n## ", quick_start + 1)
    return [
        ShellBlock(text.count("\n", 0, match.start("body")) + 1, match["mark"] or "", match["body"])
        for match in _SHELL.finditer(text, after)
    ]


def _runnable() -> list[Any]:
    return [
        pytest.param(block, id=f"line-{block.line}")
        for block in _shell_blocks()
        if block.mark in ("", SANDBOX_MARK)
    ]


def test_the_quick_start_is_the_two_set_up_lines_then_how_to_use_the_command(readme: str) -> None:
    section = readme[readme.index("## Quick start") : readme.index("## Install")]
    assert f"```bash\n{QUICK_START}```" in section, "the quick start's two lines changed"
    assert "source .venv/bin/activate" in section and ".venv/bin/anaplan-mcp" in section


def test_every_shell_block_is_run_or_says_why_not() -> None:
    blocks = _shell_blocks()
    assert len(_runnable()) >= 4
    for block in blocks:
        known = block.mark in NOT_RUN or block.mark in ("", SANDBOX_MARK)
        assert known or block.mark.startswith("client: "), f"line {block.line}: {block.mark!r}"


def test_variables_are_set_one_per_assignment(readme: str) -> None:
    # `A=B=x` sets A to the text "B=x": the README and the sandbox's banner give one per assignment.
    from anaplan_mcp.sandbox.runner import announce

    banner = announce("127.0.0.1", 8899)
    for where, text in (("README.md", readme), ("the sandbox banner", banner)):
        assert not re.search(r"\bANAPLAN_\w+=ANAPLAN_", text), f"{where}: chained assignment"
    exports = [line.strip() for line in banner.splitlines() if line.strip().startswith("export ")]
    assert len(exports) == 4 and all(line in readme for line in exports), banner


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files as a clone has them (tracked, or new and not ignored), nothing built."""
    clone = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def _shell_env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANAPLAN_")}
    return {**env, "HOME": str(home), "PATH": _installed_path()}


def _run_shell(body: str, cwd: Path, env: dict[str, str]) -> tuple[int | None, str]:
    """Runs `body` with bash, stopping on the first failing command; then stops what it left running
    (a server started with `&`). Returns the exit status (None on timeout) and the output."""
    with tempfile.TemporaryFile() as output:
        shell = subprocess.Popen(
            ["bash", "-c", f"set -eo pipefail\n{body}"],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status: int | None = shell.wait(BLOCK_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            status = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait()
        output.seek(0)
        return status, output.read().decode(errors="replace")


@contextlib.contextmanager
def _sandbox_on(port: int, env: dict[str, str]) -> Iterator[None]:
    sandbox = subprocess.Popen(
        ["anaplan-mcp", "sandbox", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # until it listens, or 30 s
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert sandbox.poll() is None, "the sandbox exited at start-up"
            time.sleep(0.1)
        yield
    finally:
        sandbox.terminate()
        sandbox.wait(10)


@pytest.mark.parametrize("block", _runnable())
def test_shell_block_runs_as_written(block: ShellBlock, fresh_clone: Path, tmp_path: Path) -> None:
    ports = {port: str(_free_port()) for port in PORTS}
    body = block.body
    for port, free in ports.items():
        body = body.replace(port, free)
    env = _shell_env(tmp_path)
    with contextlib.ExitStack() as stack:
        if block.mark == SANDBOX_MARK:
            stack.enter_context(_sandbox_on(int(ports["8899"]), env))
        status, output = _run_shell(body, fresh_clone, env)
    assert status == 0, f"README.md line {block.line}: exit {status}\n{body}\n{output[-3000:]}"
