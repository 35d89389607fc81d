"""The README tells the truth: generated sections are current, every setting and flag is documented,
and every sandbox client block starts a server that lists its tools."""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import os
import re
import shlex
import sys
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
