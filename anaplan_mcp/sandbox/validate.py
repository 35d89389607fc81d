"""Wire-level checks of request bodies, answered the way CloudWorks answers (contract §7.2).

Each check returns a normalised copy of the body or raises `ApiError`; nothing here touches the
store, so a rejected request never leaves a half-applied change behind.
"""

from __future__ import annotations

from typing import Any

from anaplan_mcp.sandbox.responses import ApiError, bad_request
from anaplan_mcp.sandbox.store import Record, Store
from anaplan_mcp.sandbox.validate_limits import check_text

INVALID_BODY = "Invalid request body"
NOT_COMPLIANT = "Integration payload is not compliant with the schema"

# Non-secret body fields returned in listings, and credential fields that are stored, never
# returned (contract §12, DESIGN §3 "Secrets stay server-side").
CONNECTION_TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "AmazonS3": {
        "public": ("name", "bucketName"),
        "secret": ("accessKeyId", "secretAccessKey"),
        "optional_secret": ("roleArn",),
    },
    "AzureBlob": {
        "public": ("name", "storageAccountName", "containerName"),
        "secret": ("sasToken",),
        "optional_secret": (),
    },
    "GoogleBigQuery": {
        "public": ("name", "dataset"),
        "secret": ("serviceAccountKey",),
        "optional_secret": (),
    },
}
SERVICE_ACCOUNT_KEYS = (
    "type",
    "projectId",
    "privateKeyId",
    "privateKey",
    "clientEmail",
    "clientId",
    "authUri",
    "tokenUri",
    "authProviderX509CertUrl",
    "clientX509CertUrl",
)
AZURE_AUTH_METHOD = "SAS-based"
# The documented snake_case, and the camelCase a live-used client sends (contract §13).
AUTH_METHOD_SPELLINGS = ("auth_method", "authMethod")

# job type -> (source type, target type)
JOB_TYPES: dict[str, tuple[str, str]] = {
    "AmazonS3ToAnaplan": ("AmazonS3", "Anaplan"),
    "AzureBlobToAnaplan": ("AzureBlob", "Anaplan"),
    "GoogleBigQueryToAnaplan": ("GoogleBigQuery", "Anaplan"),
    "AnaplanToAmazonS3": ("Anaplan", "AmazonS3"),
    "AnaplanToAzureBlob": ("Anaplan", "AzureBlob"),
    "AnaplanToGoogleBigQuery": ("Anaplan", "GoogleBigQuery"),
}


def as_object(value: Any) -> dict[str, Any]:
    """The body as a JSON object, or 400 "Invalid request body"."""
    if not isinstance(value, dict):
        raise bad_request(INVALID_BODY)
    return value


def text(obj: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """A non-empty string field within its limits; a missing, mistyped or over-long one answers 400
    with the field's name (or CloudWorks' words for it)."""
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise bad_request(key)
    return check_text(key, value)


def flag(obj: dict[str, Any], key: str, default: bool) -> bool:
    """An optional boolean field."""
    value = obj.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(key)
    return value


def integer(obj: dict[str, Any], key: str, low: int, high: int) -> int:
    """A required integer in [low, high] (booleans are not integers on the wire)."""
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_request(key)
    return value


def connection_create(body: Any) -> tuple[str, dict[str, Any]]:
    """`{"type", "body"}` of POST /integrations/connections -> (type, checked body)."""
    obj = as_object(body)
    kind = obj.get("type")
    if kind is None:
        raise bad_request("type")
    if kind not in CONNECTION_TYPES:
        raise bad_request("Invalid connection type")
    return kind, connection_body(kind, obj.get("body"), partial=False)


def connection_body(kind: str, body: Any, *, partial: bool) -> dict[str, Any]:
    """The type's fields; PATCH (`partial`) needs at least one of them (reference "Patch")."""
    if not isinstance(body, dict):
        raise bad_request("body" if not partial else INVALID_BODY)
    spec = CONNECTION_TYPES[kind]
    known = {*spec["public"], *spec["secret"], *spec["optional_secret"], "workspaceId"}
    if kind == "AzureBlob":
        known.update(AUTH_METHOD_SPELLINGS)
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad_request(unknown[0])
    if partial and not body:
        raise bad_request(INVALID_BODY)
    checked: dict[str, Any] = {}
    for key in (*spec["public"], *spec["secret"]):
        if key == "serviceAccountKey":
            if key in body or not partial:
                checked[key] = _service_account_key(body.get(key))
        elif key in body or not partial:
            checked[key] = text(body, key)
    for key in (*spec["optional_secret"], "workspaceId"):
        if body.get(key) is not None:
            checked[key] = text(body, key)
    if kind == "AzureBlob":
        _check_auth_method(body, partial=partial)
    return checked


def _check_auth_method(body: dict[str, Any], *, partial: bool) -> None:
    """Live: Azure bodies must say "SAS-based" (§7.2), in either spelling (§13); PATCH may omit it."""
    given = [key for key in AUTH_METHOD_SPELLINGS if key in body]
    if not given and not partial:
        raise bad_request("auth_method")
    wrong = [key for key in given if body[key] != AZURE_AUTH_METHOD]
    if wrong:
        raise bad_request(wrong[0])


def _service_account_key(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad_request("serviceAccountKey")
    for key in SERVICE_ACCOUNT_KEYS:
        text(value, key)
    return {key: value[key] for key in SERVICE_ACCOUNT_KEYS}


def integration_body(body: Any, store: Store) -> dict[str, Any]:
    """POST/PUT /integrations bodies (import, export, process) -> the stored definition."""
    obj = as_object(body)
    name = text(obj, "name")
    version = obj.get("version", "2.0")
    if version != "2.0":
        raise bad_request("This API version is not supported for this request")
    workspace_id = text(obj, "workspaceId")
    model_id = text(obj, "modelId")
    assert workspace_id is not None
    assert model_id is not None
    if workspace_id not in store.workspaces:
        raise bad_request("User does not have access to workspace")
    model = store.models.get(model_id)
    if model is None or model["workspaceId"] != workspace_id:
        raise bad_request("User does not have access to model")
    process_id = text(obj, "processId", required=False)
    if process_id is not None and process_id not in model["processes"]:
        raise _undefined_actions([process_id])
    raw_jobs = obj.get("jobs")
    if raw_jobs is None and process_id is not None:
        jobs = None
    else:
        if not isinstance(raw_jobs, list) or (process_id is None and not raw_jobs):
            raise bad_request("jobs")
        if process_id is None and len(raw_jobs) > 1:
            raise ApiError(409, "Only a single job is supported by import/export integration")
        jobs = [_job(job, model, process_id, store) for job in raw_jobs]
    if process_id is not None:
        kind = "Process"
    else:
        assert jobs is not None
        kind = "Export" if jobs[0]["sources"][0]["type"] == "Anaplan" else "Import"
    return {
        "name": name,
        "version": "2.0",
        "workspaceId": workspace_id,
        "modelId": model_id,
        "processId": process_id,
        "nuxVisible": flag(obj, "nuxVisible", False),
        "jobs": jobs,
        "integrationType": kind,
    }


def _job(raw: Any, model: Record, process_id: str | None, store: Store) -> dict[str, Any]:
    job = as_object(raw)
    job_type = job.get("type")
    if job_type not in JOB_TYPES:
        raise bad_request(NOT_COMPLIANT)
    source_type, target_type = JOB_TYPES[job_type]
    sources, targets = job.get("sources"), job.get("targets")
    if not isinstance(sources, list) or len(sources) != 1:
        raise bad_request("sources")
    if not isinstance(targets, list) or len(targets) != 1:
        raise bad_request("targets")
    is_import = source_type != "Anaplan"
    source = _end(sources[0], source_type, store, is_target=False, needs_file_id=False)
    target = _end(targets[0], target_type, store, is_target=True, needs_file_id=is_import)
    anaplan_end = target if is_import else source
    action_id = anaplan_end["actionId"]
    allowed = model["imports"] if is_import else model["exports"]
    if process_id is not None:
        allowed = {a: allowed[a] for a in model["processes"][process_id]["actions"] if a in allowed}
    if action_id not in allowed:
        raise _undefined_actions([action_id])
    checked: dict[str, Any] = {"type": job_type, "sources": [source], "targets": [target]}
    mapping = job.get("mapping")
    if mapping is not None:
        if not isinstance(mapping, list) or not mapping:
            raise bad_request("mapping")
        checked["mapping"] = [_column_pair(pair) for pair in mapping]
    return checked


def _column_pair(raw: Any) -> dict[str, str]:
    pair = as_object(raw)
    return {key: str(text(pair, key)) for key in ("sourceName", "targetName")}


def _end(
    raw: Any, expected: str, store: Store, *, is_target: bool, needs_file_id: bool
) -> dict[str, Any]:
    end = as_object(raw)
    if end.get("type") != expected:
        raise bad_request(NOT_COMPLIANT)
    if expected == "Anaplan":
        action_id = text(end, "actionId")
        assert action_id is not None
        if not action_id.isdigit():
            raise bad_request("actionId")
        checked: dict[str, Any] = {"type": "Anaplan", "actionId": action_id}
        if needs_file_id:
            checked["fileId"] = text(end, "fileId")
        return checked
    connection_id = text(end, "connectionId")
    assert connection_id is not None
    connection = store.connections.get(connection_id)
    if connection is None:
        raise ApiError(404, "Invalid connection_id")
    if connection["connectionType"] != expected:
        raise bad_request("Invalid connection type")
    checked = {"type": expected, "connectionId": connection_id}
    location = "table" if expected == "GoogleBigQuery" else "file"
    checked[location] = text(end, location)
    if is_target:
        checked["overwrite"] = flag(end, "overwrite", False)
    return checked


def _undefined_actions(action_ids: list[str]) -> ApiError:
    joined = ", ".join(action_ids)
    return bad_request(f"Action(s) you included, {joined} are not defined in your Anaplan model.")
