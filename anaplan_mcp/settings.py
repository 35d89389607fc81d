"""One `Settings` object: environment variables, overridden by command-line flags.

Built in `cli.main()`, never at import time. Secrets are `SecretStr` so a settings object can be logged or
shown in an error without leaking them.
"""

from __future__ import annotations

import difflib
import math
import re
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anaplan_mcp.cloudworks.regions import REGIONS, oauth_url_for, url_problem

TOOLSETS = ("connections", "integrations", "runs", "schedules", "flows", "notifications")
# The toolset of the tools every other one needs (who the user is, what day it is): listed
# whatever ANAPLAN_MCP_TOOLSETS says, so it is not one of its choices.
ALWAYS = "always"

AuthMode = Literal["sandbox", "per_person", "passthrough", "oauth", "certificate", "basic", "token"]
# A wait for a run ends before a host gives up on the call: 60 s is the request timeout of the
# MCP Inspector and of the official TypeScript client. A tool call may still ask for up to an hour.
DEFAULT_WAIT_SECONDS = 45.0
MAX_WAIT_SECONDS = 3600.0
MAX_TIMEOUT = 3600.0
MAX_RETRIES = 10
# What each URL override looks like, shown when one cannot be used.
URL_EXAMPLES = {
    "cloudworks_url": "https://api.cloudworks.anaplan.com/2/0",
    "auth_url": "https://auth.anaplan.com",
    "api_url": "https://api.anaplan.com/2/0",
    "oauth_url": "https://us1a.app.anaplan.com",
}
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8976/callback"
# RFC 8252 §7.3: a native app receives the code on the loopback interface, over plain http.
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# `A=B=value` in a shell sets A to the text `B=value`: name that mistake rather than call it a bad URL.
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=")
_SWITCH = {"1": True, "true": True, "0": False, "false": False}


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _env(*names: str) -> Any:
    return AliasChoices(*names)


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _shown(value: object) -> str:
    """A wrong value of a setting that is never secret (a switch, a number), cut short."""
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _switch(value: object) -> object:
    """1/true or 0/false (any case); our own message for anything else."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | str) and str(value).strip().lower() in _SWITCH:
        return _SWITCH[str(value).strip().lower()]
    raise ValueError(f"{_shown(value)} is not a switch value; use 1 or true (on), 0 or false (off)")


def _number(value: object, *, whole: bool, low: float, high: float, open_low: bool) -> float:
    """A number in range, read from text or given as a number; our own message otherwise."""
    kind = "a whole number" if whole else "a number of seconds"
    bounds = (
        f"{'above' if open_low else 'from'} {low:g} {'and at most' if open_low else 'to'} {high:g}"
    )
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{_shown(value)} is not a number; use {kind} {bounds}") from None
    if whole and math.isfinite(number) and not number.is_integer():
        raise ValueError(f"{_shown(value)} is not a whole number; use {kind} {bounds}")
    too_low = number <= low if open_low else number < low
    if math.isnan(number) or too_low or number > high:
        raise ValueError(f"{_shown(value)} is out of range; use {kind} {bounds}")
    return number


class Settings(BaseSettings):
    """Everything the server needs to know, from `ANAPLAN_*` variables and flags (flags win)."""

    # An empty variable (`ANAPLAN_REGION=`) counts as unset, as a shell user expects.
    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True, env_ignore_empty=True
    )

    username: str | None = Field(None, validation_alias=_env("ANAPLAN_USERNAME", "username"))
    password: SecretStr | None = Field(None, validation_alias=_env("ANAPLAN_PASSWORD", "password"))
    certificate: SecretStr | None = Field(
        None, validation_alias=_env("ANAPLAN_CERTIFICATE", "certificate")
    )
    private_key: SecretStr | None = Field(
        None, validation_alias=_env("ANAPLAN_PRIVATE_KEY", "private_key")
    )
    private_key_password: SecretStr | None = Field(
        None, validation_alias=_env("ANAPLAN_PRIVATE_KEY_PASSWORD", "private_key_password")
    )
    token: SecretStr | None = Field(None, validation_alias=_env("ANAPLAN_TOKEN", "token"))
    region: str = Field("us1", validation_alias=_env("ANAPLAN_REGION", "region"))
    cloudworks_url: str | None = Field(
        None, validation_alias=_env("ANAPLAN_CLOUDWORKS_URL", "cloudworks_url")
    )
    auth_url: str | None = Field(None, validation_alias=_env("ANAPLAN_AUTH_URL", "auth_url"))
    api_url: str | None = Field(None, validation_alias=_env("ANAPLAN_API_URL", "api_url"))
    timeout: float = Field(
        30.0,
        validation_alias=_env("ANAPLAN_TIMEOUT", "timeout"),
        description="HTTP timeout in seconds (above 0, at most 3600)",
    )
    max_retries: int = Field(3, validation_alias=_env("ANAPLAN_MAX_RETRIES", "max_retries"))
    sandbox: bool = Field(False, validation_alias=_env("ANAPLAN_MCP_SANDBOX", "sandbox"))
    read_only: bool = Field(False, validation_alias=_env("ANAPLAN_MCP_READ_ONLY", "read_only"))
    toolsets: Annotated[tuple[str, ...], NoDecode] = Field(
        TOOLSETS, validation_alias=_env("ANAPLAN_MCP_TOOLSETS", "toolsets")
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=_env("ANAPLAN_MCP_ALLOWED_HOSTS", "allowed_hosts")
    )
    token_passthrough: bool = Field(
        False, validation_alias=_env("ANAPLAN_MCP_TOKEN_PASSTHROUGH", "token_passthrough")
    )
    state_key: SecretStr | None = Field(
        None, validation_alias=_env("ANAPLAN_MCP_STATE_KEY", "state_key")
    )
    oauth_client_id: str | None = Field(
        None,
        validation_alias=_env("ANAPLAN_OAUTH_CLIENT_ID", "oauth_client_id"),
        description="OAuth 2.0 sign-in (`anaplan-mcp login`): the OAuth client registered in "
        "Anaplan Administration",
    )
    oauth_client_secret: SecretStr | None = Field(
        None,
        validation_alias=_env("ANAPLAN_OAUTH_CLIENT_SECRET", "oauth_client_secret"),
        description="that client's secret (authorization-code clients only); may be "
        "`env:ANAPLAN_SECRET_<NAME>`",
    )
    oauth_url: str = Field(
        "",
        validation_alias=_env("ANAPLAN_OAUTH_URL", "oauth_url"),
        description="the OAuth host (default from the region, e.g. https://us1a.app.anaplan.com)",
    )
    oauth_redirect_uri: str = Field(
        DEFAULT_REDIRECT_URI,
        validation_alias=_env("ANAPLAN_OAUTH_REDIRECT_URI", "oauth_redirect_uri"),
        description="where `anaplan-mcp login` receives the code: an http loopback URL with a "
        "port, registered for the OAuth client",
    )
    token_store: str | None = Field(
        None,
        validation_alias=_env("ANAPLAN_MCP_TOKEN_STORE", "token_store"),
        description="file that keeps the OAuth sign-in (mode 0600); when unset, the OS keyring "
        "if usable, else ~/.config/anaplan-mcp/sign-in.json",
    )
    wait_seconds: float = Field(
        DEFAULT_WAIT_SECONDS,
        validation_alias=_env("ANAPLAN_MCP_WAIT_SECONDS", "wait_seconds"),
        description="how long `wait=true` follows a run by default, in seconds (1-3600); keep it "
        "under the host's request timeout (60 s in many hosts)",
    )

    # `serve --transport http --oauth`: the server signs each person in to Anaplan itself and is
    # the authorization server MCP clients see. Kept apart from the ANAPLAN_OAUTH_* client block.
    oauth: bool = Field(False, validation_alias=_env("ANAPLAN_MCP_OAUTH", "oauth"))
    public_url: str | None = Field(
        None,
        validation_alias=_env("ANAPLAN_MCP_PUBLIC_URL", "public_url"),
        description="the URL clients reach the server at, e.g. https://mcp.example.com (--oauth)",
    )
    redis_url: SecretStr | None = Field(
        None,
        validation_alias=_env("ANAPLAN_MCP_REDIS_URL", "redis_url"),
        description="Redis shared by the replicas, e.g. redis://127.0.0.1:6379/0 (--oauth); "
        "without it sign-ins are kept in memory and the server must run as one replica",
    )

    # Every check below runs before pydantic's own parsing, so a person reads our words, not its.
    _split_lists = field_validator("toolsets", "allowed_hosts", mode="before")(_split_commas)
    _switches = field_validator(
        "sandbox", "read_only", "token_passthrough", "oauth", mode="before"
    )(_switch)

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout(cls, value: object) -> float:
        return _number(value, whole=False, low=0, high=MAX_TIMEOUT, open_low=True)

    @field_validator("max_retries", mode="before")
    @classmethod
    def _retries(cls, value: object) -> int:
        return int(_number(value, whole=True, low=0, high=MAX_RETRIES, open_low=False))

    @field_validator("wait_seconds", mode="before")
    @classmethod
    def _wait(cls, value: object) -> float:
        return _number(value, whole=False, low=1, high=MAX_WAIT_SECONDS, open_low=False)

    @field_validator("cloudworks_url", "auth_url", "api_url", "oauth_url", mode="before")
    @classmethod
    def _usable_url(cls, value: object, info: Any) -> object:
        if not isinstance(value, str) or value == "":  # "": the OAuth URL's region default
            return value
        example = URL_EXAMPLES[info.field_name]
        assignment = _ASSIGNMENT.match(value)
        if assignment and "://" not in value[: assignment.end()]:
            raise ValueError(
                f"holds another assignment ({assignment.group(1)}=...); set each variable on "
                f"its own, e.g. {_variable(info.field_name)}={example}"
            )
        problem = url_problem(value)
        if (
            problem is None
            and example.endswith("/2/0")
            and not value.strip().rstrip("/").endswith("/2/0")
        ):
            problem = "does not end in the API version /2/0"
        if problem is not None:
            # The URL itself is not repeated: it may carry a user name or password.
            raise ValueError(f"{problem.removeprefix('is ')}; give a base URL such as {example}")
        return value.strip().rstrip("/") if info.field_name == "oauth_url" else value.strip()

    @field_validator("oauth_redirect_uri", mode="before")
    @classmethod
    def _loopback(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            parts = urlsplit(value.strip())
            port = parts.port
        except ValueError:
            port, parts = None, urlsplit("")
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or port is None:
            raise ValueError(
                "must be an http loopback URL with a port, registered for the OAuth client, "
                f"e.g. {DEFAULT_REDIRECT_URI}"
            )
        return value.strip()

    @field_validator("oauth_client_secret", mode="before")
    @classmethod
    def _secret_reference(cls, value: object) -> object:
        if isinstance(value, str) and value.startswith("env:"):
            from anaplan_mcp.server.errors import InputError
            from anaplan_mcp.server.secrets import resolve_secret

            try:  # the rule of every other secret: env: names an ANAPLAN_SECRET_* variable only
                return resolve_secret("", SecretStr(value)).get_secret_value()
            except InputError as exc:
                raise ValueError(str(exc).removeprefix(": ")) from None
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        problem = public_url_problem(value.strip())
        if problem:
            raise ValueError(f"{problem}; give the URL clients reach, e.g. https://mcp.example.com")
        return value.strip().rstrip("/")

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith(
            ("redis://", "rediss://", "unix://")
        ):
            # Not repeated: a Redis URL may carry its password.
            raise ValueError("is not a Redis URL; give redis://host:6379/0 (rediss:// for TLS)")
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _known_region(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in REGIONS:
                hint = _did_you_mean(str(value), REGIONS)
                raise ValueError(f"unknown region{hint}; use one of: {', '.join(REGIONS)}")
        return value

    @field_validator("toolsets")
    @classmethod
    def _known_toolsets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in TOOLSETS:
                hint = _did_you_mean(name, TOOLSETS)
                raise ValueError(
                    f"unknown toolset {name!r}{hint}; use a comma list of: {', '.join(TOOLSETS)}"
                )
        if not value:
            raise ValueError(f"empty; use a comma list of: {', '.join(TOOLSETS)}")
        return value

    @field_validator("state_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # The SDK seals request state with AES-256-GCM and refuses shorter keys with a traceback.
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "must be at least 32 characters; generate one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @model_validator(mode="after")
    def _complete_pairs(self) -> Settings:
        if bool(self.username) != bool(self.password):
            raise ValueError(
                "basic authentication needs both ANAPLAN_USERNAME and ANAPLAN_PASSWORD"
            )
        if bool(self.certificate) != bool(self.private_key):
            raise ValueError(
                "certificate authentication needs both ANAPLAN_CERTIFICATE and ANAPLAN_PRIVATE_KEY"
            )
        if not self.oauth_url:
            self.oauth_url = oauth_url_for(self.region)
        return self

    @cached_property  # a stored OAuth sign-in is looked up in the keyring or a file: once
    def auth_mode(self) -> AuthMode | None:
        """How the server reaches Anaplan: the sandbox, each person's own sign-in (serve --oauth),
        passthrough, a stored OAuth sign-in of the configured client, certificate, basic, then a
        bare token (the first that applies)."""
        if self.sandbox:
            return "sandbox"
        if self.oauth:
            return "per_person"  # the server's client id is for its people, not a desktop sign-in
        if self.token_passthrough:
            return "passthrough"
        if self.oauth_client_id and _signed_in(self):
            return "oauth"
        if self.certificate:
            return "certificate"
        if self.username:
            return "basic"
        if self.token:
            return "token"
        return None

    @property
    def has_credentials(self) -> bool:
        return bool(self.username or self.certificate or self.token or self.oauth_client_id)


def _signed_in(settings: Settings) -> bool:
    # The store module imports keyring: only when an OAuth client is configured.
    from anaplan_mcp.oauth.configured import stored_sign_in_exists

    return stored_sign_in_exists(settings)


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot be the server's public URL (OAuth issuer and audience), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL"
    if parts.query or parts.fragment:
        return "has a query or fragment"
    if parts.path not in ("", "/"):
        return "has a path (the server answers at the root: /mcp, /authorize, ...)"
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        return "is http on a non-loopback host (OAuth needs https there)"
    return None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with non-None `overrides` (the flags) on top.

    Raises `SettingsError` with one line naming the variable and the fix.
    """
    from pydantic import ValidationError

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: Any) -> str:
    """One line: the first wrong setting in full, then the names of any others."""
    parts = []
    for error in exc.errors(include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = _variable(field)
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error":
            # Only a type pydantic parses itself gets here (a flag of the wrong Python type):
            # its words may quote the value, so they are not shown.
            message = "has a value of the wrong kind"
        parts.append((name, f"{name}: {message}" if name else message))
    first = parts[0][1]
    others = [name for name, _ in parts[1:] if name]
    return f"{first} (also wrong: {', '.join(others)})" if others else first


def _variable(field: str) -> str:
    """The `ANAPLAN_*` variable of a setting (its first alias), as a person sets it."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return str(alias.choices[0]) if isinstance(alias, AliasChoices) else field
