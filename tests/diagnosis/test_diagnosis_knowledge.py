import re

import pytest

from anaplan_mcp.diagnosis.knowledge import (
    MCP_TOOLS,
    all_entries,
    explain_action_line,
    explain_connection_code,
    explain_execution_code,
    explain_row_error,
    explain_run_message,
    explain_status,
    get_entry,
    render_guide,
)

DOCUMENTED_ERRORS = [
    (400, "Integration flow has to have at least two enabled steps."),
    (400, "Invalid request body"),
    (400, "User does not have access to workspace"),
    (400, "User does not have access to model"),
    (400, "Role arn is invalid"),
    (400, "Bucket name is invalid"),
    (400, "Credentials are invalid"),
    (400, "Bucket access denied"),
    (400, "Only a single schedule is supported per integration"),
    (400, "Invalid Schedule"),
    (400, "Invalid value for integration_id"),
    (400, "Invalid connection type"),
    (400, "Integration payload is not compliant with the schema"),
    (400, "A Process that has Optimizer as steps cannot be executed through CloudWorks."),
    (400, "Action(s) you included, 112000000001 are not defined in your Anaplan model."),
    (400, "This API version is not supported for this request"),
    (400, "Invalid Dataset"),
    (400, "Dataset access denied"),
    (400, "Content-Type"),
    (400, "integrationId"),
    (403, "Not Authorized"),
    (404, "Resource not found"),
    (404, "Invalid connection_id"),
    (409, "Integration is already running"),
    (409, "The resource is being referenced"),
    (409, "Only a single job is supported by import/export integration"),
    (409, "Total number of integrations exceeded the limit"),
    (500, "Model Not Found Error"),
    (500, "A running integration cannot be deleted"),
    (500, "Unable to retrieve S3 files, count too high"),
    (500, "Duplicate resource name not allowed"),
    (500, "Internal server error"),
    (500, "Anaplan Connection Error"),
    (503, "Invalid workspace or model"),
    (503, "Integration trigger error"),
    (452, "Tenant not entitled"),
    (404, "Your integration run was successful / no errors"),
    (409, "Integration 0123456789abcdef0123456789abcdef is not in running state"),
]


@pytest.mark.parametrize(("status", "message"), DOCUMENTED_ERRORS)
def test_every_documented_api_error_is_explained(status: int, message: str) -> None:
    entry = explain_status(status, message)
    assert entry is not None
    assert entry.kind == "http_error"
    assert status in entry.statuses


def test_distinct_documented_errors_get_distinct_entries() -> None:
    ids = [explain_status(status, message).id for status, message in DOCUMENTED_ERRORS]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)


def test_message_is_matched_only_under_its_own_status() -> None:
    assert explain_status(409, "Integration is already running") is not None
    assert explain_status(200, "Integration is already running") is None
    assert explain_status(409, "Something nobody has seen before") is None
    assert explain_status(500, "a brand new failure") is None


def test_execution_codes() -> None:
    for code in (12, 38, 35, 39):
        entry = explain_execution_code(code)
        assert entry is not None
        assert entry.code == code
    for code in (35, 39):
        entry = explain_execution_code(code)
        assert entry is not None
        assert entry.confidence == "observed"
        assert "undocumented" in entry.title.lower()
    assert "get_failure_dump" in explain_execution_code(38).tools  # type: ignore[union-attr]
    assert explain_execution_code(999) is None


def test_connection_codes() -> None:
    names = {code: explain_connection_code(code) for code in (1, 4, 10, 46)}
    assert names[1] is not None
    assert "CREDENTIALS" in names[1].title
    assert names[4] is not None
    assert "BUCKET" in names[4].title
    assert names[10] is not None
    assert "ROLE" in names[10].title
    assert names[46] is not None
    assert names[46].confidence == "observed"
    assert all("update_connection" in entry.tools for entry in names.values() if entry)
    assert explain_connection_code(2) is None


@pytest.mark.parametrize(
    "message",
    [
        "Cancelled",
        "Process failed",
        "Anaplan model was deleted",
        "Running",
        "test e2e: 13 (0/13) rows successful, 0 (0/0) rows has warnings, 2 failed, 0 ignored",
        "Failed - Action not found.",
        "An Integration has failed - export test failed due to invalid Connection.",
        "Failed import action - Incorrect file structure",
    ],
)
def test_run_messages(message: str) -> None:
    entry = explain_run_message(message)
    assert entry is not None
    assert entry.kind == "run_message"


@pytest.mark.parametrize(
    ("error_type", "text", "entry_id"),
    [
        ("sourceNotFound", "'forecast/forecast.csv' was not found", "run-source-not-found"),
        (None, "File 'in/x.csv' does not exist", "run-source-not-found"),
        ("incorrectFileStructure", "Incorrect file structure: column 'A'", "run-file-structure"),
        ("bucketNotFound", "bucket 'acme' does not exist", "run-bucket-not-found"),
        (None, "NoSuchBucket: the specified bucket does not exist", "run-bucket-not-found"),
        ("accessDenied", "Access denied: cannot read 'a.csv'", "run-access-denied"),
        (None, "AccessDenied", "run-access-denied"),
        ("hierarchyRowsProcessedWithFailures", "x: 1 (1/2) rows successful", "run-partial-rows"),
        # An unknown type falls back on the words; a known type wins over misleading words.
        ("zorp", "Failed - Action not found.", "run-action-not-found"),
        ("sourceNotFound", "Access denied", "run-source-not-found"),
    ],
)
def test_action_error_lines_by_type_then_by_words(
    error_type: str | None, text: str, entry_id: str
) -> None:
    entry = explain_action_line(error_type, text)
    assert entry is not None and entry.id == entry_id


def test_messages_that_only_say_it_failed_name_no_cause() -> None:
    for message in ("Process failed", "Running"):
        entry = explain_run_message(message)
        assert entry is not None and not entry.names_cause
    assert explain_action_line("zorp", "Zorp exploded") is None


def test_an_entry_that_names_changes_names_the_tool_that_makes_them() -> None:
    for entry in all_entries():
        if entry.changes:
            assert entry.call in entry.tools, entry.id
        else:
            assert entry.call is None, entry.id


def test_run_messages_that_are_not_failures_or_unknown() -> None:
    assert explain_run_message("Success") is None
    assert explain_run_message("13 rows successful, 0 failed, 0 ignored") is None
    assert explain_run_message("Flux capacitor overload") is None


@pytest.mark.parametrize(
    "text",
    [
        "Invalid number: junk",
        "Item not located in Products list: Widget 9",
        "Invalid date: 31/31/2020",
        "Value is not a valid boolean",
        'Invalid line item identifier: Column 85717 ("02 Customer")',
    ],
)
def test_row_errors(text: str) -> None:
    entry = explain_row_error(text)
    assert entry is not None
    assert entry.kind == "row_error"


def test_row_errors_distinguish_causes_and_reject_unknowns() -> None:
    assert explain_row_error("Invalid number: x") != explain_row_error("Invalid date: x")
    assert explain_row_error("The moon is made of cheese") is None


def test_operational_entries_exist() -> None:
    for entry_id in ("maintenance-window", "azure-sas-expired"):
        entry = get_entry(entry_id)
        assert entry is not None
        assert entry.kind == "operational"
    assert "update_connection" in get_entry("azure-sas-expired").tools  # type: ignore[union-attr]
    assert get_entry("no-such-entry") is None


def test_every_entry_is_complete_and_consistent() -> None:
    entries = all_entries()
    assert len({entry.id for entry in entries}) == len(entries)
    for entry in entries:
        assert entry.explanation.strip()
        assert entry.fix.strip()
        assert entry.hint.strip()
        assert "§" in entry.source or "https://" in entry.source or "reference" in entry.source
        assert set(entry.tools) <= MCP_TOOLS
        assert {tool for tool in MCP_TOOLS if re.search(rf"\b{tool}\b", entry.fix)} == set(
            entry.tools
        )
        if entry.pattern is not None:
            re.compile(entry.pattern)
        if entry.kind in ("execution_code", "connection_code"):
            assert entry.code is not None
        if entry.kind == "http_error":
            assert entry.statuses


def test_guide_mentions_every_entry_and_stays_compact() -> None:
    guide = render_guide()
    for entry in all_entries():
        assert entry.title in guide, entry.id
        assert entry.hint in guide, entry.id
    assert 2_000 < len(guide) < 10_000
    assert "maintenance window" in guide
    assert "failureDumpGenerated" in guide


def test_tool_and_argument_names_are_the_served_ones() -> None:
    # The knowledge base and the next-call builder name tools and arguments by hand: a renamed
    # tool or argument must fail here, not silently drop out of the advice.
    from anaplan_mcp.diagnosis import calls
    from anaplan_mcp.server.catalogue import load

    schemas = {entry.name: entry.input_schema for entry in load()}
    assert set(MCP_TOOLS) <= set(schemas)
    verbs = "|".join(sorted({name.split("_")[0] for name in schemas}))
    tool_like = re.compile(rf"\b(?:{verbs})_[a-z_]+[a-z]\b")
    for entry in all_entries():
        named = {word for word in tool_like.findall(entry.fix) if not word.endswith("_id")}
        assert named <= set(schemas), (entry.id, named - set(schemas))
        assert named <= MCP_TOOLS, (entry.id, named - MCP_TOOLS)
        assert entry.call is None or entry.call in schemas
    update = schemas["update_connection"]["properties"]
    for arguments in (*calls._CREDENTIALS.values(), calls._LOCATION.values()):
        assert set(arguments) <= set(update)
    assert "role_arn" in update
