"""Length and naming limits of the wire's text fields, answered the way CloudWorks answers (§7.2).

The limits themselves live in `anaplan_mcp.limits`, shared with the client's models; here each wire
field is paired with its limit and the 400 message CloudWorks gives for it: its own words where the
error catalogue has them ("Bucket name is invalid", "Invalid Dataset", "Role arn is invalid"), else
the field's name. Fields not listed get the plain text cap.
"""

from __future__ import annotations

import re

from anaplan_mcp import limits
from anaplan_mcp.sandbox.responses import bad_request

# wire field -> (most characters, naming rule or None, message when broken or None for the name)
_RULES: dict[str, tuple[int, re.Pattern[str] | None, str | None]] = {
    "name": (limits.NAME_MAX, None, None),
    "file": (limits.PATH_MAX, None, None),
    "table": (limits.TEXT_MAX, limits.BQ_TABLE, None),
    "bucketName": (limits.TEXT_MAX, limits.S3_BUCKET, "Bucket name is invalid"),
    "roleArn": (limits.ROLE_ARN_MAX, None, "Role arn is invalid"),
    "accessKeyId": (limits.ACCESS_KEY_MAX, None, None),
    "secretAccessKey": (limits.SECRET_MAX, None, None),
    "storageAccountName": (limits.TEXT_MAX, limits.AZURE_ACCOUNT, None),
    "containerName": (limits.TEXT_MAX, limits.AZURE_CONTAINER, None),
    "sasToken": (limits.SECRET_MAX, None, None),
    "dataset": (limits.TEXT_MAX, limits.BQ_DATASET, "Invalid Dataset"),
    "privateKey": (limits.SECRET_MAX, None, None),
    "sourceName": (limits.NAME_MAX, None, None),
    "targetName": (limits.COLUMN_MAX, None, None),
}


def check_text(key: str, value: str) -> str:
    """`value` when it keeps `key`'s limit and naming rule, else 400 naming the field."""
    limit, pattern, message = _RULES.get(key, (limits.TEXT_MAX, None, None))
    if len(value) > limit or (pattern is not None and not pattern.match(value)):
        raise bad_request(message or key)
    return value
