"""Secret canaries: unique values planted as every kind of secret must never come back out.

Planted: the server's own credentials (password, token, state key, certificate and key), secret inputs
of all three connection types (S3 secret key, Azure SAS token, BigQuery private key; literal and
`env:ANAPLAN_SECRET_*`), and a host variable a connection must not be able to point at. Every tool
is called (plain, empty and with junk), every resource read and every prompt fetched, on a sandbox
server and on servers whose canary credentials the sandbox refuses; results, MCP log messages, log
records and the process's stdout/stderr are searched for every canary.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.server import MCPServer
from mcp.types import LoggingMessageNotificationParams, Tool

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.certificates import write_seeded_certificate
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.seed_ids import PLANNING_FLOW_ID, SALES_IMPORT_ID
from anaplan_mcp.sandbox.transport import sandbox_transport
from anaplan_mcp.server.app import SANDBOX_BASE, create_server
from anaplan_mcp.settings import load_settings
from tests.security.conftest import canary, plain_arguments
from tests.server.conftest import NOW, sandbox_timing

pytestmark = pytest.mark.anyio

LOGGERS = ("anaplan_mcp", "mcp", "httpx2")
_RUN_ID = re.compile(r'"run_id":\s*"([0-9a-f]{32})"')


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """One unique value per secret; the `env:` ones are set on the server's environment."""
    values = {
        label: canary(label)
        for label in (
            "user",
            "password",
            "token",
            "state_key",
            "cert",
            "key",
            "key_password",
            "s3",
            "sas",
            "bq",
            "env_s3",
            "env_sas",
            "env_bq",
            "host_password",
        )
    }
    monkeypatch.setenv("ANAPLAN_SECRET_CANARY_S3", values["env_s3"])
    monkeypatch.setenv("ANAPLAN_SECRET_CANARY_SAS", values["env_sas"])
    monkeypatch.setenv("ANAPLAN_SECRET_CANARY_BQ", _bq_key(values["env_bq"]))
    # A host variable that is not ANAPLAN_SECRET_*: `env:` must refuse to read it.
    monkeypatch.setenv("ANAPLAN_MCP_CANARY_HOST_SECRET", values["host_password"])
    return values


def _bq_key(private_key: str) -> str:
    return json.dumps(_bq_key_object(private_key))


def _bq_key_object(private_key: str) -> dict[str, str]:
    return {
        "type": "service_account",
        "project_id": "canary-project",
        "private_key_id": "0123456789abcdef",
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{private_key}\n-----END PRIVATE KEY-----\n",
        "client_email": "loader@canary-project.iam.gserviceaccount.com",
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/loader",
    }


def _resolved(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        return root["$defs"][reference.removeprefix("#/$defs/")]
    return schema


def shaped(tool: Tool, fields: dict[str, Any], **top: Any) -> dict[str, Any]:
    """`fields` as the tool takes them now: flat, or under the one argument whose schema has them."""
    schema = tool.input_schema
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if set(fields) <= set(properties):
        return {**top, **fields}
    for name, sub in properties.items():
        resolved = _resolved(sub, schema)
        branches = [resolved, *resolved.get("anyOf", []), *resolved.get("oneOf", [])]
        for branch in (_resolved(item, schema) for item in branches):
            if set(fields) <= set(branch.get("properties") or {}):
                return {**top, name: fields}
    raise AssertionError(f"{tool.name} takes none of {sorted(fields)} any more")


def connection_fields(values: Mapping[str, str]) -> list[tuple[bool, dict[str, Any]]]:
    """(should succeed, fields) for create_connection: each type, literal and env:, and refusals."""
    s3 = {"type": "AmazonS3", "access_key_id": "AKIACANARY", "bucket_name": "canary-bucket"}
    azure = {
        "type": "AzureBlob",
        "storage_account_name": "canaryaccount",
        "container_name": "canary-container",
    }
    bq = {"type": "GoogleBigQuery", "dataset": "canary_dataset"}
    return [
        (True, {**s3, "name": "canary s3", "secret_access_key": values["s3"]}),
        (
            True,
            {**s3, "name": "canary s3 env", "secret_access_key": "env:ANAPLAN_SECRET_CANARY_S3"},
        ),
        (True, {**azure, "name": "canary azure", "sas_token": values["sas"]}),
        (True, {**azure, "name": "canary azure env", "sas_token": "env:ANAPLAN_SECRET_CANARY_SAS"}),
        (True, {**bq, "name": "canary bq", "service_account_key": _bq_key_object(values["bq"])}),
        (True, {**bq, "name": "canary bq text", "service_account_key": _bq_key(values["bq"])}),
        # Refusals: a host variable outside ANAPLAN_SECRET_*, an unset one, fields of another type.
        (
            False,
            {**s3, "name": "canary x", "secret_access_key": "env:ANAPLAN_MCP_CANARY_HOST_SECRET"},
        ),
        (False, {**azure, "name": "canary y", "sas_token": "env:ANAPLAN_SECRET_CANARY_UNSET"}),
        (
            False,
            {
                **s3,
                "name": "canary z",
                "secret_access_key": values["s3"],
                "sas_token": values["sas"],
            },
        ),
        (False, {**bq, "name": "canary w", "service_account_key": "{" + values["bq"]}),
    ]


class Capture:
    """Everything a client of the server sees, as text to search."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.outcomes: list[tuple[str, bool]] = []

    async def log_message(self, params: LoggingMessageNotificationParams) -> None:
        self.seen.append(json.dumps(params.model_dump(mode="json"), default=str))

    async def call(self, client: Client, name: str, arguments: dict[str, Any]) -> str:
        try:
            result = await client.call_tool(name, arguments)
        except Exception as exc:  # a protocol error is an answer too: its text is searched
            text = f"{type(exc).__name__}: {exc}"
            self.outcomes.append((name, False))
        else:
            text = result.model_dump_json()
            self.outcomes.append((name, not result.is_error))
        self.seen.append(text)
        return text

    async def read(self, client: Client, uri: str) -> None:
        try:
            self.seen.append((await client.read_resource(uri)).model_dump_json())
        except Exception as exc:
            self.seen.append(f"{type(exc).__name__}: {exc}")

    async def prompt(self, client: Client, name: str, arguments: dict[str, str]) -> None:
        try:
            self.seen.append((await client.get_prompt(name, arguments)).model_dump_json())
        except Exception as exc:
            self.seen.append(f"{type(exc).__name__}: {exc}")


async def sweep(client: Client, capture: Capture, values: Mapping[str, str]) -> None:
    """Every tool (plain, empty, with junk), connection secrets, every resource and prompt."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    capture.seen.append(json.dumps([tool.model_dump(mode="json") for tool in tools.values()]))
    create, update = tools["create_connection"], tools["update_connection"]
    created: list[str] = []
    for _, fields in connection_fields(values):
        text = await capture.call(client, "create_connection", shaped(create, fields))
        created += re.findall(r'"connection_id":\s*"([0-9a-f]{32})"', text)[:1]
    # The literal S3 and Azure connections (the env: ones keep their values, checked below).
    for connection_id in created[0:3:2]:
        rotate = {"secret_access_key": values["s3"], "sas_token": values["sas"]}
        for key, secret in rotate.items():
            fields = {key: secret}
            await capture.call(
                client, "update_connection", shaped(update, fields, connection_id=connection_id)
            )
        await capture.call(
            client,
            "update_connection",
            shaped(
                update,
                {"secret_access_key": "env:ANAPLAN_MCP_CANARY_HOST_SECRET"},
                connection_id=connection_id,
            ),
        )
    for tool in tools.values():
        plain = plain_arguments(tool)
        await capture.call(client, tool.name, plain)
        await capture.call(client, tool.name, {})
        await capture.call(client, tool.name, {**plain, "zz_junk": values["password"]})
    history = await capture.call(client, "get_run_history", {"integration_id": SALES_IMPORT_ID})
    run_id = next(iter(_RUN_ID.findall(history)), "0" * 32)
    for resource in (await client.list_resources()).resources:
        await capture.read(client, str(resource.uri))
    ids = {"integration_id": SALES_IMPORT_ID, "flow_id": PLANNING_FLOW_ID, "run_id": run_id}
    for template in (await client.list_resource_templates()).resource_templates:
        for known in (True, False):

            def fill(match: re.Match[str], known: bool = known) -> str:
                if match[0].startswith("{?"):
                    return ""  # optional query variables stay out
                return ids.get(match[1], "") if known else "0" * 32

            await capture.read(client, re.sub(r"\{\??([a-z_,]+)\}", fill, template.uri_template))
    for prompt in (await client.list_prompts()).prompts:
        arguments = {argument.name: "nightly sales load" for argument in prompt.arguments or []}
        await capture.prompt(client, prompt.name, {})
        await capture.prompt(client, prompt.name, arguments)


def assert_no_canary(values: Mapping[str, str], *texts: str) -> None:
    everything = "\n".join(texts)
    leaked = sorted(label for label, value in values.items() if value in everything)
    assert not leaked, f"canaries leaked: {leaked}"


@pytest.fixture
def capture_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    records = [
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        for record in caplog.records
    ]
    return caplog.text + "\n".join(records)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_no_canary_leaves_a_sandbox_server(
    mode: str,
    canaries: dict[str, str],
    capture_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=NOW))
    server = create_server(
        load_settings(sandbox=True, state_key=canaries["state_key"]),
        sandbox=sandbox,
        timing=sandbox_timing(sandbox),
    )
    capture = Capture()
    async with Client(
        server, mode=mode, logging_callback=capture.log_message, log_level="debug"
    ) as client:
        await sweep(client, capture, canaries)
    # The success paths were taken: every "should succeed" connection was created.
    expected = [ok for ok, _ in connection_fields(canaries)]
    created = [ok for name, ok in capture.outcomes if name == "create_connection"]
    assert created[: len(expected)] == expected
    succeeded = {name for name, ok in capture.outcomes if ok}
    assert {"update_connection", "list_connections", "get_integration"} <= succeeded
    # The secrets really went to CloudWorks (literal and env:), so a leak had somewhere to come from.
    stored = json.dumps(sandbox.store.to_dict(), default=str)
    missing = [
        label for label in ("s3", "sas", "bq", "env_s3", "env_sas") if canaries[label] not in stored
    ]
    assert not missing, missing
    assert canaries["host_password"] not in stored
    assert capture_logs.records
    out, err = capfd.readouterr()
    assert_no_canary(canaries, *capture.seen, _log_text(capture_logs), out, err)


def _credential_server(settings_fields: dict[str, Any], sandbox: Sandbox) -> MCPServer:
    settings = load_settings(
        cloudworks_url=f"{SANDBOX_BASE}/2/0",
        auth_url=SANDBOX_BASE,
        api_url=f"{SANDBOX_BASE}/2/0",
        max_retries=0,
        **settings_fields,
    )
    return create_server(settings, transport=sandbox_transport(sandbox))


@pytest.mark.parametrize("auth", ["basic", "token"])
async def test_refused_canary_credentials_never_show(
    auth: str,
    canaries: dict[str, str],
    capture_logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=NOW))
    fields: dict[str, Any] = {"token": canaries["token"], "state_key": canaries["state_key"]}
    if auth == "basic":
        fields |= {"username": canaries["user"], "password": canaries["password"]}
    capture = Capture()
    async with Client(
        _credential_server(fields, sandbox),
        logging_callback=capture.log_message,
        log_level="debug",
    ) as client:
        await sweep(client, capture, canaries)
    # The sandbox was asked and refused: every call that reached it failed on authentication.
    assert any(
        record.path.startswith("/token/") or record.status == 401
        for record in sandbox.faults.requests
    )
    reached = [ok for name, ok in capture.outcomes if name == "list_connections"]
    assert reached and not any(reached)
    out, err = capfd.readouterr()
    assert_no_canary(canaries, *capture.seen, _log_text(capture_logs), out, err)


def test_certificate_key_password_canary_stays_out_of_the_startup_error(
    canaries: dict[str, str], tmp_path: Path
) -> None:
    certificate, key = write_seeded_certificate(tmp_path)
    settings = load_settings(
        certificate=str(certificate),
        private_key=str(key),
        private_key_password=canaries["key_password"],
        sandbox=False,
    )
    with pytest.raises(ValueError, match="private key") as refused:
        create_server(settings)
    assert_no_canary(canaries, str(refused.value), repr(refused.value))


def _child_env(values: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    import os

    return {
        "PATH": os.environ.get("PATH", ""),
        "ANAPLAN_SECRET_CANARY_S3": values["env_s3"],
        "ANAPLAN_MCP_STATE_KEY": values["state_key"],
        **extra,
    }


# Known defect: a certificate or key setting that is neither PEM text nor a readable file is echoed
# in full ("cannot read the private key file <value>"), in a traceback, by cloudworks/certificate.py
# `_read_pem`, and cli.py `run_serve` lets that ValueError escape instead of printing one line.
def test_a_serve_process_with_bad_canary_certificate_settings_leaks_nothing(
    canaries: dict[str, str], tmp_path: Path
) -> None:
    certificate, _ = write_seeded_certificate(tmp_path)
    env = _child_env(
        canaries,
        {
            "ANAPLAN_CERTIFICATE": str(certificate),
            "ANAPLAN_PRIVATE_KEY": canaries["key"],
            "ANAPLAN_PRIVATE_KEY_PASSWORD": canaries["key_password"],
        },
    )
    done = subprocess.run(
        [sys.executable, "-m", "anaplan_mcp", "serve"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "private key" in done.stderr
    assert_no_canary(canaries, done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1


@asynccontextmanager
async def sandbox_on_loopback() -> AsyncIterator[str]:
    """The sandbox over real HTTP on a loopback port bound before anyone connects (no polling)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    config = uvicorn.Config(Sandbox().app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [listener])
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    listener.close()


async def test_a_serve_process_with_canary_credentials_leaks_nothing(
    canaries: dict[str, str], capfd: pytest.CaptureFixture[str]
) -> None:
    capture = Capture()
    async with sandbox_on_loopback() as base:
        env = _child_env(
            canaries,
            {
                "ANAPLAN_USERNAME": canaries["user"],
                "ANAPLAN_PASSWORD": canaries["password"],
                "ANAPLAN_TOKEN": canaries["token"],
                "ANAPLAN_AUTH_URL": base,
                "ANAPLAN_CLOUDWORKS_URL": f"{base}/2/0",
                "ANAPLAN_API_URL": f"{base}/2/0",
                "ANAPLAN_MAX_RETRIES": "0",
            },
        )
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "anaplan_mcp", "serve"], env=env
        )
        async with Client(
            params, logging_callback=capture.log_message, log_level="debug"
        ) as client:
            for name in ("list_connections", "list_integrations", "find_failed_runs"):
                await capture.call(client, name, {})
            create = {
                "type": "AmazonS3",
                "name": "canary",
                "access_key_id": "AKIACANARY",
                "secret_access_key": "env:ANAPLAN_SECRET_CANARY_S3",
                "bucket_name": "canary-bucket",
            }
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            await capture.call(
                client, "create_connection", shaped(tools["create_connection"], create)
            )
            await capture.read(client, "cloudworks://connections")
            await capture.prompt(client, "daily-health-check", {})
    assert capture.outcomes and not any(ok for _, ok in capture.outcomes)
    out, err = capfd.readouterr()
    assert "401" in "".join(capture.seen) or "refused" in "".join(capture.seen)
    assert_no_canary(canaries, *capture.seen, out, err)
