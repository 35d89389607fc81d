"""One `Settings` object: environment variables, overridden by command-line flags.

Built in `cli.main()`, never at import time. Secrets are `SecretStr` so a settings object can be logged or
shown in an error without leaking them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from anaplan_mcp.cloudworks.regions import REGIONS

TOOLSETS = ("connections", "integrations", "runs", "schedules", "flows", "notifications")
# The toolset of the tools every other one needs (who the user is, what day it is): listed
# whatever ANAPLAN_MCP_TOOLSETS says, so it is not one of its choices.
ALWAYS = "always"

AuthMode = Literal["sandbox", "passthrough", "certificate", "basic", "token"]
# A wait for a run ends before a host gives up on the call: 60 s is the request timeout of the
# MCP Inspector and of the official TypeScript client. A tool call may still ask for up to an hour.
DEFAULT_WAIT_SECONDS = 45.0
MAX_WAIT_SECONDS = 3600.0


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def _env(*names: str) -> Any:
    return AliasChoices(*names)


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the server needs to know, from `ANAPLAN_*` variables and flags (flags win)."""

    model_config = SettingsConfigDict(
        extra="ignore", populate_by_name=True, hide_input_in_errors=True
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
    timeout: float = Field(30.0, gt=0, validation_alias=_env("ANAPLAN_TIMEOUT", "timeout"))
    max_retries: int = Field(
        3, ge=0, le=10, validation_alias=_env("ANAPLAN_MAX_RETRIES", "max_retries")
    )
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
    wait_seconds: float = Field(
        DEFAULT_WAIT_SECONDS,
        ge=1,
        le=MAX_WAIT_SECONDS,
        validation_alias=_env("ANAPLAN_MCP_WAIT_SECONDS", "wait_seconds"),
        description="how long `wait=true` follows a run by default, in seconds (1-3600); keep it "
        "under the host's request timeout (60 s in many hosts)",
    )

    _split_lists = field_validator("toolsets", "allowed_hosts", mode="before")(_split_commas)

    @field_validator("region", mode="before")
    @classmethod
    def _known_region(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in REGIONS:
                raise ValueError(f"unknown region; use one of: {', '.join(REGIONS)}")
        return value

    @field_validator("toolsets")
    @classmethod
    def _known_toolsets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in TOOLSETS]
        if unknown:
            raise ValueError(f"unknown toolset; use a comma list of: {', '.join(TOOLSETS)}")
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
        return self

    @property
    def auth_mode(self) -> AuthMode | None:
        """How the server reaches Anaplan; the sandbox wins over credentials."""
        if self.sandbox:
            return "sandbox"
        if self.token_passthrough:
            return "passthrough"
        if self.certificate:
            return "certificate"
        if self.username:
            return "basic"
        if self.token:
            return "token"
        return None

    @property
    def has_credentials(self) -> bool:
        return bool(self.username or self.certificate or self.token)


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
    parts = []
    for error in exc.errors(include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = _variable(field)
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if name else message)
    return "; ".join(parts)


def _variable(field: str) -> str:
    """The `ANAPLAN_*` variable of a setting (its first alias), as a person sets it."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return str(alias.choices[0]) if isinstance(alias, AliasChoices) else field
