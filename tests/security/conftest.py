"""Bad-input fuzzing through MCP: strategies from each tool's published schema, mutations, judges.

The tool list is read from `tools/list` at run time, so the fuzzing follows the inputs as they are
reshaped. A call is judged by what the published schema says of its arguments (the `jsonschema`
validator is the oracle):

- valid by the schema: a result comes back (success or a readable `isError`), every request stays under
  `/2/0/` (or the auth service's `/token/`) with injected ids escaped, and no planted secret returns;
- invalid: `isError`, one or two sentences naming the field, no traceback or pydantic text, no echo of a
  planted value, and not one request reaches the sandbox.

`bench/fuzz.py` runs the same engine for longer, counting unclean results instead of failing.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx2
import hypothesis.internal.conjecture.utils as conjecture_utils
import jsonschema
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from mcp import Client
from mcp.types import CallToolResult, Tool

from anaplan_mcp.sandbox import seed_ids
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import RequestRecord
from anaplan_mcp.sandbox.transport import sandbox_transport
from anaplan_mcp.server.app import create_server
from anaplan_mcp.settings import load_settings
from tests.server.conftest import NOW, sandbox_timing


def _schema_strategy(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """`hypothesis_jsonschema.from_schema`, imported late: importing it reads Hypothesis' unicode
    tables, which Hypothesis forbids while conftest files load."""
    import hypothesis_jsonschema._from_schema as schema_strategies

    _give_many_a_more_method(schema_strategies)
    return schema_strategies.from_schema(dict(schema))


def _give_many_a_more_method(schema_strategies: types.ModuleType) -> None:
    """hypothesis-jsonschema 0.23.1 (its latest release) drives object keys with `many.more()`,
    which Hypothesis 6.1xx replaced by iterating inside `with many(...)`. Hand that one module a
    `many` that offers both, so object schemas generate instead of raising AttributeError."""
    if hasattr(conjecture_utils.many, "more") or hasattr(schema_strategies.cu.many, "more"):
        return

    class _Many(conjecture_utils.many):
        _steps: Iterator[None] | None = None

        def more(self) -> bool:
            if self._steps is None:
                self.__enter__()
                self._steps = iter(self)
            for _ in self._steps:
                return True
            self.__exit__(None)
            return False

    # Only `many` is used through this name in hypothesis-jsonschema.
    setattr(schema_strategies, "cu", types.SimpleNamespace(many=_Many))  # noqa: B010


CANARY_MARK = "CANARY"


def canary(label: str) -> str:
    """A value unique to this run that must never come back out of the server."""
    return f"{CANARY_MARK}{label}{secrets.token_hex(16)}"


# --- the server under test --------------------------------------------------------------------


class RecordingTransport(httpx2.AsyncBaseTransport):
    """The sandbox transport, keeping each request's raw target (path and query, as sent)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner
        self.targets: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.targets.append(request.url.raw_path.decode("ascii", "backslashreplace"))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class Outcome:
    """One tool call: its result (or the exception the client raised) and the HTTP it caused."""

    result: CallToolResult | None
    raised: str | None
    requests: list[RequestRecord]
    targets: list[str]

    @property
    def text(self) -> str:
        if self.result is None:
            return ""
        return "\n".join(getattr(block, "text", "") for block in self.result.content)

    def dump(self) -> str:
        """Everything the caller sees, as one string to search for planted values."""
        if self.result is None:
            return self.raised or ""
        return self.result.model_dump_json()


@dataclass
class FuzzTarget:
    """An MCP client (2025 handshake, JSON-RPC framing) on a server over an in-process sandbox."""

    sandbox: Sandbox
    transport: RecordingTransport
    portal: BlockingPortal
    client: Client
    tools: dict[str, Tool]
    strategies: dict[tuple[str, str], st.SearchStrategy[Case]] = field(default_factory=dict)

    def call(self, name: str, arguments: dict[str, Any]) -> Outcome:
        # The log keeps only its latest entries, so each call starts from an empty one.
        self.sandbox.faults.clear_requests()
        self.transport.targets.clear()
        result: CallToolResult | None = None
        raised: str | None = None
        try:
            result = self.portal.call(functools.partial(self.client.call_tool, name, arguments))
        except Exception as exc:  # a protocol-level failure is what the judges report
            raised = f"{type(exc).__name__}: {exc}"
        return Outcome(
            result, raised, list(self.sandbox.faults.requests), list(self.transport.targets)
        )


@contextmanager
def fuzz_target() -> Iterator[FuzzTarget]:
    """A fresh sandbox, the server over it, and a connected client; all closed afterwards."""
    sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=NOW))
    transport = RecordingTransport(sandbox_transport(sandbox))
    server = create_server(
        load_settings(sandbox=True),
        sandbox=sandbox,
        timing=sandbox_timing(sandbox),
        transport=transport,
    )
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server, mode="legacy")) as client,
    ):
        listed = portal.call(client.list_tools)
        tools = {tool.name: tool for tool in listed.tools}
        yield FuzzTarget(sandbox, transport, portal, client, tools)


# --- cases ------------------------------------------------------------------------------------

# Seeded ids, so that some valid calls reach real objects rather than only 404s.
KNOWN_IDS: tuple[str, ...] = tuple(
    sorted(
        {
            value
            for name, value in vars(seed_ids).items()
            if name.isupper() and isinstance(value, str) and re.fullmatch(r"[0-9a-fA-F]{32}", value)
        }
    )
)
_HEX_ID = re.compile(r"[0-9a-fA-F]{32}")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]*")
MUTATIONS = ("wrong_type", "missing", "extra", "huge", "unicode", "injection")
INJECTIONS = (
    "../{c}",
    "..%2F{c}",
    "{id}/../../{c}",
    "{id}?zzinj={c}",
    "?zzinj=1&{c}",
    "&zzinj={c}",
    "%2Fzzinj{c}",
    "{id}%2F..%2F{c}",
    "{id} {c}",
    "{id}#{c}",
    "ünï/cødé{c}",
    "..\\{c}",
    "{id}\x00{c}",
)


@dataclass
class Case:
    """Arguments for one call, and what the fuzzer planted in them."""

    arguments: dict[str, Any]
    mutation: str | None = None
    key: str | None = None
    # Arguments above `key`: inside free-form objects only the nearest named one can be named.
    parents: tuple[str, ...] = ()
    planted: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    injected: list[str] = field(default_factory=list)


def _secret_names(schema: Mapping[str, Any]) -> set[str]:
    """Property names the schema marks as secret (writeOnly or format password), at any depth."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for name, sub in (node.get("properties") or {}).items():
                if isinstance(sub, Mapping) and (
                    sub.get("writeOnly") or sub.get("format") == "password"
                ):
                    names.add(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return names


def _dicts(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict]]:
    if isinstance(value, dict):
        yield path, value
        for key, sub in value.items():
            yield from _dicts(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _dicts(sub, (*path, index))


def filler(schema: Mapping[str, Any]) -> Any:
    """A plain valid value for one property (a seeded id where a pattern asks for an id)."""
    if "enum" in schema:
        return schema["enum"][0]
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        return next((ident for ident in KNOWN_IDS if pattern.search(ident)), "1")
    kind = schema.get("type")
    plain = {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
    return plain.get(str(kind), "x")


def plain_arguments(tool: Tool) -> dict[str, Any]:
    """The tool's required arguments, each with a plain valid value."""
    properties: Mapping[str, Any] = tool.input_schema.get("properties") or {}
    return {name: filler(properties[name]) for name in tool.input_schema.get("required") or []}


def is_valid(schema: Mapping[str, Any], arguments: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(arguments)


def _disarm(tool: Tool, arguments: dict[str, Any]) -> None:
    """Destructive tools never get a `confirm` equal to the id they would destroy."""
    if tool.annotations and tool.annotations.destructive_hint and "confirm" in arguments:
        arguments["confirm"] = f"not-{arguments['confirm']}"


@st.composite
def valid_case(draw: st.DrawFn, tool: Tool, base: st.SearchStrategy[Any]) -> Case:
    schema = tool.input_schema
    arguments: dict[str, Any] = draw(base)
    use_known: bool = draw(st.booleans())
    if use_known:
        for _, container in _dicts(arguments):
            for key, value in list(container.items()):
                if isinstance(value, str) and _HEX_ID.fullmatch(value):
                    known = draw(st.sampled_from(KNOWN_IDS))
                    container[key] = known
                    if not is_valid(schema, arguments):
                        container[key] = value
    case = Case(arguments)
    secret_names = _secret_names(schema)
    for _, container in _dicts(arguments):
        for key, value in list(container.items()):
            if key in secret_names and isinstance(value, str):
                planted = canary("secret")
                container[key] = planted
                if is_valid(schema, arguments):
                    case.secrets.append(planted)
                else:
                    container[key] = value
    _disarm(tool, arguments)
    return case


def _wrong_value(draw: st.DrawFn, current: Any, planted: str) -> Any:
    # Booleans are left out for numbers, and numeric strings for everything: pydantic's lax mode
    # takes `true` as 1 and the SDK parses JSON text in arguments, both on purpose.
    if isinstance(current, bool):
        choices: list[Any] = [f"maybe-{planted}", 7, [True], {"zz": planted}]
    elif isinstance(current, int):
        choices = [planted, 1.5, [7], {"zz": planted}]
    elif isinstance(current, float):
        choices = [planted, [1.5], {"zz": planted}]
    elif isinstance(current, str):
        # No plain integers: numeric Anaplan ids (`NumericId`) take JSON numbers on purpose.
        choices = [1.5, True, [planted], {"zz": planted}]
    elif isinstance(current, list):
        choices = [planted, 7, {"zz": planted}]
    elif isinstance(current, dict):
        choices = [planted, 7, [planted]]
    else:
        choices = [planted, 7, [planted], {"zz": planted}]
    return draw(st.sampled_from(choices))


@st.composite
def mutated_case(draw: st.DrawFn, tool: Tool, base: st.SearchStrategy[Any]) -> Case:
    arguments: dict[str, Any] = draw(base)
    path, container = draw(st.sampled_from(list(_dicts(arguments))))
    mutation = draw(st.sampled_from(MUTATIONS))
    keys = sorted(container)
    if not path:
        # At the top the schema names the arguments that were not generated too.
        keys = sorted(set(keys) | set(tool.input_schema.get("properties") or {}))
    if mutation == "missing" and not container:
        mutation = "extra"
    if mutation != "extra" and not keys:
        mutation = "extra"
    planted = canary("fuzz")
    case = Case(arguments, mutation=mutation, planted=[planted])
    if mutation == "missing":
        key = draw(st.sampled_from(sorted(container)))
        del container[key]
    elif mutation == "extra":
        key = "zz_" + draw(st.from_regex(r"[a-z]{3,10}", fullmatch=True))
        container[key] = draw(st.sampled_from([planted, 7, [planted], {"zz": planted}]))
    else:
        strings = [key for key in keys if isinstance(container.get(key), str)]
        key = draw(st.sampled_from(strings or keys))
        if mutation == "wrong_type":
            container[key] = _wrong_value(draw, container.get(key), planted)
        elif mutation == "huge":
            container[key] = planted + "x" * draw(st.integers(10_000, 40_000))
        elif mutation == "unicode":
            text = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=30))
            container[key] = text + planted
        else:
            template = draw(st.sampled_from(INJECTIONS))
            ident = draw(st.sampled_from(KNOWN_IDS)) if KNOWN_IDS else "0" * 32
            value = template.format(id=ident, c=planted)
            container[key] = value
            case.injected.append(value)
    case.key = key
    case.parents = tuple(item for item in path if isinstance(item, str))
    _disarm(tool, arguments)
    return case


def strategy(target: FuzzTarget, tool: Tool, kind: str) -> st.SearchStrategy[Case]:
    """The cases of one kind ("valid" or "mutated") for one tool, built once per target."""
    cached = target.strategies.get((tool.name, kind))
    if cached is None:
        base = _schema_strategy(tool.input_schema)
        cached = valid_case(tool, base) if kind == "valid" else mutated_case(tool, base)
        target.strategies[(tool.name, kind)] = cached
    return cached


# --- judges -----------------------------------------------------------------------------------

_BARE_FAILURE = re.compile(r"Error executing tool [\w-]+:?\s*")
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z])")
_INTERNALS = ("Traceback", "pydantic", "errors.pydantic.dev", "input_value", 'File "/')


def readable_problems(outcome: Outcome) -> list[str]:
    """What makes an error text unreadable for a person: nothing said, a traceback, pydantic."""
    if outcome.raised is not None:
        return [f"the client raised instead of returning a result: {outcome.raised}"]
    assert outcome.result is not None
    if not outcome.result.is_error:
        return []
    text = outcome.text.strip()
    problems = []
    if not text or _BARE_FAILURE.fullmatch(text):
        problems.append(f"an error that says nothing: {text!r}")
    problems += [
        f"error text shows {word!r}" for word in _INTERNALS if word.lower() in text.lower()
    ]
    return problems


def url_problems(outcome: Outcome, case: Case) -> list[str]:
    """Requests that left `/2/0/` (or `/token/`), or carry an injected value unescaped."""
    problems = []
    for record in outcome.requests:
        if not record.path.startswith(("/2/0/", "/token/")):
            problems.append(f"request outside /2/0/: {record.method} {record.path}")
    for target in outcome.targets:
        path, _, query = target.partition("?")
        if any(segment in ("..", ".") for segment in path.split("/")):
            problems.append(f"dot segment in the request path: {target}")
        if not path.startswith(("/2/0/", "/token/")):
            problems.append(f"request path outside /2/0/: {target}")
        if any(unquote(key).startswith("zzinj") for key, _ in parse_qsl(query)):
            problems.append(f"an injected query parameter reached the request: {target}")
        for value in case.injected:
            if not _URL_SAFE.fullmatch(value) and value in target:
                problems.append(f"injected value reached the URL unescaped: {target}")
    return problems


def valid_problems(tool: Tool, case: Case, outcome: Outcome) -> list[str]:
    problems = readable_problems(outcome) + url_problems(outcome, case)
    dumped = outcome.dump()
    problems += [f"a secret input came back: {value}" for value in case.secrets if value in dumped]
    if tool.annotations and tool.annotations.destructive_hint:
        deletes = [record.path for record in outcome.requests if record.method == "DELETE"]
        if deletes:
            problems.append(f"deleted without confirmation: {deletes}")
    return problems


def invalid_problems(case: Case, outcome: Outcome) -> list[str]:
    problems = readable_problems(outcome)
    if outcome.result is not None and not outcome.result.is_error:
        problems.append("invalid arguments were accepted")
    if outcome.requests:
        sent = [f"{record.method} {record.path}" for record in outcome.requests]
        problems.append(f"invalid arguments caused {len(sent)} request(s): {sent[:3]}")
    text = outcome.text
    if len(_SENTENCE_END.split(text.strip())) > 2:
        problems.append(f"more than two sentences: {text[:300]!r}")
    if case.key is not None and not any(name in text for name in (case.key, *case.parents)):
        problems.append(f"the message does not name {case.key!r}: {text[:300]!r}")
    dumped = outcome.dump()
    problems += [
        "a planted value was echoed" for value in case.planted + case.secrets if value in dumped
    ]
    return problems


def judge(target: FuzzTarget, tool: Tool, case: Case) -> list[str]:
    """Call the tool with the case's arguments and list everything wrong with the answer."""
    valid = is_valid(tool.input_schema, case.arguments)
    outcome = target.call(tool.name, case.arguments)
    problems = valid_problems(tool, case, outcome) if valid else invalid_problems(case, outcome)
    where = f"{tool.name} ({case.mutation or 'from schema'}, {'valid' if valid else 'invalid'})"
    return [f"{where}: {problem}" for problem in problems]


def fuzz_settings(examples: int, *, derandomize: bool) -> settings:
    """Fixed settings, whatever profile (CI or not) is loaded: no deadline, no example database."""
    return settings(
        settings.get_profile("default"),
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        print_blob=False,
        # The first unclean answer is reported as found: shrinking a failure that logs a
        # traceback per call would cost minutes.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def fuzz_tool(
    target: FuzzTarget,
    tool: Tool,
    kind: str,
    examples: int,
    *,
    seed: int | None = None,
    on_problems: Callable[[list[str]], None] | None = None,
) -> int:
    """Run `examples` cases of `kind` against `tool`; returns how many calls were made.

    Without a `seed` the examples are the same on every run. Without `on_problems`, the first
    unclean answer fails the test.
    """
    calls = 0

    @fuzz_settings(examples, derandomize=seed is None)
    @given(case=strategy(target, tool, kind))
    def check(case: Case) -> None:
        nonlocal calls
        calls += 1
        problems = judge(target, tool, case)
        if on_problems is not None:
            on_problems(problems)
            return
        arguments = json.dumps(case.arguments, default=str)[:500]
        assert not problems, "\n".join([*problems, f"arguments: {arguments}"])

    (check if seed is None else hypothesis_seed(seed)(check))()
    return calls


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz() -> Iterator[FuzzTarget]:
    """One server and sandbox for a whole module: thousands of calls stay fast."""
    with fuzz_target() as target:
        yield target
