"""Paging meta and the Integration API objects."""

from __future__ import annotations

from anaplan_mcp.models import AnaplanModel, ModelObject, PagingMeta, User, Workspace


def test_paging_from_meta_with_tenant_counts() -> None:
    meta = PagingMeta.model_validate(
        {
            "paging": {"currentPageSize": 25, "totalSize": 60, "offset": 25},
            "schema": "https://example/objects",
            "tenantCurrentCount": 130,
            "tenantMaxAllowed": 500,
        }
    )
    assert meta.model_dump() == {
        "current_page_size": 25,
        "total_size": 60,
        "offset": 25,
        "tenant_current_count": 130,
        "tenant_max_allowed": 500,
    }
    assert meta.next_offset == 50


def test_last_page_has_no_next_offset() -> None:
    assert (
        PagingMeta.model_validate(
            {"currentPageSize": 10, "totalSize": 60, "offset": 50}
        ).next_offset
        is None
    )
    assert PagingMeta.model_validate({}).next_offset is None


def test_integration_api_objects_tolerate_extra_fields() -> None:
    assert (
        Workspace.model_validate(
            {"id": "w", "name": "W", "sizeAllowance": 10, "x": 1}
        ).size_allowance
        == 10
    )
    model = AnaplanModel.model_validate({"id": "M", "name": "Sales", "currentWorkspaceId": "w"})
    assert model.current_workspace_id == "w"
    action = ModelObject.model_validate(
        {
            "id": "112000000011",
            "name": "Load",
            "importDataSourceId": "113000000011",
            "importType": "MODULE_DATA",
        }
    )
    assert action.model_dump()["import_data_source_id"] == "113000000011"


def test_the_signed_in_user_reads_the_wire_and_tolerates_gaps() -> None:
    wire = {
        "id": "8a81b09d5e8c6f27015ea5ae8fcd0000",
        "active": True,
        "email": "jane.roe@example.com",
        "emailOptIn": False,
        "firstName": "Jane",
        "lastName": "Roe",
        "lastLoginDate": "2026-11-23T07:59:00.000+0000",
        "customerId": "ignored",
    }
    user = User.model_validate(wire)
    assert (user.id, user.email, user.email_opt_in, user.full_name) == (
        "8a81b09d5e8c6f27015ea5ae8fcd0000",
        "jane.roe@example.com",
        False,
        "Jane Roe",
    )
    assert user.last_login_date == "2026-11-23T07:59:00.000+0000"
    assert User.model_validate({"id": "x", "lastName": "Roe"}).full_name == "Roe"
