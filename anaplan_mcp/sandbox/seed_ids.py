"""Seeded ids and names as constants, derived from names so they are equal on every start.

Import them from `anaplan_mcp.sandbox.seed`, which re-exports them with the story they belong to.
"""

from __future__ import annotations

from anaplan_mcp.sandbox.seed_data import (
    FINANCE_MODEL_ID,
    SALES_MODEL_ID,
    SANDBOX_USER_ID,
    WORKFORCE_MODEL_ID,
    WORKSPACE_ID,
    user_guid,
)
from anaplan_mcp.sandbox.store import derived_id

__all__ = [
    "ANALYTICS_BQ_CONNECTION_ID",
    "CLOSE_PROCESS_ID",
    "FINANCE_AZURE_CONNECTION_ID",
    "FINANCE_BUCKET",
    "FINANCE_EXPORTS_ACCESS_KEY_ID",
    "FINANCE_EXPORTS_SECRET_ACCESS_KEY",
    "FINANCE_EXPORT_ID",
    "FINANCE_MODEL_ID",
    "FINANCE_S3_CONNECTION_ID",
    "FORECAST_IMPORT_ID",
    "FX_IMPORT_ID",
    "GL_IMPORT_ID",
    "HEADCOUNT_IMPORT_ID",
    "NIGHTLY_PROCESS_ID",
    "PIPELINE_EXPORT_ID",
    "PLANNING_FLOW_ID",
    "PRODUCTS_IMPORT_ACTION_ID",
    "PRODUCTS_IMPORT_ID",
    "RUNNING_PROCESS_SECONDS",
    "SALES_BAD_FILE",
    "SALES_BUCKET",
    "SALES_CORRECTED_FILE",
    "SALES_EXPORT_ID",
    "SALES_IMPORT_ACTION_ID",
    "SALES_IMPORT_ID",
    "SALES_MODEL_ID",
    "SALES_S3_CONNECTION_ID",
    "SANDBOX_USER_GUID",
    "SANDBOX_USER_ID",
    "WORKFORCE_FLOW_ID",
    "WORKFORCE_MODEL_ID",
    "WORKFORCE_PROCESS_ID",
    "WORKSPACE_ID",
    "seed_id",
]


def seed_id(kind: str, name: str) -> str:
    """The id of a seeded object of `kind` named `name`."""
    return derived_id("seed", kind, name)


# The signed-in user of the sandbox (sandbox@example.com), as /users/me and notifications know it.
SANDBOX_USER_GUID = user_guid(SANDBOX_USER_ID)

SALES_S3_CONNECTION_ID = seed_id("connection", "Sales landing (S3)")
FINANCE_S3_CONNECTION_ID = seed_id("connection", "Finance exports (S3)")  # invalid: rotated key
FINANCE_AZURE_CONNECTION_ID = seed_id("connection", "Finance landing (Azure)")
ANALYTICS_BQ_CONNECTION_ID = seed_id("connection", "Analytics warehouse (BigQuery)")

SALES_IMPORT_ID = seed_id("integration", "Daily sales import")  # partial success + dump
PRODUCTS_IMPORT_ID = seed_id("integration", "Products import")
FORECAST_IMPORT_ID = seed_id("integration", "Forecast import from BigQuery")
SALES_EXPORT_ID = seed_id("integration", "Sales summary to S3")
FINANCE_EXPORT_ID = seed_id("integration", "P&L export to finance bucket")  # fails: connection
GL_IMPORT_ID = seed_id("integration", "GL actuals import")
FX_IMPORT_ID = seed_id("integration", "FX rates import")  # schedule past its end date
PIPELINE_EXPORT_ID = seed_id("integration", "Pipeline export to BigQuery")  # schedule disabled
NIGHTLY_PROCESS_ID = seed_id("integration", "Nightly sales refresh")  # running now
CLOSE_PROCESS_ID = seed_id("integration", "Month-end close")  # fails at its export action
HEADCOUNT_IMPORT_ID = seed_id("integration", "Headcount import")  # owned by Jane Roe
WORKFORCE_PROCESS_ID = seed_id("integration", "Workforce refresh")  # no jobs; owned by Raj Patel
PLANNING_FLOW_ID = seed_id("flow", "Nightly planning flow")  # stopped at a failed step
WORKFORCE_FLOW_ID = seed_id("flow", "Weekly workforce flow")

SALES_IMPORT_ACTION_ID = "112000000001"
PRODUCTS_IMPORT_ACTION_ID = "112000000002"
SALES_BUCKET = "acme-sales-landing"
SALES_BAD_FILE = "sales/daily_sales.csv"
SALES_CORRECTED_FILE = "sales/daily_sales_corrected.csv"
FINANCE_BUCKET = "acme-finance-exports"
FINANCE_EXPORTS_ACCESS_KEY_ID = "AKIASANDBOXFINANCE02"
FINANCE_EXPORTS_SECRET_ACCESS_KEY = "sandbox-finance-secret-rotated"
RUNNING_PROCESS_SECONDS = 20 * 60
