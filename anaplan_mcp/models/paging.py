"""Listing metadata: meta.paging plus the tenant integration quota (contract sheet §5)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from anaplan_mcp.models._base import WireModel


class PagingMeta(WireModel):
    """Page position and size; validates either the whole meta object or meta.paging."""

    current_page_size: int | None = Field(None, description="Items on this page.")
    total_size: int | None = Field(None, description="Items in the whole listing.")
    offset: int | None = Field(None, description="Index of this page's first item.")
    tenant_current_count: int | None = Field(None, description="Integrations and flows in use.")
    tenant_max_allowed: int | None = Field(None, description="Tenant limit (500).")

    @model_validator(mode="before")
    @classmethod
    def _lift_paging(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("paging"), dict):
            return {**data, **data["paging"]}
        return data

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None when this page is the last."""
        if self.offset is None or self.current_page_size is None or self.total_size is None:
            return None
        following = self.offset + self.current_page_size
        return following if self.current_page_size > 0 and following < self.total_size else None
