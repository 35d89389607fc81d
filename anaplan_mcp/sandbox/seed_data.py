"""The seeded world outside CloudWorks: users, the Anaplan models and the cloud storage files.

Models declare their imports' columns (and list items), so a run's outcome follows from the rows
of the files; the files are generated here, deterministically, relative to the seeding date.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from anaplan_mcp.sandbox.store import Record, derived_id

WORKSPACE_ID = derived_id("seed", "workspace", "ACME FP&A")
SALES_MODEL_ID = derived_id("seed", "model", "Sales Planning").upper()
FINANCE_MODEL_ID = derived_id("seed", "model", "Finance Consolidation").upper()
WORKFORCE_MODEL_ID = derived_id("seed", "model", "Workforce Planning").upper()

SANDBOX_USER_ID = "sandbox@example.com"
USERS = {
    SANDBOX_USER_ID: ("Sandbox", "User"),
    "jane.roe@example.com": ("Jane", "Roe"),
    "raj.patel@example.com": ("Raj", "Patel"),
    "ana.silva@example.com": ("Ana", "Silva"),
}

PRODUCTS = ["Widget A", "Widget B", "Gadget C", "Gizmo D"]
PRICES = {"Widget A": 12.5, "Widget B": 20.0, "Gadget C": 48.0, "Gizmo D": 7.25}
REGIONS = ["North", "South", "East", "West"]
ACCOUNTS = ["4000 Revenue", "5000 COGS", "6000 Opex", "7000 Other"]
CURRENCIES = ["USD", "EUR", "GBP", "JPY"]
DEPARTMENTS = ["Sales", "Finance", "Engineering", "Operations"]

# The three rejected rows of the bad sales file: data line index -> (column, bad value, error)
SALES_BAD_CELLS = {
    16: ("Units", "12x"),
    45: ("Product", "Widget Z"),
    81: ("Date", "2026-02-30"),
}
SALES_ROWS = 100
SALES_HEADER = ["Date", "Region", "Product", "Units", "Amount"]
# A row every rule accepts, for files that tests and benchmarks drop into the sales bucket.
SALES_GOOD_ROW = ["2026-11-22", "North", "Widget A", "10", "125.00"]


def _col(name: str, kind: str, list_name: str | None = None) -> Record:
    column: Record = {"name": name, "type": kind}
    if list_name:
        column["list"] = list_name
    return column


def _import(action_id: str, name: str, file_id: str, columns: list[Record]) -> Record:
    return {"id": action_id, "name": name, "fileId": file_id, "columns": columns}


def _export(action_id: str, name: str, header: list[str], rows: list[list[Any]]) -> Record:
    return {
        "id": action_id,
        "name": name,
        "columns": [_col(c, "text") for c in header],
        "rows": rows,
    }


def user_guid(user_id: str) -> str:
    """The stable 32-hex GUID of a user: what notification configs, `/users/me` and
    `/token/validate` call them."""
    return derived_id("seed", "user", user_id)


def users() -> dict[str, Record]:
    """The tenant's users with the 32-hex guids notification configs refer to."""
    return {
        user_id: {
            "userGuid": user_guid(user_id),
            "firstName": first,
            "lastName": last,
        }
        for user_id, (first, last) in USERS.items()
    }


def workspaces() -> dict[str, Record]:
    """One workspace."""
    return {WORKSPACE_ID: {"id": WORKSPACE_ID, "name": "ACME FP&A"}}


def models() -> dict[str, Record]:
    """Three models with imports (112...), exports (116...), processes (118...), files (113...)."""
    sales: Record = {
        "id": SALES_MODEL_ID,
        "name": "Sales Planning",
        "workspaceId": WORKSPACE_ID,
        "lists": {"Products": PRODUCTS, "Regions": REGIONS},
        "imports": {
            "112000000001": _import(
                "112000000001",
                "Sales import",
                "113000000001",
                [
                    _col("Date", "date"),
                    _col("Region", "list", "Regions"),
                    _col("Product", "list", "Products"),
                    _col("Units", "number"),
                    _col("Amount", "number"),
                ],
            ),
            "112000000002": _import(
                "112000000002",
                "Products import",
                "113000000002",
                [_col("Product", "text"), _col("Category", "text"), _col("Price", "number")],
            ),
            "112000000003": _import(
                "112000000003",
                "Forecast import",
                "113000000003",
                [
                    _col("Region", "list", "Regions"),
                    _col("Product", "list", "Products"),
                    _col("Forecast", "number"),
                ],
            ),
        },
        "exports": {
            "116000000001": _export(
                "116000000001",
                "Sales summary export",
                ["Region", "Units", "Amount"],
                [[r, 250 + 10 * i, 5200.0 + 310 * i] for i, r in enumerate(REGIONS)],
            ),
            "116000000002": _export(
                "116000000002",
                "Pipeline export",
                ["Opportunity", "Stage", "Value"],
                [
                    ["OPP-1001", "Qualified", 12000],
                    ["OPP-1002", "Proposal", 48000],
                    ["OPP-1003", "Closed Won", 7600],
                ],
            ),
        },
        "processes": {
            "118000000001": {
                "id": "118000000001",
                "name": "Nightly sales refresh",
                "actions": ["112000000002", "112000000001", "116000000001"],
            }
        },
        "files": _files(
            ("113000000001", "daily_sales.csv"),
            ("113000000002", "products.csv"),
            ("113000000003", "forecast.csv"),
        ),
    }
    finance: Record = {
        "id": FINANCE_MODEL_ID,
        "name": "Finance Consolidation",
        "workspaceId": WORKSPACE_ID,
        "lists": {"Accounts": ACCOUNTS, "Currencies": CURRENCIES},
        "imports": {
            "112000000011": _import(
                "112000000011",
                "GL actuals import",
                "113000000011",
                [
                    _col("Account", "list", "Accounts"),
                    _col("Period", "date"),
                    _col("Amount", "number"),
                ],
            ),
            "112000000012": _import(
                "112000000012",
                "FX rates import",
                "113000000012",
                [_col("Currency", "list", "Currencies"), _col("Rate", "number")],
            ),
        },
        "exports": {
            "116000000011": _export(
                "116000000011",
                "P&L export",
                ["Account", "Amount"],
                [[a, 100000 - 17000 * i] for i, a in enumerate(ACCOUNTS)],
            ),
            "116000000012": _export(
                "116000000012", "Balance sheet export", ["Line", "Amount"], [["Cash", 250000]]
            ),
        },
        "processes": {
            "118000000011": {
                "id": "118000000011",
                "name": "Month-end close",
                "actions": ["112000000011", "112000000012", "116000000011"],
            }
        },
        "files": _files(("113000000011", "gl_actuals.csv"), ("113000000012", "fx_rates.csv")),
    }
    workforce: Record = {
        "id": WORKFORCE_MODEL_ID,
        "name": "Workforce Planning",
        "workspaceId": WORKSPACE_ID,
        "lists": {"Departments": DEPARTMENTS},
        "imports": {
            "112000000021": _import(
                "112000000021",
                "Headcount import",
                "113000000021",
                [
                    _col("Employee", "text"),
                    _col("Department", "list", "Departments"),
                    _col("StartDate", "date"),
                    _col("Salary", "number"),
                ],
            ),
        },
        "exports": {
            "116000000021": _export(
                "116000000021",
                "Headcount export",
                ["Department", "Headcount"],
                [[d, 10 + 5 * i] for i, d in enumerate(DEPARTMENTS)],
            ),
        },
        "processes": {
            "118000000021": {
                "id": "118000000021",
                "name": "Workforce refresh",
                "actions": ["112000000021", "116000000021"],
            }
        },
        "files": _files(("113000000021", "headcount.csv")),
    }
    return {str(m["id"]): m for m in (sales, finance, workforce)}


def _files(*pairs: tuple[str, str]) -> dict[str, Record]:
    return {file_id: {"id": file_id, "name": name} for file_id, name in pairs}


def csv_text(rows: list[list[Any]]) -> str:
    """Rows as CSV text, the way a source system writes them."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def rule_breaking_sales_row(index: int) -> list[str]:
    """The good row with one cell broken by `index % 4`, in turn: a bad number, an unknown product,
    an impossible date, an unknown region (four dump patterns, for files with many rejected rows)."""
    row = list(SALES_GOOD_ROW)
    kind = index % 4
    if kind == 0:
        row[3] = f"{index}x"
    elif kind == 1:
        row[2] = f"Widget {index}"
    elif kind == 2:
        row[0] = f"2026-02-{30 + index % 2}"
    else:
        row[1] = f"Region {index % 7}"
    return row


def sales_rows(day: date, *, corrupted: bool) -> str:
    """Yesterday's sales: 100 rows; the corrupted file has the three bad cells."""
    header = SALES_HEADER
    rows: list[list[Any]] = [header]
    for i in range(SALES_ROWS):
        product = PRODUCTS[(i // 4) % 4]
        units = 5 + (i * 7) % 40
        row = [
            day.isoformat(),
            REGIONS[i % 4],
            product,
            str(units),
            f"{units * PRICES[product]:.2f}",
        ]
        if corrupted and i in SALES_BAD_CELLS:
            column, value = SALES_BAD_CELLS[i]
            row[header.index(column)] = value
        rows.append(row)
    return csv_text(rows)


def products_rows() -> str:
    """The product master."""
    return csv_text(
        [["Product", "Category", "Price"], *[[p, "Hardware", PRICES[p]] for p in PRODUCTS]]
    )


def forecast_rows() -> str:
    """The BigQuery forecast table."""
    rows: list[list[Any]] = [["Region", "Product", "Forecast"]]
    rows += [
        [r, p, 100 + 3 * i] for i, (r, p) in enumerate((r, p) for r in REGIONS for p in PRODUCTS)
    ]
    return csv_text(rows)


def gl_rows(day: date) -> str:
    """Last month's GL actuals."""
    period = (day.replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()
    return csv_text(
        [
            ["Account", "Period", "Amount"],
            *[[a, period, 1000 * (i + 1)] for i, a in enumerate(ACCOUNTS)],
        ]
    )


def fx_rows() -> str:
    """Month-end FX rates."""
    return csv_text(
        [["Currency", "Rate"], ["USD", 1.0], ["EUR", 1.08], ["GBP", 1.27], ["JPY", 0.0067]]
    )


def headcount_rows() -> str:
    """The HR extract."""
    rows: list[list[Any]] = [["Employee", "Department", "StartDate", "Salary"]]
    for i in range(12):
        rows.append(
            [f"E{1000 + i}", DEPARTMENTS[i % 4], f"2024-{1 + i % 12:02d}-15", 52000 + 1500 * i]
        )
    return csv_text(rows)
