"""The data side of a run: cloud storage behind connections, and Anaplan actions over CSV rows.

S3 buckets, Azure containers and BigQuery datasets live in `store.storage`, each with the one
credential that opens it and its objects (files or tables, all held as CSV text). A connection is
valid when its credential opens its storage; a storage nobody seeded is created on first use, so
a connection made by a user to a new bucket works and starts empty. A storage can also be gone
(`"missing": True`: its owner deleted the bucket, container or dataset) or refuse an operation
its credential is otherwise good for (`"denied": ["read"]` or `["write"]`: a bucket policy).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from anaplan_mcp.sandbox.store import Record, Store

# executionErrorCode values (contract §7.3: 12 and 38 are live; 35 and 39 are observed with an
# undocumented meaning, and the sandbox uses them for "source missing" and "connection error").
DATA_TYPE_MISMATCH = 12
SOURCE_NOT_FOUND = 35
PARTIAL_SUCCESS = 38
CONNECTION_ERROR = 39

# integrationErrorCode of an invalid connection (contract §7.4)
S3_INVALID_CREDENTIALS = 1
S3_INVALID_BUCKET = 4
OTHER_INVALID_CREDENTIALS = 46


@dataclass
class ActionOutcome:
    """What one Anaplan action did in a run."""

    action_id: str
    action_name: str
    state: str  # "ok" | "partial" | "failed"
    detail: str = ""
    error_type: str = ""
    error_code: int | None = None
    run_message: str = "Success"
    dump: str | None = None


def storage_key(connection: Record) -> str:
    """Where a connection points: bucket, account/container or dataset."""
    body = connection["body"]
    kind = connection["connectionType"]
    if kind == "AmazonS3":
        return f"s3:{body['bucketName']}"
    if kind == "AzureBlob":
        return f"azure:{body['storageAccountName']}/{body['containerName']}"
    return f"bq:{body['dataset']}"


def credential_of(connection: Record) -> str:
    """The credential a connection presents to its storage."""
    secrets = connection["_secrets"]
    kind = connection["connectionType"]
    if kind == "AmazonS3":
        return f"{secrets['accessKeyId']}:{secrets['secretAccessKey']}"
    if kind == "AzureBlob":
        return str(secrets["sasToken"])
    key = secrets["serviceAccountKey"]
    return f"{key['clientEmail']}:{key['privateKeyId']}"


def refresh_connection_status(store: Store, connection: Record) -> None:
    """Recompute `status` (1 valid, 0 invalid) and `integrationErrorCode` from the credential."""
    key = storage_key(connection)
    storage = store.storage.setdefault(
        key, {"credential": credential_of(connection), "objects": {}}
    )
    s3 = key.startswith("s3:")
    if storage.get("missing"):
        code: int | None = S3_INVALID_BUCKET if s3 else OTHER_INVALID_CREDENTIALS
    elif storage["credential"] != credential_of(connection):
        code = S3_INVALID_CREDENTIALS if s3 else OTHER_INVALID_CREDENTIALS
    else:
        code = None
    connection["status"], connection["integrationErrorCode"] = (1 if code is None else 0), code


def _place(connection: Record) -> str:
    """The storage a connection names, as an error line says it."""
    body = connection["body"]
    kind = connection["connectionType"]
    if kind == "AmazonS3":
        return f"bucket '{body['bucketName']}'"
    if kind == "AzureBlob":
        return f"container '{body['containerName']}' of account '{body['storageAccountName']}'"
    return f"dataset '{body['dataset']}'"


def _open_storage(
    store: Store, action: Record, connection_id: str, operation: str, location: str
) -> tuple[Record | None, ActionOutcome | None]:
    """The storage to `operation` ("read" or "write") `location` in, or the action's failure."""
    connection = store.connections.get(connection_id)
    if connection is None:
        return None, _connection_failure(action, f"Connection {connection_id} was deleted")
    refresh_connection_status(store, connection)
    storage = store.storage[storage_key(connection)]
    place = _place(connection)
    if storage.get("missing"):
        return None, _connection_failure(action, f"{place} does not exist", "bucketNotFound")
    if connection["status"] != 1:
        name = connection["body"]["name"]
        return None, _connection_failure(action, f"Credentials are invalid for connection '{name}'")
    if operation in storage.get("denied", ()):
        # The key opens the storage but its policy refuses this operation: the connection stays
        # valid (CloudWorks checks credentials, not permissions per file).
        detail = f"Access denied: cannot {operation} '{location}' in {place}"
        return None, _failed(action, CONNECTION_ERROR, "accessDenied", detail)
    return storage, None


def _connection_failure(
    action: Record, reason: str, error_type: str = "connectionError"
) -> ActionOutcome:
    return ActionOutcome(
        action["id"],
        action["name"],
        "failed",
        detail=f"Anaplan Connection Error: {reason}",
        error_type=error_type,
        error_code=CONNECTION_ERROR,
        run_message="Anaplan Connection Error",
    )


def run_import(store: Store, model: Record, action: Record, source: Record) -> ActionOutcome:
    """Load a source file or table into an import: each row is accepted or rejected."""
    location = source.get("file") or source.get("table") or ""
    storage, failure = _open_storage(store, action, source["connectionId"], "read", location)
    if storage is None:
        assert failure is not None
        return failure
    content = storage["objects"].get(location)
    if content is None:
        return _failed(action, SOURCE_NOT_FOUND, "sourceNotFound", f"'{location}' was not found")
    rows = list(csv.reader(io.StringIO(content)))
    header = rows[0] if rows else []
    missing = [column["name"] for column in action["columns"] if column["name"] not in header]
    if missing:
        # The help centre's wording for a file that does not match the import's layout.
        detail = (
            f"Incorrect file structure: column '{missing[0]}' of {action['name']} is not in "
            f"the header of '{location}'"
        )
        return _failed(action, DATA_TYPE_MISMATCH, "incorrectFileStructure", detail)
    position = {name: index for index, name in enumerate(header)}
    rejected: list[tuple[int, list[str], str]] = []
    for line, row in enumerate(rows[1:], start=2):
        problem = _row_problem(model, action, row, position)
        if problem:
            rejected.append((line, row, problem))
    total = len(rows) - 1
    if not rejected:
        return ActionOutcome(action["id"], action["name"], "ok")
    good = total - len(rejected)
    counts = (
        f"{action['name']}: {good} ({good}/{total}) rows successful, 0 (0/0) rows has warnings, "
        f"{len(rejected)} failed, 0 ignored"
    )
    return ActionOutcome(
        action["id"],
        action["name"],
        "partial",
        detail=counts,
        error_type="hierarchyRowsProcessedWithFailures",
        error_code=PARTIAL_SUCCESS,
        run_message=counts,
        dump=_dump_csv(header, rejected),
    )


def run_export(store: Store, action: Record, target: Record, now: datetime) -> ActionOutcome:
    """Write an export's rows to its target file or table."""
    where = target.get("table") or target.get("file") or ""
    storage, failure = _open_storage(store, action, target["connectionId"], "write", where)
    if storage is None:
        assert failure is not None
        return failure
    header = [column["name"] for column in action["columns"]]
    objects = storage["objects"]
    if "table" in target:
        location = target["table"]
        existing = objects.get(location)
        if existing and not target.get("overwrite"):
            objects[location] = existing.rstrip("\n") + "\n" + _csv_text(action["rows"])
        else:
            objects[location] = _csv_text([header, *action["rows"]])
    else:
        location = target.get("file") or ""
        if location == "" or location.endswith("/"):
            location += re.sub(r"[^A-Za-z0-9_.-]+", "_", action["name"]) + ".csv"
        if location in objects and not target.get("overwrite"):
            stem, dot, suffix = location.rpartition(".")
            stamp = f"{now:%Y%m%d%H%M%S}"
            location = f"{stem}_{stamp}{dot}{suffix}" if dot else f"{location}_{stamp}"
        objects[location] = _csv_text([header, *action["rows"]])
    return ActionOutcome(action["id"], action["name"], "ok")


def _failed(action: Record, code: int, error_type: str, detail: str) -> ActionOutcome:
    return ActionOutcome(
        action["id"],
        action["name"],
        "failed",
        detail=detail,
        error_type=error_type,
        error_code=code,
        run_message="Process failed",
    )


def _row_problem(model: Record, action: Record, row: list[str], position: dict[str, int]) -> str:
    for column in action["columns"]:
        index = position[column["name"]]
        value = row[index].strip() if index < len(row) else ""
        kind = column["type"]
        if kind == "number" and value and not _is_number(value):
            return f"Invalid number: {value}"
        if kind == "date" and value and not _is_date(value):
            return f"Invalid date: {value}"
        if kind == "list" and value not in model["lists"][column["list"]]:
            return f"Item not located in {column['list']} list: {value}"
    return ""


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _dump_csv(header: list[str], rejected: list[tuple[int, list[str], str]]) -> str:
    """Source columns, then `_Line_` and `_Error_1_`, every field quoted (contract §3.1)."""
    lines = [[*header, "_Line_", "_Error_1_"]]
    for line, row, problem in rejected:
        cells = [*row, *[""] * (len(header) - len(row))][: len(header)]
        lines.append([*cells, str(line), problem])
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(lines)
    return buffer.getvalue()


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[str(cell) for cell in r] for r in rows])
    return buffer.getvalue()
