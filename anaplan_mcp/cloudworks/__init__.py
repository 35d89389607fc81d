"""Async client for Anaplan CloudWorks: auth, retries, typed errors, paging and waiting.

The client and the waits are imported on first use (PEP 562): they bring in every model, which the
MCP server's start-up (settings, regions, errors, auth) does not need.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from anaplan_mcp.cloudworks.auth import AnaplanAuth, BasicAuth, CertificateAuth
from anaplan_mcp.cloudworks.auth_given import PassthroughAuth, TokenAuth
from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloudWorksError,
    ConflictError,
    EndpointNotFoundError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
    ServerError,
    WaitTimeoutError,
)
from anaplan_mcp.cloudworks.regions import REGIONS, Endpoints, endpoints_for
from anaplan_mcp.cloudworks.transport import RetryPolicy

_ON_FIRST_USE = {
    "CloudWorksClient": "client",
    "TokenCheck": "ops_models",
    "wait_for_flow": "waiting",
    "wait_for_run": "waiting",
}

if TYPE_CHECKING:
    from anaplan_mcp.cloudworks.client import CloudWorksClient
    from anaplan_mcp.cloudworks.ops_models import TokenCheck
    from anaplan_mcp.cloudworks.waiting import wait_for_flow, wait_for_run
else:  # at run time only, so that the type checker still reports a misspelt name

    def __getattr__(name: str) -> Any:
        if name not in _ON_FIRST_USE:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(import_module(f"{__name__}.{_ON_FIRST_USE[name]}"), name)


__all__ = [
    "REGIONS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AnaplanAuth",
    "AuthenticationError",
    "BadRequestError",
    "BasicAuth",
    "CertificateAuth",
    "CloudWorksClient",
    "CloudWorksError",
    "ConflictError",
    "EndpointNotFoundError",
    "Endpoints",
    "InvalidInputError",
    "NotFoundError",
    "PassthroughAuth",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseFormatError",
    "RetryPolicy",
    "ServerError",
    "TokenAuth",
    "TokenCheck",
    "WaitTimeoutError",
    "endpoints_for",
    "wait_for_flow",
    "wait_for_run",
]
