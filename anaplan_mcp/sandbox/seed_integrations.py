"""The seeded integrations, their schedules, notification configs and flows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox import validate
from anaplan_mcp.sandbox.routes_flows import add_flow
from anaplan_mcp.sandbox.routes_integrations import add_integration
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.seed_history import run_past
from anaplan_mcp.sandbox.store import TENANT_MAX_INTEGRATIONS, Store
from anaplan_mcp.sandbox.validate_flows import flow_body, notification_body


def seed_integrations(store: Store, created: datetime) -> None:
    """The twelve story integrations, with schedules, notifications and the two flows."""
    for name, owner, definition in _integration_definitions():
        checked = validate.integration_body(definition, store)
        add_integration(
            store, checked, owner, created, integration_id=ids.seed_id("integration", name)
        )
    today = created + timedelta(days=30)
    _seed_schedules(store, today)
    _seed_notifications(store)
    _seed_flows(store, created)


def _job(kind: str, connection_id: str, location: str, action_id: str, **extra: Any) -> Any:
    cloud, is_import = (
        (kind.split("To")[0], True) if kind.endswith("ToAnaplan") else (kind.split("To")[1], False)
    )
    where = "table" if cloud == "GoogleBigQuery" else "file"
    cloud_end = {"type": cloud, "connectionId": connection_id, where: location, **extra}
    anaplan_end: dict[str, Any] = {"type": "Anaplan", "actionId": action_id}
    if is_import:
        anaplan_end["fileId"] = "113" + action_id[3:]
        return {"type": kind, "sources": [cloud_end], "targets": [anaplan_end]}
    return {"type": kind, "sources": [anaplan_end], "targets": [cloud_end]}


def _integration_definitions() -> list[tuple[str, str, dict[str, Any]]]:
    s3, fin, az, bq = (
        ids.SALES_S3_CONNECTION_ID,
        ids.FINANCE_S3_CONNECTION_ID,
        ids.FINANCE_AZURE_CONNECTION_ID,
        ids.ANALYTICS_BQ_CONNECTION_ID,
    )
    me, jane, raj = SANDBOX_USER_ID, "jane.roe@example.com", "raj.patel@example.com"
    sales, finance, workforce = ids.SALES_MODEL_ID, ids.FINANCE_MODEL_ID, ids.WORKFORCE_MODEL_ID
    plan = [
        (
            "Daily sales import",
            me,
            sales,
            None,
            [_job("AmazonS3ToAnaplan", s3, ids.SALES_BAD_FILE, "112000000001")],
        ),
        (
            "Products import",
            me,
            sales,
            None,
            [_job("AmazonS3ToAnaplan", s3, "reference/products.csv", "112000000002")],
        ),
        (
            "Forecast import from BigQuery",
            me,
            sales,
            None,
            [_job("GoogleBigQueryToAnaplan", bq, "sales_forecast", "112000000003")],
        ),
        (
            "Sales summary to S3",
            me,
            sales,
            None,
            [_job("AnaplanToAmazonS3", s3, "exports/", "116000000001", overwrite=True)],
        ),
        (
            "P&L export to finance bucket",
            me,
            finance,
            None,
            [_job("AnaplanToAmazonS3", fin, "pnl/", "116000000011", overwrite=False)],
        ),
        (
            "GL actuals import",
            me,
            finance,
            None,
            [_job("AzureBlobToAnaplan", az, "gl/gl_actuals.csv", "112000000011")],
        ),
        (
            "FX rates import",
            me,
            finance,
            None,
            [_job("AzureBlobToAnaplan", az, "fx/fx_rates.csv", "112000000012")],
        ),
        (
            "Pipeline export to BigQuery",
            me,
            sales,
            None,
            [_job("AnaplanToGoogleBigQuery", bq, "pipeline", "116000000002", overwrite=True)],
        ),
        (
            "Nightly sales refresh",
            me,
            sales,
            "118000000001",
            [
                _job("AmazonS3ToAnaplan", s3, "reference/products.csv", "112000000002"),
                _job("AmazonS3ToAnaplan", s3, ids.SALES_BAD_FILE, "112000000001"),
                _job("AnaplanToAmazonS3", s3, "exports/nightly/", "116000000001", overwrite=True),
            ],
        ),
        (
            "Month-end close",
            me,
            finance,
            "118000000011",
            [
                _job("AzureBlobToAnaplan", az, "gl/gl_actuals.csv", "112000000011"),
                _job("AzureBlobToAnaplan", az, "fx/fx_rates.csv", "112000000012"),
                _job("AnaplanToAmazonS3", fin, "close/", "116000000011", overwrite=True),
            ],
        ),
        (
            "Headcount import",
            jane,
            workforce,
            None,
            [_job("AzureBlobToAnaplan", az, "hr/headcount.csv", "112000000021")],
        ),
        ("Workforce refresh", raj, workforce, "118000000021", None),
    ]
    definitions = []
    for name, owner, model_id, process_id, jobs in plan:
        body: dict[str, Any] = {
            "name": name,
            "version": "2.0",
            "workspaceId": ids.WORKSPACE_ID,
            "modelId": model_id,
            "nuxVisible": False,
        }
        if process_id:
            body["processId"] = process_id
        if jobs is not None:
            body["jobs"] = jobs
        definitions.append((name, owner, body))
    return definitions


def _seed_schedules(store: Store, today: datetime) -> None:
    start = (today - timedelta(days=60)).date().isoformat()
    ended = (today - timedelta(days=14)).date().isoformat()
    schedules: list[tuple[str, dict[str, Any], bool]] = [
        (
            ids.SALES_IMPORT_ID,
            {"type": "daily", "time": "02:00", "timezone": "Europe/London"},
            True,
        ),
        (
            ids.PRODUCTS_IMPORT_ID,
            {"type": "weekly", "time": "04:00", "daysOfWeek": [1], "timezone": "America/New_York"},
            True,
        ),
        (
            ids.FORECAST_IMPORT_ID,
            {
                "type": "hourly",
                "fromTime": "08:00",
                "toTime": "18:00",
                "repeatEvery": 2,
                "daysOfWeek": [1, 2, 3, 4, 5],
                "timezone": "UTC",
            },
            True,
        ),
        (
            ids.FINANCE_EXPORT_ID,
            {"type": "daily", "time": "03:00", "timezone": "America/Chicago"},
            True,
        ),
        (
            ids.GL_IMPORT_ID,
            {
                "type": "monthly_specific_day",
                "time": "04:00",
                "dayOfMonth": 1,
                "timezone": "Europe/Paris",
            },
            True,
        ),
        (
            ids.CLOSE_PROCESS_ID,
            {
                "type": "monthly_relative_weekday",
                "time": "18:00",
                "dayOfWeek": 5,
                "repeatEvery": 1,
                "timezone": "America/Los_Angeles",
            },
            True,
        ),
        (
            ids.FX_IMPORT_ID,
            {"type": "daily", "time": "06:00", "timezone": "Asia/Tokyo", "endDate": ended},
            True,
        ),
        (
            ids.PIPELINE_EXPORT_ID,
            {
                "type": "weekly",
                "time": "05:00",
                "daysOfWeek": [0, 3],
                "timezone": "Australia/Sydney",
            },
            False,
        ),
        (ids.NIGHTLY_PROCESS_ID, {"type": "daily", "time": "01:00", "timezone": "UTC"}, True),
    ]
    for integration_id, fields, enabled in schedules:
        integration = store.integrations[integration_id]
        name = f"{integration['name']} schedule"
        integration["_schedule"] = {"name": name, "startDate": start, **fields}
        integration["_scheduleEnabled"] = enabled


def _seed_notifications(store: Store) -> None:
    me = store.users[SANDBOX_USER_ID]["userGuid"]
    jane = store.users["jane.roe@example.com"]["userGuid"]
    configs = [
        (
            ids.SALES_IMPORT_ID,
            ["email", "in_app"],
            {"success": [me], "partial_failure": [me, jane], "full_failure": [me, jane]},
        ),
        (ids.FINANCE_EXPORT_ID, ["email"], {"full_failure": [jane]}),
    ]
    for integration_id, channels, by_type in configs:
        body = {
            "integrationIds": [integration_id],
            "channels": channels,
            "notifications": {"config": [{"type": t, "users": u} for t, u in by_type.items()]},
        }
        fields = notification_body(body, store)
        notification_id = store.integrations[integration_id]["notificationId"]
        store.notifications[notification_id] = {
            "notificationId": notification_id,
            **fields,
            "_explicit": True,
        }


def _seed_flows(store: Store, created: datetime) -> None:
    flows = [
        (
            "Nightly planning flow",
            [ids.PRODUCTS_IMPORT_ID, ids.FINANCE_EXPORT_ID, ids.HEADCOUNT_IMPORT_ID],
        ),
        ("Weekly workforce flow", [ids.HEADCOUNT_IMPORT_ID, ids.WORKFORCE_PROCESS_ID]),
    ]
    for name, referrers in flows:
        steps = [
            {
                "type": "Integration",
                "referrer": r,
                "dependsOn": [referrers[i - 1]] if i else None,
                "isSkipped": False,
                "exceptionBehavior": [{"type": "failure", "strategy": "stop"}],
            }
            for i, r in enumerate(referrers)
        ]
        body = {"name": name, "version": "2.0", "type": "IntegrationFlow", "steps": steps}
        add_flow(
            store,
            flow_body(body, store),
            SANDBOX_USER_ID,
            created,
            flow_id=ids.seed_id("flow", name),
        )


def seed_generated(store: Store, today: datetime, total: int) -> None:
    """Generated integrations up to `total` (integrations + flows never exceed 500)."""
    wanted = min(total, TENANT_MAX_INTEGRATIONS - len(store.flows)) - len(store.integrations)
    for index in range(max(wanted, 0)):
        name = f"Generated integration {index + 1:03d}"
        if index % 2 == 0:
            job = _job(
                "AmazonS3ToAnaplan",
                ids.SALES_S3_CONNECTION_ID,
                "reference/products.csv",
                "112000000002",
            )
        else:
            job = _job(
                "AnaplanToAmazonS3",
                ids.SALES_S3_CONNECTION_ID,
                f"exports/generated/{index}/",
                "116000000001",
                overwrite=True,
            )
        body = {
            "name": name,
            "version": "2.0",
            "workspaceId": ids.WORKSPACE_ID,
            "modelId": ids.SALES_MODEL_ID,
            "jobs": [job],
        }
        checked = validate.integration_body(body, store)
        record = add_integration(
            store,
            checked,
            SANDBOX_USER_ID,
            today - timedelta(days=2),
            integration_id=ids.seed_id("integration", name),
        )
        # Run by hand: they have no schedule.
        when = today - timedelta(hours=20 - index % 10)
        run_past(store, record["integrationId"], when, trigger="manual")
