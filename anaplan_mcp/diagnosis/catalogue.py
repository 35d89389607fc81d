"""The entries of the CloudWorks failure knowledge base (data only; lookups live in knowledge)."""

from __future__ import annotations

import re

from anaplan_mcp.diagnosis.knowledge import (
    MCP_TOOLS,
    Change,
    Confidence,
    EntryKind,
    KnowledgeEntry,
)

API_TABLE = "CloudWorks API v2 reference, error table (contract §7.2)"
CONTRACT_LIVE = "contract §7.2 live corrections"
HELP_ERRORS = (
    "https://help.anaplan.com/common-cloudworks-errors-and-solutions-"
    "f6f94935-6f97-4530-91fb-19ddc06a746c"
)
HELP_SAS = (
    "https://help.anaplan.com/connect-cloudworks-to-azure-blob-with-sas-"
    "ae2fca3c-5705-4705-b36d-76934fa3a4fc"
)
HELP_BIGQUERY = "https://help.anaplan.com/5bb8f011-3fad-452a-8765-b5a7b52405a7"
HELP_PERMISSIONS = "https://help.anaplan.com/96f951fe-52fc-45a3-b6cb-16b7fe38e1aa"
HELP_DUMP = "https://help.anaplan.com/720b2e7c-593a-4f57-b677-22f4b1712924"
HELP_TROUBLE = (
    "https://help.anaplan.com/troubleshooting-api-usage-721d3176-a64b-469d-9781-27315a474919"
)
SUPPORT_IMPORT = "https://support.anaplan.com/5ff61503-cd4a-43fb-b452-5369aa135ab9"
COMMUNITY_REJECTED = (
    "https://community.anaplan.com/t5/How-To/Understanding-Errors-and-Rejected-Lines-"
    "When-Importing-Data-Via/ta-p/108512"
)

_SUPPORT = (
    "Retry once with run_integration; if it persists, contact Anaplan support with the run id."
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


def _http(
    status: int | tuple[int, ...],
    entry_id: str,
    title: str,
    explanation: str,
    fix: str,
    hint: str,
    *,
    pattern: str | None = None,
    source: str = API_TABLE,
    confidence: Confidence = "documented",
) -> KnowledgeEntry:
    statuses = status if isinstance(status, tuple) else (status,)
    return _entry(
        "http_error",
        entry_id,
        title,
        explanation,
        fix,
        hint,
        statuses=statuses,
        pattern=pattern,
        source=source,
        confidence=confidence,
    )


_HTTP = (
    _http(
        400,
        "http-400-flow-two-steps",
        "Integration flow error",
        "A flow must have at least two enabled (isSkipped false) steps.",
        "Enable or add steps with update_flow so at least two are enabled.",
        "update_flow: enable 2+ steps",
        pattern=r"integration flow error|at least two enabled steps",
    ),
    _http(
        400,
        "http-400-invalid-body",
        "Invalid request body",
        "The request body is malformed or has the wrong shape.",
        "Check the body against the API's format and send it again.",
        "fix the request body",
    ),
    _http(
        400,
        "http-400-no-workspace-access",
        "User does not have access to workspace",
        "The calling user is not a member of the integration's workspace.",
        "Have a workspace administrator add the user to the workspace.",
        "get workspace access",
    ),
    _http(
        400,
        "http-400-no-model-access",
        "User does not have access to model",
        "The calling user has no access to the integration's model.",
        "Have a workspace administrator grant model access; check modelId with list_model_objects.",
        "get model access",
    ),
    _http(
        400,
        "http-400-role-arn",
        "Role arn is invalid",
        "The IAM role ARN of the Amazon S3 connection is invalid.",
        "Correct the role ARN (or remove it) with update_connection.",
        "update_connection: role ARN",
    ),
    _http(
        400,
        "http-400-bucket-name",
        "Bucket name is invalid",
        "The Amazon S3 bucket does not exist or its name is wrong.",
        "Correct bucketName with update_connection.",
        "update_connection: bucket name",
    ),
    _http(
        400,
        "http-400-credentials",
        "Credentials are invalid",
        "The external platform rejected the connection's credentials (S3 keys, Azure SAS token, "
        "BigQuery key); CloudWorks checks them when the connection is saved.",
        "Issue fresh credentials in the source platform and store them with update_connection.",
        "update_connection: new credentials",
    ),
    _http(
        400,
        "http-400-bucket-access",
        "Bucket access denied",
        "The S3 credentials are valid but have no permission on the bucket.",
        "Grant the key or role list/read/write on the bucket; update_connection for new keys.",
        "grant bucket permissions",
    ),
    _http(
        400,
        "http-400-single-schedule",
        "Only a single schedule is supported per integration",
        "The integration already has a schedule.",
        "Change the existing schedule with schedule_integration instead of adding another.",
        "schedule_integration: edit existing",
    ),
    _http(
        400,
        "http-400-invalid-schedule",
        "Invalid Schedule",
        "The schedule fields are invalid for its type (times, days, dates or time zone).",
        "Correct the fields for the schedule type and call schedule_integration again.",
        "schedule_integration: fix fields",
    ),
    _http(
        400,
        "http-400-connection-type",
        "Invalid connection type",
        "The connection type is not one CloudWorks supports.",
        "Use AmazonS3, AzureBlob or GoogleBigQuery.",
        "use a supported type",
    ),
    _http(
        400,
        "http-400-payload-schema",
        "Integration payload is not compliant with the schema",
        "The integration create or update body is not in the expected format.",
        "Fix the jobs/sources/targets shape and resend with update_integration.",
        "update_integration: fix payload",
    ),
    _http(
        400,
        "http-400-optimizer",
        "A Process that has Optimizer as steps cannot be executed through CloudWorks.",
        "The process contains an Optimizer step, which CloudWorks cannot run.",
        "Remove the Optimizer step from the process in the model, or run it outside CloudWorks.",
        "remove Optimizer step",
        pattern=r"optimizer as steps",
    ),
    _http(
        400,
        "http-400-actions-undefined",
        "Action(s) you included, {action_ids} are not defined in your Anaplan model.",
        "The integration names actions that are not in the model (deleted, or another model).",
        "Find the current ids with list_model_objects and fix them with update_integration.",
        "list_model_objects + update_integration",
        pattern=r"action\(s\) you included.*not defined",
    ),
    _http(
        400,
        "http-400-api-version",
        "This API version is not supported for this request",
        "The endpoint is not available in the API version used in the URL.",
        "Use the /2/0 base URL.",
        "use API version 2/0",
    ),
    _http(
        400,
        "http-400-invalid-dataset",
        "Invalid Dataset",
        "The BigQuery dataset of the connection does not exist or is misspelt.",
        "Correct the dataset with update_connection.",
        "update_connection: dataset",
        source=f"{API_TABLE}; {HELP_BIGQUERY}",
    ),
    _http(
        400,
        "http-400-dataset-access",
        "Dataset access denied",
        "The BigQuery service account cannot use the dataset. It needs BigQuery Data Editor on the "
        "dataset, and bigquery.jobUser and bigquery.user on the project.",
        "Grant those roles to the service account in Google Cloud; update_connection if the key "
        "changed.",
        "grant BigQuery roles",
        source=f"{API_TABLE}; {HELP_BIGQUERY}",
    ),
    _http(
        400,
        "http-400-field-error",
        "{field error}",
        "A field in the request is invalid (e.g. 'Invalid value for integration_id' when a "
        "schedule body lacks integrationId).",
        "Correct the named field and resend.",
        "fix the named field",
        pattern=r"^invalid value for \S+",
    ),
    _http(
        400,
        "http-400-header",
        "{header name}",
        "A request header is missing or malformed.",
        "Check the Authorization and Content-Type headers.",
        "fix the named header",
        pattern=r"^(authorization|content-type|accept|x-[\w-]+)$",
    ),
    _http(
        400,
        "http-400-parameter",
        "{request parameter name}",
        "A parameter of the request is missing or has the wrong format.",
        "Correct the named parameter and resend.",
        "fix the named parameter",
        pattern=r"^[a-z_][\w.\[\]]*$",
    ),
    _http(
        401,
        "http-401-token",
        "Unauthorized",
        "The authentication token is missing, expired (tokens last 35 minutes) or was logged out.",
        "Sign in again; the server re-authenticates on its own when it can.",
        "re-authenticate",
        pattern=r".",
        source=HELP_TROUBLE,
        confidence="observed",
    ),
    _http(
        403,
        "http-403-not-authorized",
        "Not Authorized",
        "The token is expired, or the user lacks the rights for this call.",
        "Re-authenticate; if the token is valid, check the user's role or contact Anaplan support.",
        "re-authenticate, check role",
        pattern=r"^not authori[sz]ed",
    ),
    _http(
        403,
        "http-403-not-permitted",
        "Not Permitted",
        "The user's role does not allow this CloudWorks operation.",
        "Ask a tenant administrator for the Integration Admin role.",
        "needs Integration Admin role",
        source=CONTRACT_LIVE,
        confidence="observed",
    ),
    _http(
        452,
        "http-452-not-entitled",
        "Tenant not entitled",
        "Role denial on the schedule and dump endpoints: the user lacks the needed role.",
        "Ask a tenant administrator for the Integration Admin role.",
        "needs Integration Admin role",
        source="contract §7.1 and §3.1",
        confidence="observed",
    ),
    _http(
        404,
        "http-404-no-dump",
        "Your integration run was successful / no errors",
        "The run produced no failure dump, so there are no rejected rows to show.",
        "Use get_run_errors; a dump exists only when failureDumpGenerated is true.",
        "no dump: use get_run_errors",
        pattern=r"successful / no errors|no errors",
        source="contract §3.1",
        confidence="observed",
    ),
    _http(
        404,
        "http-404-not-found",
        "Resource not found",
        "The id does not exist (wrong or deleted). A cancel right after starting a run also gets "
        "this while the run is still queued.",
        "Check the id; for a cancel, wait a few seconds and call cancel_run again.",
        "check the id",
    ),
    _http(
        404,
        "http-404-connection-id",
        "Invalid connection_id",
        "The connectionId does not exist.",
        "Use an existing connection id and update_integration to point the job at it.",
        "update_integration: valid connection",
    ),
    _http(
        409,
        "http-409-already-running",
        "Integration is already running",
        "Only one run per integration at a time; deletes and edits are also refused during a run.",
        "Wait for the run to end, or stop it with cancel_run, then retry.",
        "wait, or cancel_run",
    ),
    _http(
        409,
        "http-409-not-running",
        "is not in running state",
        "cancel_run was called on an integration with no run in progress.",
        "Nothing to cancel; check the latest run instead.",
        "nothing to cancel",
        pattern=r"not in running state",
        source="contract §2",
        confidence="observed",
    ),
    _http(
        409,
        "http-409-referenced",
        "The resource is being referenced",
        "The resource is used by a flow or an integration, so it cannot be deleted.",
        "Remove it from the flow with update_flow (or delete the flow) first.",
        "update_flow to drop the reference",
    ),
    _http(
        409,
        "http-409-single-job",
        "Only a single job is supported by import/export integration",
        "An import or export integration can have only one job.",
        "Keep one job with update_integration; use a process or a flow for more.",
        "update_integration: one job",
    ),
    _http(
        409,
        "http-409-tenant-limit",
        "Total number of integrations exceeded the limit",
        "The tenant has reached its maximum of integrations and flows (500 by default).",
        "Delete unused integrations or flows before creating more.",
        "delete unused integrations",
    ),
    _http(
        500,
        "http-500-model-not-found",
        "Model Not Found Error",
        "The integration's model no longer exists or was moved.",
        "Check the model; point the integration at a live model with update_integration.",
        "update_integration: live model",
    ),
    _http(
        500,
        "http-500-running-delete",
        "A running integration cannot be deleted",
        "A delete was sent while the integration was running (live tenants answer 409).",
        "Wait for the run to end, or cancel_run, then delete.",
        "wait, or cancel_run",
    ),
    _http(
        500,
        "http-500-s3-count",
        "Unable to retrieve S3 files, count too high",
        "The bucket holds too many files for CloudWorks to list.",
        "Use a bucket or prefix with fewer files.",
        "fewer files in bucket",
    ),
    _http(
        (500, 400),
        "http-500-duplicate-name",
        "Duplicate resource name not allowed",
        "A resource with that name already exists (a second notification for an integration too).",
        "Choose a unique name, or update the existing resource.",
        "use a unique name",
    ),
    _http(
        500,
        "http-500-internal",
        "Internal server error",
        "A server-side fault in CloudWorks.",
        _SUPPORT,
        "retry, then Anaplan support",
    ),
    _http(
        500,
        "http-500-anaplan-connection",
        "Anaplan Connection Error",
        "CloudWorks could not reach the Anaplan platform.",
        _SUPPORT,
        "retry, then Anaplan support",
    ),
    _http(
        503,
        "http-503-workspace-model",
        "Invalid workspace or model",
        "The workspace or model id of the integration is invalid.",
        "Check workspaceId and modelId; fix them with update_integration.",
        "update_integration: ids",
    ),
    _http(
        503,
        "http-503-trigger",
        "Integration trigger error",
        "CloudWorks could not start the run.",
        _SUPPORT,
        "retry, then Anaplan support",
    ),
    _http(
        429,
        "http-429-rate-limit",
        "Too many requests",
        "The API rate limit was hit.",
        "Wait and retry with backoff.",
        "back off and retry",
        pattern=r".",
        source=HELP_TROUBLE,
    ),
)

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
