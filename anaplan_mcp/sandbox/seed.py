"""The seeded tenant: a story a troubleshooter can work on, with the same ids on every start.

The story (times relative to the sandbox clock at seeding; "last night" is the latest night whose
02:00 Europe/London sales import is over, see seed_history). Scheduled runs happen at their
schedules' times in their own time zones: daily, weekly, Monday-to-Friday hourly, monthly.
- "Daily sales import" (SALES_IMPORT_ID) ran fine for a week; last night's file
  `sales/daily_sales.csv` arrived with three bad rows (a bad number, an unknown product, an
  impossible date), so the run partly failed (code 38) with a failure dump. The corrected file
  `sales/daily_sales_corrected.csv` sits next to it: point the job at it (PUT) and rerun.
- The finance bucket's access key was rotated two days before last night. The connection "Finance exports
  (S3)" (FINANCE_S3_CONNECTION_ID) is invalid (status 0, integrationErrorCode 1), so "P&L export
  to finance bucket" (FINANCE_EXPORT_ID) fails at its 03:00 America/Chicago slots, and the
  "Month-end close" process (CLOSE_PROCESS_ID), run by hand the evening before last night, failed.
  Fix: PATCH the connection with FINANCE_EXPORTS_ACCESS_KEY_ID / FINANCE_EXPORTS_SECRET_ACCESS_KEY.
- "Nightly planning flow" (PLANNING_FLOW_ID) stopped last night (02:57 Chicago time; its run of
  the export takes the export's 03:00 slot) at its failed export step; its last step never ran. "Weekly
  workforce flow" (WORKFORCE_FLOW_ID), run a week apart, is healthy.
- "Nightly sales refresh" (NIGHTLY_PROCESS_ID) is running right now (20 minutes on the clock).
- "Pipeline export to BigQuery" has a disabled schedule; "FX rates import" has a schedule that
  ended two weeks ago, so neither ran lately.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anaplan_mcp.sandbox import seed_data, validate
from anaplan_mcp.sandbox.routes_connections import new_connection
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.seed_history import seed_history
from anaplan_mcp.sandbox.seed_ids import (
    FINANCE_BUCKET,
    SALES_BAD_FILE,
    SALES_BUCKET,
    seed_id,
)
from anaplan_mcp.sandbox.seed_integrations import seed_generated, seed_integrations
from anaplan_mcp.sandbox.store import Store

__all__ = ["seed_tenant"]

_SALES_KEY = ("AKIASANDBOXSALES0001", "sandbox-sales-secret")
_OLD_FINANCE_KEY = ("AKIASANDBOXFINANCE01", "sandbox-finance-secret-old")
_AZURE_SAS = "sv=2024-01-01&sr=c&sp=rl&sig=sandboxFinanceLanding"
_BQ_KEY: dict[str, str] = {
    "type": "service_account",
    "projectId": "acme-analytics",
    "privateKeyId": "sandbox-bq-key-1",
    "privateKey": "-----BEGIN PRIVATE KEY-----\nc2FuZGJveA==\n-----END PRIVATE KEY-----\n",
    "clientEmail": "cloudworks@acme-analytics.iam.gserviceaccount.com",
    "clientId": "100000000000000000001",
    "authUri": "https://accounts.google.com/o/oauth2/auth",
    "tokenUri": "https://oauth2.googleapis.com/token",
    "authProviderX509CertUrl": "https://www.googleapis.com/oauth2/v1/certs",
    "clientX509CertUrl": "https://www.googleapis.com/robot/v1/metadata/x509/cloudworks",
}


def seed_tenant(store: Store, now: datetime, *, integrations_total: int | None = None) -> None:
    """Fill an empty store with the story above; `integrations_total` adds generated ones."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    created = today - timedelta(days=30)
    store.users = seed_data.users()
    store.workspaces = seed_data.workspaces()
    store.models = seed_data.models()
    _seed_storage(store, now)
    _seed_connections(store, created)
    seed_integrations(store, created)
    seed_history(store, today, now)
    if integrations_total:
        seed_generated(store, today, integrations_total)


def _seed_storage(store: Store, now: datetime) -> None:
    yesterday = (now - timedelta(days=1)).date()
    store.storage = {
        f"s3:{SALES_BUCKET}": {
            "credential": ":".join(_SALES_KEY),
            "objects": {
                SALES_BAD_FILE: seed_data.sales_rows(yesterday, corrupted=False),
                "reference/products.csv": seed_data.products_rows(),
            },
        },
        f"s3:{FINANCE_BUCKET}": {"credential": ":".join(_OLD_FINANCE_KEY), "objects": {}},
        "azure:acmefinstorage/finance-landing": {
            "credential": _AZURE_SAS,
            "objects": {
                "gl/gl_actuals.csv": seed_data.gl_rows(yesterday),
                "fx/fx_rates.csv": seed_data.fx_rows(),
                "hr/headcount.csv": seed_data.headcount_rows(),
            },
        },
        "bq:acme_analytics": {
            "credential": f"{_BQ_KEY['clientEmail']}:{_BQ_KEY['privateKeyId']}",
            "objects": {"sales_forecast": seed_data.forecast_rows()},
        },
    }


def _seed_connections(store: Store, created: datetime) -> None:
    specs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "Sales landing (S3)",
            "AmazonS3",
            {
                "bucketName": SALES_BUCKET,
                "accessKeyId": _SALES_KEY[0],
                "secretAccessKey": _SALES_KEY[1],
            },
        ),
        (
            "Finance exports (S3)",
            "AmazonS3",
            {
                "bucketName": FINANCE_BUCKET,
                "accessKeyId": _OLD_FINANCE_KEY[0],
                "secretAccessKey": _OLD_FINANCE_KEY[1],
            },
        ),
        (
            "Finance landing (Azure)",
            "AzureBlob",
            {
                "storageAccountName": "acmefinstorage",
                "containerName": "finance-landing",
                "sasToken": _AZURE_SAS,
                "auth_method": "SAS-based",
            },
        ),
        (
            "Analytics warehouse (BigQuery)",
            "GoogleBigQuery",
            {"dataset": "acme_analytics", "serviceAccountKey": _BQ_KEY},
        ),
    ]
    owner = store.user_name(SANDBOX_USER_ID)
    for name, kind, body in specs:
        fields = validate.connection_body(kind, {"name": name, **body}, partial=False)
        record = new_connection(
            store, kind, fields, owner, created, connection_id=seed_id("connection", name)
        )
        store.connections[record["connectionId"]] = record
