"""server.json, the entry of this server in the MCP Registry.

No npm or PyPI package ships the registry's published schema and the tests have no network, so
tests/registry_server_fields.schema.json states the rules the registry documents for the fields used
here; the checks below tie the entry to the package it names.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from anaplan_mcp.cloudworks.regions import REGIONS
from anaplan_mcp.settings import TOOLSETS, Settings

ROOT = Path(__file__).resolve().parents[1]
ENTRY: dict[str, Any] = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
RULES = json.loads((Path(__file__).with_name("registry_server_fields.schema.json")).read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PACKAGE = ENTRY["packages"][0]
VARIABLES = {variable["name"]: variable for variable in PACKAGE["environmentVariables"]}


def _setting_variables() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        choices = getattr(field.validation_alias, "choices", [])
        names.update(str(name) for name in choices if str(name).startswith("ANAPLAN_"))
    return names


def test_follows_the_registry_rules() -> None:
    jsonschema.Draft7Validator.check_schema(RULES)
    jsonschema.Draft7Validator(RULES).validate(ENTRY)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"description": "x" * 101}, "description"),
        ({"name": "no-slash"}, "name"),
        ({"version": "^0.1.0"}, "version"),
    ],
)
def test_rules_refuse_what_the_registry_refuses(change: dict[str, str], where: str) -> None:
    with pytest.raises(jsonschema.ValidationError) as refused:
        jsonschema.Draft7Validator(RULES).validate({**ENTRY, **change})
    assert where in refused.value.json_path


def test_names_the_package_this_repository_builds() -> None:
    assert PACKAGE["registryType"] == "pypi"
    assert PACKAGE["identifier"] == PROJECT["name"]
    assert ENTRY["version"] == PACKAGE["version"] == PROJECT["version"]
    assert ENTRY["repository"]["url"] == PROJECT["urls"]["Source"]
    owner = PROJECT["urls"]["Source"].removeprefix("https://github.com/").split("/")[0]
    assert ENTRY["name"].startswith(f"io.github.{owner}/")
    # The registry proves the PyPI package is ours by this line in the package's README.
    assert f"mcp-name: {ENTRY['name']}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_variables_are_the_servers_own() -> None:
    assert set(VARIABLES) <= _setting_variables()
    assert VARIABLES["ANAPLAN_REGION"]["choices"] == list(REGIONS)
    assert VARIABLES["ANAPLAN_MCP_TOOLSETS"]["default"] == ",".join(TOOLSETS)
    secrets = {name for name, variable in VARIABLES.items() if variable.get("isSecret")}
    assert secrets == {"ANAPLAN_PASSWORD", "ANAPLAN_PRIVATE_KEY_PASSWORD"}
