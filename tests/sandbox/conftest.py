"""Fixtures for driving the sandbox over HTTP; helpers live in sandbox_http.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx2
import pytest
from sandbox_http import START, open_client

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.transport import sandbox_transport


@pytest.fixture
def make_sandbox() -> Callable[..., Sandbox]:
    """Build a sandbox on a frozen clock; keyword arguments go to SandboxConfig."""

    def build(**config: Any) -> Sandbox:
        return Sandbox(SandboxConfig(**config), clock=Clock(frozen_at=START))

    return build


@pytest.fixture
def cw_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """The default seeded sandbox."""
    return make_sandbox()


@pytest.fixture
async def cw(cw_sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    """An authenticated client on `cw_sandbox`."""
    async with open_client(cw_sandbox) as client:
        yield client


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A seeded sandbox for the auth, admin, fault and transport tests."""
    return make_sandbox()


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    """A client on `sandbox` with no token: the auth service and admin routes need none."""
    async with httpx2.AsyncClient(
        transport=sandbox_transport(sandbox), base_url="http://sandbox.test"
    ) as http:
        yield http
