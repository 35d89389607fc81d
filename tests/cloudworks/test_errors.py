"""Typed errors that carry CloudWorks' own message, and secrets that never leak."""

from __future__ import annotations

import logging

import pytest

from anaplan_mcp.cloudworks import (
    APIStatusError,
    BadRequestError,
    BasicAuth,
    CertificateAuth,
    CloudWorksClient,
    ConflictError,
    EndpointNotFoundError,
    InvalidInputError,
    NotFoundError,
    PassthroughAuth,
    PermissionDeniedError,
    ResponseFormatError,
    ServerError,
    TokenAuth,
    endpoints_for,
)
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.transport import sandbox_transport

from .conftest import USER, ClientFactory, RecordingSleep, add_fault, sent

pytestmark = pytest.mark.anyio
MISSING_ID = "0" * 32
CANARY_PASSWORD = "pw-CANARY-6f1d0c"
CANARY_SECRET = "secret-CANARY-9b2e77"


@pytest.mark.parametrize(
    ("status", "message", "error_type"),
    [
        (400, "Invalid request body", BadRequestError),
        (403, "Not Permitted", PermissionDeniedError),
        (452, "Tenant not entitled", PermissionDeniedError),
        (409, "The resource is being referenced", ConflictError),
        (500, "Model Not Found Error", ServerError),
        (503, "Invalid workspace or model", ServerError),
    ],
)
async def test_every_status_carries_the_server_message(
    make_client: ClientFactory, sandbox: Sandbox, status: int, message: str, error_type: type
) -> None:
    add_fault(sandbox, kind="status", status=status, message=message, path="/2/0/integrationflows")
    async with make_client(max_retries=0) as cw:
        with pytest.raises(error_type) as info:
            await cw.list_flows()
    error = info.value
    assert isinstance(error, APIStatusError)
    assert (error.status_code, error.server_message) == (status, message)
    assert (error.method, error.path) == ("GET", "/2/0/integrationflows")
    line = str(error)
    assert message in line
    assert str(status) in line
    assert "\n" not in line
    assert "offset" not in line  # the query string stays out


async def test_unknown_id_is_not_found_with_the_server_message(cw: CloudWorksClient) -> None:
    with pytest.raises(NotFoundError) as info:
        await cw.get_integration(MISSING_ID)
    assert not isinstance(info.value, EndpointNotFoundError)
    assert info.value.server_message == "Resource not found"
    assert MISSING_ID in info.value.path


async def test_html_404_is_an_unknown_endpoint(
    sandbox: Sandbox, basic_auth: BasicAuth, sleep: RecordingSleep
) -> None:
    # A wrong base URL makes every path unrouted: the sandbox answers nginx's HTML page.
    wrong = endpoints_for(
        cloudworks_url="http://sandbox/cloudworks/9/9",
        auth_url="http://sandbox",
        api_url="http://sandbox/2/0",
    )
    transport = sandbox_transport(sandbox)
    async with CloudWorksClient(wrong, basic_auth, transport=transport, sleep=sleep) as cw:
        with pytest.raises(EndpointNotFoundError) as info:
            await cw.list_flows()
    assert info.value.status_code == 404
    assert "no such endpoint" in str(info.value)
    assert "region or URL override" in str(info.value)


async def test_injected_html_404_on_a_dump_is_an_unknown_endpoint(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    add_fault(sandbox, kind="html_404", path="*/dumps")
    with pytest.raises(EndpointNotFoundError):
        await cw.import_dump("a" * 32)


async def test_malformed_json_is_a_clean_format_error(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    add_fault(sandbox, kind="malformed", path="/2/0/integrations")
    with pytest.raises(ResponseFormatError) as info:
        await cw.list_integrations()
    assert "not valid JSON" in str(info.value)
    assert info.value.path == "/2/0/integrations"


async def test_bad_path_parameter_costs_no_request(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    for call in (
        cw.get_integration("../connections"),
        cw.run_status("ABC"),
        cw.process_dump("a" * 32, "12a"),
        cw.list_model_objects("a" * 32, "lowercasemodel", "imports"),
        cw.run_history("a" * 32, limit=0),
    ):
        with pytest.raises(InvalidInputError):
            await call
    assert sandbox.faults.requests == []


async def test_invalid_body_names_fields_and_hides_the_secret(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    with pytest.raises(InvalidInputError) as info:
        await cw.create_connection(
            {"type": "AmazonS3", "name": "s3", "secret_access_key": CANARY_SECRET, "extra": 1}
        )
    text = f"{info.value} {info.value!r}"
    assert "access_key_id" in text
    assert "bucket_name" in text
    assert CANARY_SECRET not in text
    assert sandbox.faults.requests == []


async def test_secrets_never_reach_errors_reprs_or_logs(
    make_client: ClientFactory,
    sandbox: Sandbox,
    basic_auth: BasicAuth,
    certificate_auth: CertificateAuth,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = BasicAuth(USER, CANARY_PASSWORD)
    texts: list[str] = [repr(wrong), str(wrong), repr(certificate_auth), repr(PassthroughAuth())]
    async with make_client(wrong) as cw:
        with pytest.raises(APIStatusError) as failed_sign_in:
            await cw.list_flows()
    texts += [str(failed_sign_in.value), repr(failed_sign_in.value)]
    async with make_client(basic_auth) as cw:
        token = await basic_auth.current_token()
        add_fault(sandbox, kind="status", status=400, message="Credentials are invalid")
        with pytest.raises(BadRequestError) as refused:
            await cw.create_connection(
                {
                    "type": "AmazonS3",
                    "name": "canary",
                    "access_key_id": "AKIAEXAMPLE",
                    "secret_access_key": CANARY_SECRET,
                    "bucket_name": "bucket",
                }
            )
        sandbox.faults.clear()
        add_fault(sandbox, kind="refuse", method="GET", times=1)
        await cw.list_connections()
    texts += [str(refused.value), repr(refused.value), repr(basic_auth), repr(TokenAuth(token))]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    assert len(sent(sandbox, "POST", "/connections")) == 1
    assert any("retrying GET" in record.getMessage() for record in caplog.records)
    for secret in (CANARY_PASSWORD, CANARY_SECRET, token, "sandbox@example.com:"):
        assert not [text for text in texts if secret in text], secret


def test_each_status_message_carries_one_hint() -> None:
    from anaplan_mcp.cloudworks.errors import status_error
    from anaplan_mcp.server.errors import to_tool_error

    body = b'{"status": {"code": 404, "message": "Resource not found"}}'
    error = status_error(
        status_code=404,
        body=body,
        content_type="application/json",
        method="GET",
        path="/2/0/integrations/" + "a" * 32,
    )
    text = str(to_tool_error(error))
    assert text.count("list_integrations") == 1
    assert error.hint not in text  # the tool-level advice replaces the generic one
    limited = status_error(
        status_code=429,
        body=b"{}",
        content_type="application/json",
        method="GET",
        path="/2/0/integrations",
        retry_after=5,
    )
    assert "wait 5 s" in str(to_tool_error(limited))
