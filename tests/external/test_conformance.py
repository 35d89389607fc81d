"""The official MCP conformance suite's server scenarios that mean something for a product server.

The suite's other scenarios call fixture tools (`test_simple_text`, ...) that only the SDKs'
"everything" servers have; two of them pass vacuously on an "Unknown tool" error, so they are not run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import ExternalTools

SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
]


def _run_scenario(
    tools: ExternalTools, url: str, scenario: str, out: Path
) -> tuple[int, list[dict[str, Any]], str]:
    """Runs one scenario; its exit code, its checks (from `checks.json`) and its output."""
    done = tools.run(
        tools.conformance, ["server", "--url", url, "--scenario", scenario, "-o", str(out)]
    )
    reports = sorted(out.glob(f"server-{scenario}-*/checks.json"))
    assert len(reports) == 1, f"no checks.json for {scenario}:\n{done.stdout}\n{done.stderr}"
    checks: list[dict[str, Any]] = json.loads(reports[0].read_text())
    return done.returncode, checks, done.stdout + done.stderr


def _failures(checks: list[dict[str, Any]]) -> list[str]:
    return [
        f"{check['id']}: {check['status']} {check.get('errorMessage', '')}"
        for check in checks
        if check["status"] != "SUCCESS"
    ]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario_passes(
    external_tools: ExternalTools, http_server_url: str, scenario: str, tmp_path: Path
) -> None:
    returncode, checks, output = _run_scenario(external_tools, http_server_url, scenario, tmp_path)
    assert checks, f"{scenario} ran no checks:\n{output}"
    assert not _failures(checks), _failures(checks)
    assert returncode == 0, output


def test_logging_set_level_passes_when_the_server_offers_logging(
    external_tools: ExternalTools, http_server_url: str, tmp_path: Path
) -> None:
    # `logging/setLevel` exists only for servers that declare the `logging` capability (it is
    # deprecated from 2026-07-28 on, SEP-2577); the scenario applies only to those.
    capabilities = external_tools.inspector_json([http_server_url, "--method", "initialize"])[
        "capabilities"
    ]
    if "logging" not in capabilities:
        pytest.skip("the server declares no logging capability, so logging/setLevel does not apply")
    returncode, checks, output = _run_scenario(
        external_tools, http_server_url, "logging-set-level", tmp_path
    )
    assert not _failures(checks), _failures(checks)
    assert returncode == 0, output
