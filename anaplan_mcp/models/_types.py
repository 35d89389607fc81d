"""Annotated field types shared by the CloudWorks models: ids, texts, times, zones, dates, secrets."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from functools import cache
from re import Pattern
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
    StringConstraints,
)

from anaplan_mcp import limits

# Id formats, contract sheet §1.3.
HEX_ID_PATTERN: Final = r"^[0-9a-f]{32}$"
MODEL_ID_PATTERN: Final = r"^[0-9A-F]{32}$"
NUMERIC_ID_PATTERN: Final = r"^[0-9]+$"

REVEAL_SECRETS: Final = "reveal_secrets"

_CLOCK_TIME = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _int_to_str(value: Any) -> Any:
    # Anaplan object ids are numeric strings on the wire; callers often hold them as ints.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


HexId = Annotated[str, StringConstraints(pattern=HEX_ID_PATTERN)]
ModelId = Annotated[str, StringConstraints(pattern=MODEL_ID_PATTERN)]
NumericId = Annotated[
    str, BeforeValidator(_int_to_str), StringConstraints(pattern=NUMERIC_ID_PATTERN)
]


# Caps are validators, not schema constraints: they cost the tool list no tokens, and the message
# names the limit without repeating the (possibly huge) value.
def at_most(limit: int) -> AfterValidator:
    """A check that a text (or a secret's text; None passes) has at most `limit` characters."""

    def check(value: Any) -> Any:
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is not None and len(text) > limit:
            raise ValueError(f"expected at most {limit} characters")
        return value

    return AfterValidator(check)


def matching(pattern: Pattern[str], rule: str, limit: int = limits.TEXT_MAX) -> AfterValidator:
    """A check of a text against a service's naming rule, said in `rule`."""

    def check(value: str) -> str:
        if len(value) > limit or not pattern.match(value):
            raise ValueError(rule)
        return value

    return AfterValidator(check)


_Stripped = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
NonEmptyStr = Annotated[_Stripped, at_most(limits.TEXT_MAX)]
Name = Annotated[_Stripped, at_most(limits.NAME_MAX)]
FilePath = Annotated[_Stripped, at_most(limits.PATH_MAX)]
AccessKeyId = Annotated[_Stripped, at_most(limits.ACCESS_KEY_MAX)]
RoleArn = Annotated[_Stripped, at_most(limits.ROLE_ARN_MAX)]
ColumnName = Annotated[_Stripped, at_most(limits.COLUMN_MAX)]
BucketName = Annotated[_Stripped, matching(limits.S3_BUCKET, limits.S3_BUCKET_RULE)]
StorageAccountName = Annotated[_Stripped, matching(limits.AZURE_ACCOUNT, limits.AZURE_ACCOUNT_RULE)]
ContainerName = Annotated[_Stripped, matching(limits.AZURE_CONTAINER, limits.AZURE_CONTAINER_RULE)]
DatasetName = Annotated[_Stripped, matching(limits.BQ_DATASET, limits.BQ_DATASET_RULE)]
TableName = Annotated[_Stripped, matching(limits.BQ_TABLE, limits.BQ_TABLE_RULE)]


def _check_clock_time(value: str) -> str:
    if not _CLOCK_TIME.match(value):
        raise ValueError("expected HH:MM (24-hour)")
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock_time)]


@cache
def known_time_zones() -> frozenset[str]:
    """Every IANA zone name this host knows (system database or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


def _check_time_zone(value: str) -> str:
    if value not in known_time_zones():
        raise ValueError("not a known IANA time zone (e.g. Europe/Paris, UTC)")
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]


def _date_only(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise ValueError("expected a date YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_date_only)]


def _reveal_on_request(value: SecretStr, info: SerializationInfo) -> str:
    context = info.context
    if isinstance(context, dict) and context.get(REVEAL_SECRETS) is True:
        return value.get_secret_value()
    return str(value)


Secret = Annotated[
    SecretStr,
    StringConstraints(min_length=1),
    at_most(limits.SECRET_MAX),
    PlainSerializer(_reveal_on_request, return_type=str, when_used="always"),
]


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# Accepts ISO strings (with "T" or the flow-step space, contract §1.3) and epoch seconds.
WireDatetime = Annotated[datetime, AfterValidator(_assume_utc)]
OptionalWireDatetime = Annotated[WireDatetime | None, BeforeValidator(_blank_to_none)]
