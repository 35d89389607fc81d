"""Rewrite the generated sections of README.md from the code, so that they cannot drift.

Each section sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`:

- `config`: every `Settings` field (its `ANAPLAN_*` variable, flag, default, meaning), then the flags
  that have no variable, read from `build_parser()`;
- `tools`, `resources`, `prompts`: what a client lists from the server itself (sandbox, every toolset);
- `cli`: the help of `anaplan-mcp` and of each subcommand, at a fixed width.

The server lists its tools from `anaplan_mcp/server/catalogue.json`, so that file is rewritten first,
from the tool functions (see `anaplan_mcp/server/catalogue.py`).

Run `python scripts/gen_readme.py` after changing a tool, a setting or a flag; `--check` only reports
stale files and sections (exit 1). `tests/test_readme.py` and `tests/server/test_catalogue.py` run the
same comparisons.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.types import Prompt, Resource, ResourceTemplate, Tool
from pydantic.fields import FieldInfo

from anaplan_mcp.cli import build_parser
from anaplan_mcp.cloudworks.regions import REGIONS
from anaplan_mcp.server import catalogue
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.registry import ToolSpec, catalogue_entry
from anaplan_mcp.server.secrets import SECRET_PREFIX
from anaplan_mcp.server.tools import ALL_TOOLS
from anaplan_mcp.settings import ALWAYS, TOOLSETS, Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CATALOGUE = ROOT / "anaplan_mcp" / "server" / catalogue.FILE
HELP_WIDTH = 100
REFRESH = "python scripts/gen_readme.py"

# What each setting means, for the settings that carry no `Field(description=...)` of their own.
# A new field without either makes the generator fail, so the table is never silently incomplete.
MEANINGS: dict[str, str] = {
    "username": "basic authentication: the Anaplan user (an email address)",
    "password": "basic authentication: that user's password",
    "certificate": "CA-certificate authentication: the certificate, as a file path or the PEM text",
    "private_key": "CA-certificate authentication: its private key, as a file path or the PEM text",
    "private_key_password": "the private key's password, if it is encrypted",
    "token": "a ready Anaplan token; not refreshed unless credentials are given too",
    "region": "the tenant's region, one of " + ", ".join(f"`{code}`" for code in REGIONS),
    "cloudworks_url": "CloudWorks base URL, including `/2/0` (overrides the region)",
    "auth_url": "Anaplan auth service base URL (overrides the region)",
    "api_url": "Integration API base URL, including `/2/0` (overrides the region)",
    "timeout": "HTTP timeout in seconds",
    "max_retries": "retries of idempotent calls on connection errors, 429 and 5xx (0-10)",
    "sandbox": "serve the built-in CloudWorks sandbox instead of a tenant",
    "read_only": "list only read tools; a write tool called anyway is refused with the reason",
    "toolsets": "comma list of " + ", ".join(f"`{name}`" for name in TOOLSETS),
    "allowed_hosts": "HTTP only: extra `Host` names the server answers to (behind a proxy)",
    "token_passthrough": "HTTP only: each request brings its caller's token as "
    "`Authorization: AnaplanAuthToken <token>`; the server holds no credentials",
    "state_key": "shared secret so that confirmations work across HTTP replicas",
    # serve --oauth (its own block, as in settings.py)
    "oauth": "HTTP only: sign each person in to Anaplan; the server is the clients' OAuth server",
    "public_url": "with `--oauth`: the URL clients reach (metadata, token audience)",
    "redis_url": "with `--oauth`: Redis shared by the replicas; without it, one replica only",
}

SECRET_ROW = (
    f"| `{SECRET_PREFIX}<NAME>` | | | secrets a tool input may name as "
    f"`env:{SECRET_PREFIX}<NAME>` (no other variable can be named) |"
)

ACCESS = {"read": "R", "write": "W", "destructive": "D"}


# -- configuration ------------------------------------------------------------------------------


def env_names(field: FieldInfo) -> list[str]:
    """The `ANAPLAN_*` variables a settings field is read from."""
    alias: Any = field.validation_alias
    choices = getattr(alias, "choices", [alias])
    return [name for name in choices if isinstance(name, str) and name.startswith("ANAPLAN_")]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name, in the order `--help` lists them."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def flags_by_dest() -> dict[str, tuple[str, list[str], argparse.Action]]:
    """Each long flag's destination -> (flag, the subcommands that take it, one of its actions)."""
    found: dict[str, tuple[str, list[str], argparse.Action]] = {}
    for command, sub in subcommands(build_parser()).items():
        for action in sub._actions:
            longs = [option for option in action.option_strings if option.startswith("--")]
            if not longs or action.dest == "help":
                continue
            # Same flag, same help: one row for all its subcommands (`--host` differs by default).
            key = f"{action.dest}:{longs[0]}:{action.help}"
            if key in found:
                found[key][1].append(command)
            else:
                found[key] = (longs[0], [command], action)
    return found


def _default(value: object) -> str:
    if value is False:
        return "0"
    if value is None or value == ():
        return ""
    if isinstance(value, tuple):
        return "all" if set(value) == set(TOOLSETS) else ",".join(map(str, value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shown(option: str, action: argparse.Action) -> str:
    """A flag as a person types it: `--toolsets A,B`, `--transport stdio|http`, `--port PORT`."""
    if action.nargs == 0:
        return option
    if action.choices:
        return f"{option} {'|'.join(map(str, action.choices))}"
    return f"{option} {action.metavar or action.dest.upper()}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def config_section() -> str:
    flags = flags_by_dest()
    by_setting: dict[str, tuple[str, list[str], argparse.Action]] = {}
    for key, (option, commands, action) in flags.items():
        dest = key.split(":")[0]
        if dest in by_setting:
            by_setting[dest][1].extend(commands)
        else:
            by_setting[dest] = (option, list(commands), action)
    rows = [
        "Flags win over variables and apply to the commands listed with them. Switches (default "
        "`0`) take `1` or `true`.",
        "",
        "| variable | flag | default | meaning |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        meaning = field.description or MEANINGS.get(name)
        if meaning is None:
            raise SystemExit(f"Settings.{name} has no meaning: add one to MEANINGS in {__file__}")
        variables = ", ".join(f"`{env}`" for env in env_names(field))
        flag = ""
        if name in by_setting:
            option, commands, action = by_setting[name]
            flag = f"`{_shown(option, action)}` ({', '.join(commands)})"
        rows.append(
            f"| {variables} | {flag} | {_cell(_default(field.default))} | {_cell(meaning)} |"
        )
    rows.append(SECRET_ROW)
    rows += ["", "Flags without a variable:", "", "| flag | commands | meaning |", "|---|---|---|"]
    for key, (option, commands, action) in flags.items():
        if key.split(":")[0] in Settings.model_fields:
            continue
        shown = _cell(_shown(option, action))
        rows.append(f"| `{shown}` | {', '.join(commands)} | {_cell(action.help or '')} |")
    return "\n".join(rows)


# -- tools, resources, prompts ------------------------------------------------------------------


async def _listing() -> tuple[list[Tool], list[Resource], list[ResourceTemplate], list[Prompt]]:
    # Every tool, whatever ANAPLAN_* variables the shell running this happens to have.
    server = create_server(Settings.model_construct(sandbox=True))
    async with Client(server) as client:
        return (
            (await client.list_tools()).tools,
            (await client.list_resources()).resources,
            (await client.list_resource_templates()).resource_templates,
            (await client.list_prompts()).prompts,
        )


_SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<=[.!?])\s+")
_SHORT, _LONG = 40, 200


def one_line(description: str | None) -> str:
    """The first sentence; the second too when the first is short and both stay readable."""
    sentences = _SENTENCE_END.split(" ".join((description or "").split()))
    line = sentences[0]
    if len(line) < _SHORT and len(sentences) > 1 and len(line) + len(sentences[1]) < _LONG:
        line = f"{line} {sentences[1]}"
    return line


LETTERS = {"read": "R", "write": "W", "destructive": "O", "delete": "D"}


def _access(tool: Tool) -> str:
    """R, W, O or D from what a host sees of the tool."""
    return LETTERS[catalogue.effect_of(tool.annotations, tool.input_schema)]


def _declared(spec: ToolSpec) -> str:
    """The same letter from the tool's declaration."""
    if spec.access == "write" and spec.destructive_effect:
        return "O"
    return ACCESS[spec.access]


def _arguments(tool: Tool) -> str:
    schema = tool.input_schema
    required = set(schema.get("required", []))
    names = list(schema.get("properties", {}))
    return ", ".join(f"`{name}`" if name in required else f"`{name}`?" for name in names)


def tools_section(tools: Sequence[Tool]) -> str:
    toolset = {spec.name: spec.toolset for spec in ALL_TOOLS}
    declared = {spec.name: _declared(spec) for spec in ALL_TOOLS}
    order = {name: index for index, name in enumerate(toolset)}
    for tool in tools:
        if declared.get(tool.name) != _access(tool):
            raise SystemExit(f"{tool.name}: its annotations disagree with its ToolSpec access")
    sets = (*TOOLSETS, ALWAYS)
    ranked = sorted(tools, key=lambda t: (sets.index(toolset[t.name]), order[t.name]))
    counts = {kind: sum(_access(t) == kind for t in tools) for kind in "RWOD"}
    rows = [
        f"{len(tools)} tools: {counts['R']} read (R), {counts['W']} write (W), {counts['O']} "
        "writes that can overwrite data or settings or stop a run (O: annotated destructive, "
        f"not asked first), {counts['D']} deletes (D: ask the user first). Toolset `{ALWAYS}` "
        "is listed whatever the toolsets. Arguments marked `?` are optional.",
        "",
        "| tool | toolset | | what it does | arguments |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `{t.name}` | {toolset[t.name]} | {_access(t)} | {_cell(one_line(t.description))} "
        f"| {_cell(_arguments(t))} |"
        for t in ranked
    ]
    return "\n".join(rows)


def resources_section(resources: Iterable[Resource], templates: Iterable[ResourceTemplate]) -> str:
    rows = ["| resource | type | what |", "|---|---|---|"]
    rows += [f"| `{r.uri}` | {r.mime_type} | {_cell(r.description or '')} |" for r in resources]
    rows += [
        f"| `{t.uri_template}` | {t.mime_type} | {_cell(t.description or '')} |" for t in templates
    ]
    return "\n".join(rows)


def prompts_section(prompts: Iterable[Prompt]) -> str:
    rows = ["| prompt | arguments | what |", "|---|---|---|"]
    for prompt in prompts:
        arguments = ", ".join(
            f"`{a.name}`" if a.required else f"`{a.name}`?" for a in prompt.arguments or []
        )
        rows.append(f"| `{prompt.name}` | {arguments} | {_cell(prompt.description or '')} |")
    return "\n".join(rows)


# -- command-line help --------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _help(parser: argparse.ArgumentParser) -> str:
    # A fixed width, so the text does not depend on the terminal that runs the generator.
    parser.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=HELP_WIDTH)
    return _ANSI.sub("", parser.format_help()).rstrip()


def cli_section() -> str:
    parser = build_parser()
    parts = ["```text", "$ anaplan-mcp --help", _help(parser), "```"]
    for name, sub in subcommands(parser).items():
        parts += ["", "```text", f"$ anaplan-mcp {name} --help", _help(sub), "```"]
    return "\n".join(parts)


# -- the tool catalogue ------------------------------------------------------------------------


def catalogue_text() -> str:
    """What `catalogue.json` must hold for the tool functions as they are."""
    return catalogue.render([catalogue_entry(spec) for spec in ALL_TOOLS])


# -- the README ---------------------------------------------------------------------------------


def render_sections() -> dict[str, str]:
    """The text of every generated section, by name."""
    tools, resources, templates, prompts = anyio.run(_listing)
    return {
        "config": config_section(),
        "cli": cli_section(),
        "tools": tools_section(tools),
        "resources": resources_section(resources, templates),
        "prompts": prompts_section(prompts),
    }


def _block(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- generated:{name} -->\n)(.*?)(<!-- /generated:{name} -->)", flags=re.DOTALL
    )


def apply(readme: str, sections: dict[str, str]) -> str:
    """`readme` with each generated section replaced; a missing marker pair is an error."""
    for name, body in sections.items():
        found = _block(name).search(readme)
        if found is None:
            raise SystemExit(f"README.md has no <!-- generated:{name} --> section")
        readme = f"{readme[: found.start(2)]}{body}\n{readme[found.end(2) :]}"
    return readme


def section_text(readme: str, name: str) -> str | None:
    """The current body of one generated section, or None when its markers are missing."""
    found = _block(name).search(readme)
    return found[2].removesuffix("\n") if found else None


def stale(readme: str, sections: dict[str, str]) -> list[str]:
    """The names of the sections whose text in `readme` differs from `sections`."""
    return [name for name, body in sections.items() if section_text(readme, name) != body]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Rewrite catalogue.json and the generated sections of README.md."
    )
    parser.add_argument("--check", action="store_true", help="only report stale sections")
    args = parser.parse_args(argv)
    listed = catalogue_text()
    if CATALOGUE.read_text(encoding="utf-8") != listed:
        if args.check:
            sys.stderr.write(f"stale {CATALOGUE.name}; run {REFRESH}\n")
            return 1
        CATALOGUE.write_text(listed, encoding="utf-8")
        sys.stderr.write(f"{CATALOGUE.name}: rewritten\n")
    readme = README.read_text(encoding="utf-8")
    sections = render_sections()
    outdated = stale(readme, sections)
    if args.check:
        if outdated:
            sys.stderr.write(f"stale README sections: {', '.join(outdated)}; run {REFRESH}\n")
            return 1
        return 0
    README.write_text(apply(readme, sections), encoding="utf-8")
    sys.stderr.write(f"README.md: rewrote {', '.join(outdated) or 'nothing (all current)'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
