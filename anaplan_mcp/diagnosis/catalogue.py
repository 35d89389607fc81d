"""The entries of the CloudWorks failure knowledge base (data only; lookups live in knowledge)."""

from __future__ import annotations

import re

from anaplan_mcp.cloudworks.advice import ADVICE, API_TABLE, Advice
from anaplan_mcp.diagnosis.advice import render, short
from anaplan_mcp.diagnosis.knowledge import (
    MCP_TOOLS,
    Change,
    Confidence,
    EntryKind,
    KnowledgeEntry,
)

HELP_ERRORS = (
    "https://help.anaplan.com/common-cloudworks-errors-and-solutions-"
    "f6f94935-6f97-4530-91fb-19ddc06a746c"
)
HELP_SAS = (
    "https://help.anaplan.com/connect-cloudworks-to-azure-blob-with-sas-"
    "ae2fca3c-5705-4705-b36d-76934fa3a4fc"
)
HELP_PERMISSIONS = "https://help.anaplan.com/96f951fe-52fc-45a3-b6cb-16b7fe38e1aa"
HELP_DUMP = "https://help.anaplan.com/720b2e7c-593a-4f57-b677-22f4b1712924"
SUPPORT_IMPORT = "https://support.anaplan.com/5ff61503-cd4a-43fb-b452-5369aa135ab9"
COMMUNITY_REJECTED = (
    "https://community.anaplan.com/t5/How-To/Understanding-Errors-and-Rejected-Lines-"
    "When-Importing-Data-Via/ta-p/108512"
)

_DUMP_STEPS = (
    "Call get_run_errors, then get_failure_dump for the failing rows; correct the source data "
    "or the import mapping in the model; then run_integration again."
)


def _entry(
    kind: EntryKind,
    entry_id: str,
    title: str,
    explanation: str,
    fix: str,
    hint: str,
    *,
    statuses: tuple[int, ...] = (),
    code: int | None = None,
    pattern: str | None = None,
    error_types: tuple[str, ...] = (),
    names_cause: bool = True,
    changes: tuple[Change, ...] = (),
    source: str = API_TABLE,
    confidence: Confidence = "documented",
) -> KnowledgeEntry:
    """An entry; `changes` are what its fix changes with the first tool it names."""
    if pattern is None and kind in ("http_error", "run_message", "row_error"):
        pattern = re.escape(title)
    tools = tuple(sorted(tool for tool in MCP_TOOLS if tool in fix))
    return KnowledgeEntry(
        id=entry_id,
        kind=kind,
        title=title,
        statuses=statuses,
        code=code,
        pattern=pattern,
        error_types=error_types,
        names_cause=names_cause,
        explanation=explanation,
        fix=fix,
        hint=hint,
        tools=tools,
        call=_first_tool(fix) if changes else None,
        changes=changes,
        source=source,
        confidence=confidence,
    )


def _first_tool(fix: str) -> str | None:
    named = [(fix.find(tool), tool) for tool in MCP_TOOLS if tool in fix]
    return min(named)[1] if named else None


def _http(row: Advice) -> KnowledgeEntry:
    """A documented HTTP error: a row of the one advice table, rendered for a tool caller."""
    return _entry(
        "http_error",
        row.id,
        row.title,
        row.explanation,
        render(row),
        short(row),
        statuses=row.statuses,
        pattern=row.pattern,
        source=row.source,
        confidence=row.confidence,
    )


_HTTP = tuple(_http(row) for row in ADVICE if row.title)

_CODES = (
    _entry(
        "execution_code",
        "exec-12-type-mismatch",
        "Data type mismatch",
        "The import failed on a data-type mismatch: source values did not fit the target's "
        "format (text into a number, a date or a list-formatted line item).",
        _DUMP_STEPS,
        "get_failure_dump, fix data or mapping",
        code=12,
        source="contract §7.3",
        confidence="observed",
    ),
    _entry(
        "execution_code",
        "exec-38-partial-success",
        "Partial success",
        "The run finished but some rows were rejected; success is still true. The run message "
        "carries the row counts and the run errors say whether a dump was generated.",
        _DUMP_STEPS,
        "get_failure_dump for the rejected rows",
        code=38,
        source="contract §7.3 and §8",
        confidence="observed",
    ),
    _entry(
        "execution_code",
        "exec-35-undocumented",
        "Observed, meaning undocumented",
        "Code 35 has been seen on failed runs, but Anaplan does not document its meaning.",
        "Call get_run_errors for the run's own messages; if they do not explain it, send the "
        "code and run id to Anaplan support.",
        "get_run_errors, then Anaplan support",
        code=35,
        source="contract §7.3",
        confidence="observed",
    ),
    _entry(
        "execution_code",
        "exec-39-undocumented",
        "Observed, meaning undocumented",
        "Code 39 has been seen on failed runs, but Anaplan does not document its meaning.",
        "Call get_run_errors for the run's own messages; if they do not explain it, send the "
        "code and run id to Anaplan support.",
        "get_run_errors, then Anaplan support",
        code=39,
        source="contract §7.3",
        confidence="observed",
    ),
    _entry(
        "connection_code",
        "conn-1-s3-credentials",
        "AMAZONS3_INVALID_CREDENTIALS",
        "Amazon S3 rejected the connection's access key or secret key (revoked or rotated).",
        "Create a new key pair in AWS IAM and store it with update_connection.",
        "update_connection: new S3 keys",
        code=1,
        changes=("credentials",),
        source="API reference, connections (contract §7.4)",
    ),
    _entry(
        "connection_code",
        "conn-4-s3-bucket",
        "AMAZONS3_INVALID_BUCKET",
        "The connection's S3 bucket does not exist or cannot be reached with these credentials.",
        "Check the bucket name and its region/permissions; correct it with update_connection.",
        "update_connection: bucket",
        code=4,
        changes=("location",),
        source="API reference, connections (contract §7.4)",
    ),
    _entry(
        "connection_code",
        "conn-10-assume-role",
        "AWS_ASSUME_ROLE_FAILED",
        "CloudWorks could not assume the connection's IAM role: wrong ARN or a trust policy "
        "that does not allow it.",
        "Fix the role's trust policy in AWS, or correct the role ARN with update_connection.",
        "fix IAM role / update_connection",
        code=10,
        changes=("role_arn",),
        source="API reference, connections (contract §7.4)",
    ),
    _entry(
        "connection_code",
        "conn-46-undocumented",
        "Observed, meaning undocumented",
        "Code 46 has been seen on invalid connections; its meaning is not documented. Expired "
        "credentials (for example an Azure SAS token past its end date) are a common reason "
        "a connection turns invalid.",
        "Re-enter current credentials with update_connection; if it stays invalid, contact "
        "Anaplan support with the connection id.",
        "update_connection: current credentials",
        code=46,
        changes=("credentials",),
        source="contract §7.4",
        confidence="observed",
    ),
)

_RUN_MESSAGES = (
    _entry(
        "run_message",
        "run-cancelled",
        "Cancelled",
        "The run was stopped by a cancel before it finished.",
        "Start it again with run_integration (or run_flow) when ready.",
        "run again if needed",
        pattern=r"^cancell?ed\b",
        source="contract §7.5 and §8",
        confidence="observed",
    ),
    _entry(
        "run_message",
        "run-process-failed",
        "Process failed",
        "An Anaplan action of the run failed. CloudWorks says this for imports, exports and "
        "processes alike; the failed action's own error lines say why.",
        "Read the failed action's error lines with get_run_errors; fix what they name, then "
        "run_integration again.",
        "read the action's error lines",
        pattern=r"^process failed",
        names_cause=False,
        source="contract §7.5",
        confidence="observed",
    ),
    _entry(
        "run_message",
        "run-model-deleted",
        "Anaplan model was deleted",
        "The integration's model no longer exists.",
        "Point the integration at an existing model with update_integration, or delete it.",
        "update_integration: new model",
        source="contract §7.5",
        confidence="observed",
    ),
    _entry(
        "run_message",
        "run-running",
        "Running",
        "The run is still in progress; there is no outcome yet.",
        "Wait and check again; stop it with cancel_run if needed.",
        "wait, or cancel_run",
        pattern=r"^running$",
        names_cause=False,
        source="contract §8",
        confidence="observed",
    ),
    _entry(
        "run_message",
        "run-partial-rows",
        "n rows successful ... n failed",
        "A partial success: some rows loaded, others were rejected.",
        _DUMP_STEPS,
        "get_failure_dump for the rejected rows",
        pattern=r"rows? successful.*\b[1-9]\d* failed",
        error_types=("hierarchyRowsProcessedWithFailures",),
        source="contract §6.3 and §8",
        confidence="observed",
    ),
    _entry(
        "run_message",
        "run-action-not-found",
        "Failed - Action not found",
        "The action the integration runs is gone, or the user cannot see its model/workspace.",
        "Check access; find the action with list_model_objects and fix it with update_integration.",
        "list_model_objects + update_integration",
        pattern=r"action not found",
        source=HELP_ERRORS,
    ),
    _entry(
        "run_message",
        "run-invalid-connection",
        "failed due to invalid Connection",
        "The integration's connection is invalid (bad or expired credentials, missing bucket).",
        "Check the connection's integrationErrorCode and renew its credentials with "
        "update_connection.",
        "update_connection",
        pattern=r"failed due to invalid connection|credentials are invalid for connection",
        error_types=("connectionError",),
        changes=("credentials",),
        source=HELP_ERRORS,
    ),
    _entry(
        "run_message",
        "run-server-error",
        "failed due to a server error",
        "The source or target server had a connectivity problem.",
        "Check the external server's status, then run_integration again.",
        "check server, run again",
        source=HELP_ERRORS,
    ),
    # Error lines of a failed action (runerror `type` and text); the help centre names the
    # causes, the lines themselves are undocumented, so these match them by type and by words.
    _entry(
        "run_message",
        "run-bucket-not-found",
        "Bucket, container or dataset not found",
        "The bucket, container or dataset the connection names does not exist (deleted or "
        "renamed), so the run could not reach its files.",
        "Check the connection's bucket_name (container_name, or dataset) against the cloud "
        "account; correct it with update_connection, or restore the bucket; then "
        "run_integration again.",
        "update_connection: bucket name",
        pattern=r"\b(bucket|container|dataset)\b.*\b(does not exist|not found)|nosuchbucket",
        error_types=("bucketNotFound",),
        changes=("location",),
        source="contract §7.2 (Bucket name is invalid) and §7.4 (AMAZONS3_INVALID_BUCKET)",
        confidence="inferred",
    ),
    _entry(
        "run_message",
        "run-access-denied",
        "Access denied",
        "The connection's credentials are accepted but lack permission on the bucket, "
        "container or file: read for an import, write for an export.",
        "Grant the key, IAM role or SAS token read (imports) or write (exports) on the bucket "
        "or file in the cloud platform; if new credentials are issued, store them with "
        "update_connection; then run_integration again.",
        "grant read/write on the bucket",
        pattern=r"access denied|accessdenied|permission denied",
        error_types=("accessDenied",),
        source=f"{API_TABLE} (Bucket access denied); {HELP_PERMISSIONS}",
        confidence="inferred",
    ),
    _entry(
        "run_message",
        "run-source-not-found",
        "Source file not found",
        "The job's source file (or table) was not there when the run started: a wrong path, "
        "or a file not delivered (yet).",
        "Check the job's path (untrusted_data.source) against the bucket; correct it with "
        "update_integration, or deliver the file; then run_integration again.",
        "update_integration: path",
        pattern=(
            r"^'[^']*' was not found|\b(file|object|key|table)\b.*\b(not found|does not exist)"
            r"|nosuchkey|no such file"
        ),
        error_types=("sourceNotFound",),
        changes=("source",),
        source="contract §6.3 (runerror lines of a failed action)",
        confidence="inferred",
    ),
    _entry(
        "run_message",
        "run-file-structure",
        "Incorrect file structure",
        "The file does not match the import's layout: a column the import reads is not in its "
        "header (BigQuery headers with spaces also cause it).",
        "Correct the file's header (underscores, not spaces, in BigQuery), or point the job at "
        "a file with the import's columns with update_integration; then run_integration again.",
        "fix file layout",
        pattern=r"incorrect file structure|not in the header",
        error_types=("incorrectFileStructure",),
        changes=("source",),
        source=HELP_ERRORS,
    ),
)


_ROW_ERRORS = (
    _entry(
        "row_error",
        "row-invalid-number",
        "Invalid number",
        "The value is not a number the target line item or property can take.",
        "Clean the source column (no letters, units or thousands separators the import cannot "
        "read); run_integration again.",
        "clean numeric column",
        source=f"contract §3.1; {COMMUNITY_REJECTED}",
    ),
    _entry(
        "row_error",
        "row-item-not-in-list",
        "Item not located in ... list",
        "The value names a list item that does not exist in the target list.",
        "Add the item to the list first (import the list earlier in the process or flow), or "
        "correct the code/name in the source.",
        "load the list first",
        pattern=r"item not (located|found) in",
        source=COMMUNITY_REJECTED,
        confidence="inferred",
    ),
    _entry(
        "row_error",
        "row-invalid-date",
        "Invalid date",
        "The value is not a date in the format the import's date mapping expects.",
        "Match the source format to the import's date mapping (YYYY-MM-DD is safest).",
        "align date format",
        source=SUPPORT_IMPORT,
        confidence="inferred",
    ),
    _entry(
        "row_error",
        "row-invalid-boolean",
        "Value is not a valid boolean",
        "The value cannot be read as a Boolean.",
        "Send true/false (or the mapping's values) in the source column.",
        "send true/false",
        pattern=r"not a valid boolean|invalid boolean",
        source=SUPPORT_IMPORT,
        confidence="inferred",
    ),
    _entry(
        "row_error",
        "row-line-item-identifier",
        "Invalid line item identifier",
        "A column header or value does not match any line item of the target module.",
        "Match the source headers to the module's line items, or fix the import mapping.",
        "fix headers or mapping",
        source=HELP_DUMP,
    ),
    _entry(
        "row_error",
        "row-time-period",
        "Invalid time period",
        "The time value does not match a period of the model's calendar (e.g. a misspelt month).",
        "Use the period names or date format the import's time mapping expects.",
        "fix time values",
        pattern=r"invalid (time )?period",
        source=SUPPORT_IMPORT,
        confidence="inferred",
    ),
)

_OPERATIONAL = (
    _entry(
        "operational",
        "maintenance-window",
        "Scheduled run missing in the maintenance window",
        "Scheduled integrations do not run during the weekly platform maintenance window "
        "(usually Saturdays 1:00-5:00 pm PDT); nothing fails, the run simply does not happen.",
        "Run it manually with run_integration after maintenance, or move the schedule with "
        "schedule_integration.",
        "run_integration after, or reschedule",
        source=f"contract §10; {HELP_ERRORS}",
    ),
    _entry(
        "operational",
        "azure-sas-expired",
        "Azure SAS token expired",
        "An Azure Blob connection works only while its SAS token is valid; after its end date "
        "runs fail on the connection. Tokens must be account- or container-level with Read, "
        "Write and List.",
        "Generate a new container-level SAS token in Azure and store it with update_connection.",
        "update_connection: new SAS token",
        changes=("credentials",),
        source=HELP_SAS,
    ),
    _entry(
        "operational",
        "export-headers-only",
        "Export has headers but no data",
        "The list behind the export has selective access and the integration's internal user "
        "lacks Full Access to it.",
        "Have a workspace administrator grant Internal (Full Access) on that list.",
        "grant Internal (Full Access)",
        source=HELP_ERRORS,
    ),
)

ENTRIES: tuple[KnowledgeEntry, ...] = _HTTP + _CODES + _RUN_MESSAGES + _ROW_ERRORS + _OPERATIONAL
