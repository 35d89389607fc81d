"""Async client for Anaplan CloudWorks: auth, retries, typed errors, paging and waiting."""

from anaplan_mcp.cloudworks.auth import AnaplanAuth, BasicAuth, CertificateAuth
from anaplan_mcp.cloudworks.auth_given import PassthroughAuth, TokenAuth
from anaplan_mcp.cloudworks.client import CloudWorksClient
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
from anaplan_mcp.cloudworks.ops_models import TokenCheck
from anaplan_mcp.cloudworks.regions import REGIONS, Endpoints, endpoints_for
from anaplan_mcp.cloudworks.transport import RetryPolicy
from anaplan_mcp.cloudworks.waiting import wait_for_flow, wait_for_run

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
