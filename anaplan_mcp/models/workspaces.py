"""Read-only objects of the Anaplan Integration API v2 used to build integrations (§13)."""

from __future__ import annotations

from pydantic import Field

from anaplan_mcp.models._base import WireModel


class Workspace(WireModel):
    """An Anaplan workspace the user can reach."""

    id: str = Field(description="Workspace id.")
    name: str = Field(description="Workspace name.")
    active: bool | None = Field(None, description="False if the workspace is archived.")
    size_allowance: int | None = Field(None, description="Allowed size in bytes.")
    current_size: int | None = Field(None, description="Used size in bytes.")


class AnaplanModel(WireModel):
    """An Anaplan model."""

    id: str = Field(description="Model id (32 uppercase hex).")
    name: str = Field(description="Model name.")
    active_state: str | None = Field(None, description="e.g. UNLOCKED, ARCHIVED.")
    current_workspace_id: str | None = Field(None, description="Workspace holding the model.")
    current_workspace_name: str | None = Field(None, description="That workspace's name.")


class ModelObject(WireModel):
    """An import, export, process or file of a model."""

    id: str = Field(description="Object id (112 import, 113 file, 116 export, 118 process).")
    name: str = Field(description="Object name.")
    code: str | None = Field(None, description="Object code, if set.")
    import_data_source_id: str | None = Field(None, description="File an import reads.")
    import_type: str | None = Field(None, description="Import kind, e.g. MODULE_DATA.")
    export_type: str | None = Field(None, description="Export kind.")
    export_format: str | None = Field(None, description="Export file format.")
    format: str | None = Field(None, description="File format.")
