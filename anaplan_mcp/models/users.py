"""The signed-in user, as the Anaplan Integration API v2 describes them (contract sheet §13)."""

from __future__ import annotations

from pydantic import Field

from anaplan_mcp.models._base import WireModel


class User(WireModel):
    """`GET /2/0/users/me`: the user whose token the call carries."""

    id: str = Field(description="User GUID (32 lowercase hex), as notifications take it.")
    active: bool | None = Field(None, description="False if the user is deactivated.")
    email: str | None = Field(None, description="Email address (the sign-in name).")
    email_opt_in: bool | None = Field(None, description="Whether Anaplan may email them.")
    first_name: str | None = Field(None, description="First name.")
    last_name: str | None = Field(None, description="Last name.")
    last_login_date: str | None = Field(None, description="Last sign-in, as the API writes it.")

    @property
    def full_name(self) -> str:
        """First and last name, either of which may be missing."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)
