"""Wire shapes of CloudWorks answers: the success envelope, the error body and nginx's HTML 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

SUCCESS_STATUS: dict[str, Any] = {"code": 200, "message": "Success"}
SCHEMA_ROOT = "https://api.cloudworks.anaplan.com/2/0/integrations/objects/"

NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class ApiError(Exception):
    """A CloudWorks error answer: raised anywhere in a handler, rendered in the error body shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    """400 with CloudWorks' message, e.g. "Invalid request body" or a field name (contract §7.2)."""
    return ApiError(400, message)


def not_found() -> ApiError:
    """404 "Resource not found", the answer for every unknown id."""
    return ApiError(404, "Resource not found")


def conflict(message: str) -> ApiError:
    """409, e.g. "Integration is already running" or "The resource is being referenced"."""
    return ApiError(409, message)


def iso_utc(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.sssZ`, the timestamp format of CloudWorks bodies (contract §1.3)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def step_timestamp(moment: datetime) -> str:
    """Flow-step dates use a space-separated format with microseconds (contract §1.3)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def ok(body: dict[str, Any] | None = None, *, schema: str | None = None) -> JSONResponse:
    """200 with `status` first, then the resource keys, then `meta` when a schema is named."""
    payload: dict[str, Any] = {"status": dict(SUCCESS_STATUS)}
    payload.update(body or {})
    if schema is not None:
        meta = payload.setdefault("meta", {})
        meta["schema"] = SCHEMA_ROOT + schema
    return JSONResponse(payload)


def error_response(request: Request, status: int, message: str, now: datetime) -> JSONResponse:
    """`{"status": {...}, "path", "timestamp"}`, the error body of every CloudWorks route (§7.1)."""
    body = {
        "status": {"code": status, "message": message},
        "path": request.url.path,
        "timestamp": iso_utc(now),
    }
    return JSONResponse(body, status_code=status)


def html_not_found() -> HTMLResponse:
    """What the real nginx front answers for an unrouted path (contract §7.1)."""
    return HTMLResponse(NGINX_404, status_code=404)


def csv_response(text: str) -> Response:
    """A failure dump: the raw CSV, never JSON (contract §3.1)."""
    return Response(text.encode("utf-8"), media_type="text/csv")


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The parsed JSON body; 400 "Invalid request body" when it is not JSON (or absent)."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise bad_request("Invalid request body")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Invalid request body") from None
