"""Error advice: the one table that every surface reads, one row per cause of an API error.

Decision (issue 13). Advice used to live in four places that disagreed and stacked (a 404 read
"(check the id; list the resources...). Call list_integrations for valid ids."). Now a row here is
the cause and everything said about it; every surface renders the same row, so one cause gives
the same advice everywhere and each message carries exactly one hint:

- the client's exception text: `str(exc)` = what failed, then `(advice)`;
- the MCP tool errors (server/errors.py) and the diagnosis knowledge base (diagnosis/catalogue.py):
  the advice, then the tools that carry it out, rendered by diagnosis/advice.py;
- `anaplan-mcp check`: `setup`, the advice for a person configuring the server (it names settings),
  or the advice itself when `setup` is empty.

A row is keyed by its cause: the HTTP status and, where one status covers several causes,
CloudWorks' own message (`pattern`, a case-insensitive regex) or the request path (`path`);
`error` keys a row by exception class instead (an nginx 404 page is no CloudWorks 404).
`catch_all` rows answer for their statuses (all, when they list none) when no other row does.

This is the client library, so no row names an MCP tool: `via` names the actions in words
("update connection"); diagnosis/advice.py maps each action to its tool, in one place. "list" is
the listing of whatever the failing path names (`subject`). Rows with a `title` are documented
CloudWorks messages and also feed the diagnosis knowledge base (explanation, short, source).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

Action = Literal[
    "list",
    "list runs",
    "list flow runs",
    "list model objects",
    "read run errors",
    "update connection",
    "update integration",
    "update flow",
    "schedule integration",
    "cancel run",
    "run again",
    "check setup",
]
Subject = Literal["flow", "connection", "notification", "run", "model object", "integration"]
Confidence = Literal["documented", "observed", "inferred"]

API_TABLE = "CloudWorks API v2 reference, error table (contract §7.2)"
HELP_BIGQUERY = "https://help.anaplan.com/5bb8f011-3fad-452a-8765-b5a7b52405a7"
HELP_TROUBLE = (
    "https://help.anaplan.com/troubleshooting-api-usage-721d3176-a64b-469d-9781-27315a474919"
)


@dataclass(frozen=True)
class Advice:
    id: str
    advice: str  # for whoever made the call: plain words, lower case, no tool names
    statuses: tuple[int, ...] = ()
    pattern: str | None = None
    path: str | None = None
    error: str | None = None
    catch_all: bool = False
    via: tuple[Action, ...] = ()
    setup: str = ""  # for a person checking the configuration; "" = `advice` serves them too
    title: str = ""
    explanation: str = ""
    short: str = ""  # a few words for the guide table
    source: str = API_TABLE
    confidence: Confidence = "documented"

    def matches(self, status: int, message: str, path: str) -> bool:
        """This row's own message or path (not its catch-all) at this status."""
        if status not in self.statuses or (self.pattern is None and self.path is None):
            return False
        said = self.pattern is None or _compiled(self.pattern).search(message.strip())
        where = self.path is None or _compiled(self.path).search(path)
        return bool(said and where)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_SUPPORT = "retry once; if it persists, contact Anaplan support with the run id"
_AGAIN = "wait for the run to end, or stop it, then retry"
_ADMIN_ROLE = "ask a tenant administrator for the Integration Admin role"


def _doc(
    status: int | tuple[int, ...],
    entry_id: str,
    title: str,
    explanation: str,
    advice: str,
    short: str = "",
    *,
    via: tuple[Action, ...] = (),
    pattern: str | None = None,
    catch_all: bool = False,
    setup: str = "",
    source: str = API_TABLE,
    confidence: Confidence = "documented",
) -> Advice:
    """A documented CloudWorks message; its pattern is the message itself unless given."""
    return Advice(
        entry_id,
        advice,
        status if isinstance(status, tuple) else (status,),
        pattern=re.escape(title) if pattern is None else pattern,
        catch_all=catch_all,
        via=via,
        setup=setup,
        title=title,
        explanation=explanation,
        short=short,
        source=source,
        confidence=confidence,
    )


# Tried in order (see advice_for): a status's catch-all follows its specific rows. Kept
# unformatted: a row reads best a few lines long.
# fmt: off
ADVICE: tuple[Advice, ...] = (
    Advice(
        "endpoint-not-found",
        "this endpoint does not exist at the configured base URL: check the region or URL override",
        error="EndpointNotFoundError",
        via=("check setup",),
        setup="check ANAPLAN_REGION, or set {url}",
    ),
    Advice(
        "run-not-found",
        "no integration run has this id: an older flow run cannot be read, and a run started "
        "seconds ago may not show yet",
        (404,),
        path=r"/integrations/run(error)?/",
        via=("list runs", "list flow runs"),
    ),
    Advice(
        "cancel-queued",
        "a run started a moment ago is still queued: cancel again in a few seconds; otherwise "
        "check the id",
        (404,),
        path=r"/cancel$",
        via=("cancel run", "list"),
    ),
    _doc(400, "http-400-flow-two-steps", "Integration flow error",
         "A flow must have at least two enabled (isSkipped false) steps.",
         "enable or add steps so that at least two are enabled", "enable 2+ steps",
         via=("update flow",), pattern=r"integration flow error|at least two enabled steps"),
    _doc(400, "http-400-invalid-body", "Invalid request body",
         "The request body is malformed or has the wrong shape.",
         "check the body against the API's format and send it again", "fix the request body"),
    _doc(400, "http-400-no-workspace-access", "User does not have access to workspace",
         "The calling user is not a member of the integration's workspace.",
         "have a workspace administrator add the user to the workspace", "get workspace access"),
    _doc(400, "http-400-no-model-access", "User does not have access to model",
         "The calling user has no access to the integration's model.",
         "have a workspace administrator grant model access, and check the model id",
         "get model access", via=("list model objects",)),
    _doc(400, "http-400-role-arn", "Role arn is invalid",
         "The IAM role ARN of the Amazon S3 connection is invalid.",
         "correct the connection's role ARN, or remove it", "role ARN",
         via=("update connection",)),
    _doc(400, "http-400-bucket-name", "Bucket name is invalid",
         "The Amazon S3 bucket does not exist or its name is wrong.",
         "correct the connection's bucket name", "bucket name", via=("update connection",)),
    _doc(400, "http-400-credentials", "Credentials are invalid",
         "The external platform rejected the connection's credentials (S3 keys, Azure SAS "
         "token, BigQuery key); CloudWorks checks them when the connection is saved.",
         "issue fresh credentials in the source platform and store them in the connection",
         "new credentials", via=("update connection",)),
    _doc(400, "http-400-bucket-access", "Bucket access denied",
         "The S3 credentials are valid but have no permission on the bucket.",
         "grant the key or role list/read/write on the bucket, and store any new keys in the "
         "connection", "grant bucket permissions", via=("update connection",)),
    _doc(400, "http-400-single-schedule", "Only a single schedule is supported per integration",
         "The integration already has a schedule.",
         "change the existing schedule instead of adding another", "edit existing",
         via=("schedule integration",)),
    _doc(400, "http-400-invalid-schedule", "Invalid Schedule",
         "The schedule fields are invalid for its type (times, days, dates or time zone).",
         "correct the fields for the schedule type and send the schedule again", "fix fields",
         via=("schedule integration",)),
    _doc(400, "http-400-connection-type", "Invalid connection type",
         "The connection type is not one CloudWorks supports.",
         "use AmazonS3, AzureBlob or GoogleBigQuery", "use a supported type"),
    _doc(400, "http-400-payload-schema", "Integration payload is not compliant with the schema",
         "The integration create or update body is not in the expected format.",
         "fix the jobs/sources/targets shape and send it again", "fix payload",
         via=("update integration",)),
    _doc(400, "http-400-optimizer",
         "A Process that has Optimizer as steps cannot be executed through CloudWorks.",
         "The process contains an Optimizer step, which CloudWorks cannot run.",
         "remove the Optimizer step from the process in the model, or run it outside CloudWorks",
         "remove Optimizer step", pattern=r"optimizer as steps"),
    _doc(400, "http-400-actions-undefined",
         "Action(s) you included, {action_ids} are not defined in your Anaplan model.",
         "The integration names actions that are not in the model (deleted, or another model).",
         "find the model's current action ids and correct the integration's",
         via=("list model objects", "update integration"),
         pattern=r"action\(s\) you included.*not defined"),
    _doc(400, "http-400-api-version", "This API version is not supported for this request",
         "The endpoint is not available in the API version used in the URL.",
         "use the /2/0 base URL", "use API version 2/0"),
    _doc(400, "http-400-invalid-dataset", "Invalid Dataset",
         "The BigQuery dataset of the connection does not exist or is misspelt.",
         "correct the connection's dataset", "dataset", via=("update connection",),
         source=f"{API_TABLE}; {HELP_BIGQUERY}"),
    _doc(400, "http-400-dataset-access", "Dataset access denied",
         "The BigQuery service account cannot use the dataset. It needs BigQuery Data Editor on "
         "the dataset, and bigquery.jobUser and bigquery.user on the project.",
         "grant those roles to the service account in Google Cloud, and store a changed key in "
         "the connection", "grant BigQuery roles", via=("update connection",),
         source=f"{API_TABLE}; {HELP_BIGQUERY}"),
    _doc(400, "http-400-field-error", "{field error}",
         "A field in the request is invalid (e.g. 'Invalid value for integration_id' when a "
         "schedule body lacks integrationId).",
         "correct the named field and send it again", "fix the named field",
         pattern=r"^invalid value for \S+"),
    _doc(400, "http-400-header", "{header name}",
         "A request header is missing or malformed.",
         "check the Authorization and Content-Type headers", "fix the named header",
         pattern=r"^(authorization|content-type|accept|x-[\w-]+)$"),
    _doc(400, "http-400-parameter", "{request parameter name}",
         "A parameter of the request is missing or has the wrong format.",
         "correct the named parameter and send it again", "fix the named parameter",
         pattern=r"^[a-z_][\w.\[\]]*$"),
    _doc(401, "http-401-token", "Unauthorized",
         "The authentication token is missing, expired (tokens last 35 minutes) or was logged out.",
         "the credentials or token were refused (wrong, expired or logged out): sign in again "
         "with valid ones", "re-authenticate", via=("check setup",), pattern=r".",
         catch_all=True, source=HELP_TROUBLE, confidence="observed",
         setup="check ANAPLAN_USERNAME/ANAPLAN_PASSWORD, or that the certificate is registered "
         "with Anaplan, or that ANAPLAN_TOKEN has not expired"),
    _doc(403, "http-403-not-authorized", "Not Authorized",
         "The token is expired, or the user lacks the rights for this call.",
         "sign in again; if the token is valid, check the user's role or contact Anaplan support",
         "re-authenticate, check role", pattern=r"^not authori[sz]ed"),
    _doc(403, "http-403-not-permitted", "Not Permitted",
         "The user's role does not allow this CloudWorks operation.",
         _ADMIN_ROLE, "needs Integration Admin role", catch_all=True,
         source="contract §7.2 live corrections", confidence="observed"),
    _doc(452, "http-452-not-entitled", "Tenant not entitled",
         "Role denial on the schedule and dump endpoints: the user lacks the needed role.",
         _ADMIN_ROLE, "needs Integration Admin role", catch_all=True,
         source="contract §7.1 and §3.1", confidence="observed"),
    _doc(404, "http-404-no-dump", "Your integration run was successful / no errors",
         "The run produced no failure dump, so there are no rejected rows to show.",
         "read the run's errors instead: a dump exists only when failureDumpGenerated is true",
         "no dump", via=("read run errors",), pattern=r"successful / no errors|no errors",
         source="contract §3.1", confidence="observed"),
    _doc(404, "http-404-connection-id", "Invalid connection_id",
         "The connectionId does not exist.",
         "point the job at an existing connection", "valid connection",
         via=("update integration",)),
    _doc(404, "http-404-not-found", "Resource not found",
         "The id does not exist (wrong or deleted). A cancel right after starting a run also "
         "gets this while the run is still queued.",
         "check the id, or find a valid one", "check the id", via=("list",), catch_all=True),
    _doc(409, "http-409-already-running", "Integration is already running",
         "Only one run per integration at a time; deletes and edits are also refused during a "
         "run.", _AGAIN, "wait, or cancel", via=("cancel run",), pattern=r"already running"),
    _doc(409, "http-409-not-running", "is not in running state",
         "cancel_run was called on an integration with no run in progress.",
         "nothing is running, so there is nothing to cancel", "nothing to cancel",
         source="contract §2", confidence="observed"),
    _doc(409, "http-409-referenced", "The resource is being referenced",
         "The resource is used by a flow or an integration, so it cannot be deleted.",
         "something still uses it; change or delete what refers to it first",
         "drop the reference", pattern=r"being referenced"),
    _doc(409, "http-409-single-job", "Only a single job is supported by import/export integration",
         "An import or export integration can have only one job.",
         "keep one job; use a process or a flow for more", "one job",
         via=("update integration",)),
    _doc(409, "http-409-tenant-limit", "Total number of integrations exceeded the limit",
         "The tenant has reached its maximum of integrations and flows (500 by default).",
         "the tenant holds at most 500 integrations and flows: delete unused ones first",
         "delete unused integrations", pattern=r"exceed"),
    _doc(500, "http-500-model-not-found", "Model Not Found Error",
         "The integration's model no longer exists or was moved.",
         "point the integration at a live model", "live model", via=("update integration",)),
    _doc(500, "http-500-running-delete", "A running integration cannot be deleted",
         "A delete was sent while the integration was running (live tenants answer 409).",
         _AGAIN, "wait, or cancel", via=("cancel run",)),
    _doc(500, "http-500-s3-count", "Unable to retrieve S3 files, count too high",
         "The bucket holds too many files for CloudWorks to list.",
         "use a bucket or prefix with fewer files", "fewer files in bucket"),
    _doc((500, 400), "http-500-duplicate-name", "Duplicate resource name not allowed",
         "A resource with that name already exists (a second notification for an integration "
         "too).", "choose a unique name, or update the existing resource", "use a unique name"),
    _doc(500, "http-500-internal", "Internal server error", "A server-side fault in CloudWorks.",
         _SUPPORT, "retry, then Anaplan support", via=("run again",)),
    _doc(500, "http-500-anaplan-connection", "Anaplan Connection Error",
         "CloudWorks could not reach the Anaplan platform.",
         _SUPPORT, "retry, then Anaplan support", via=("run again",)),
    _doc(503, "http-503-workspace-model", "Invalid workspace or model",
         "The workspace or model id of the integration is invalid.",
         "check the integration's workspace and model ids", "ids", via=("update integration",)),
    _doc(503, "http-503-trigger", "Integration trigger error",
         "CloudWorks could not start the run.", _SUPPORT, "retry, then Anaplan support",
         via=("run again",)),
    _doc(429, "http-429-rate-limit", "Too many requests", "The API rate limit was hit.",
         "too many requests: wait and retry with backoff", "back off and retry", pattern=r".",
         catch_all=True, source=HELP_TROUBLE),
    # Catch-alls by status, for messages no row documents.
    Advice("bad-request", "correct the request as the message says, then retry", (400,),
           catch_all=True),
    Advice("conflict", "check the resource's state, then retry", (409,), catch_all=True),
    Advice("server-error", "CloudWorks failed: retry later, and contact Anaplan support if it "
           "persists", tuple(range(500, 600)), catch_all=True),
    Advice("api-status", "check the request against the message, then retry", catch_all=True),
)
# fmt: on


def advice_for(error: str, status: int, message: str, path: str) -> Advice:
    """The row for an error of class `error` (its name): its class's own row, else the first
    row for its message or path, else its status's catch-all (every status has one)."""
    return (
        next((row for row in ADVICE if row.error == error), None)
        or next((row for row in ADVICE if row.matches(status, message, path)), None)
        or next((row for row in ADVICE if row.catch_all and status in row.statuses), None)
        or next(row for row in ADVICE if row.catch_all and not row.statuses)
    )


# Which resource a failing path acts on, so "list" can mean the listing that gives valid ids
# (the longest, most specific fragment first).
_SUBJECTS: tuple[tuple[str, Subject], ...] = (
    ("/integrationflows", "flow"),
    ("/connections", "connection"),
    ("/notification", "notification"),
    ("/runerror/", "run"),
    ("/run/", "run"),
    ("/workspaces", "model object"),
    ("/models", "model object"),
)


def subject(path: str) -> Subject:
    """The kind of resource a request path names."""
    return next((kind for fragment, kind in _SUBJECTS if fragment in path), "integration")
