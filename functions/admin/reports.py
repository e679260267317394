"""Admin routes for reports: funnel, A/B, holdout lift, brand pairs, monthly settlement.

Glue only: every rule is in :mod:`xsell.reporting.service` (docs/reports.md).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from functions.admin import requests
from xsell.admin import contract as c
from xsell.errors import Conflict
from xsell.reporting import service

router = APIGatewayRouter()

TAG = "admin-reports"
BAD = {"invalid_request": "A parameter is malformed; `field` names it."}
_DATE = {"type": "string", "format": "date"}
_DAYS = {"type": "integer", "minimum": 1, "maximum": 30}
PARAMS = [
    c.query("from", _DATE, "First reporting day (Asia/Tokyo), default six days before until."),
    c.query("until", _DATE, "Last reporting day (Asia/Tokyo), default today."),
    c.query("month", {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "settlement: the month, YYYY-MM."),
    c.query("campaign", {"type": "string", "maxLength": 64}, "ab, holdout: one campaign only."),
    c.query("click_window_days", _DAYS, "Click-through window in days (7)."),
    c.query("view_window_days", {"type": "integer", "minimum": 0, "maximum": 7}, "View-through window (1)."),
    c.query(
        "run", {"type": "string", "maxLength": 64}, "AWS: the run id a `running` answer gave; ask again."
    ),
]
REPORT: c.Schema = {
    "title": "Report",
    "type": "object",
    "required": ["report", "status", "parameters"],
    "properties": {
        "report": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["done", "running"]},
        "run": {"type": "string", "description": "While running: pass it back as `run`."},
        "parameters": {"type": "object"},
        "brand_scope": {
            "type": ["string", "null"],
            "description": "Rows are limited to pairs with this brand.",
        },
        "data_as_of": {
            "type": ["string", "null"],
            "description": "When the newest event object read was written.",
        },
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "cached": {"type": "boolean"},
        "engine": {"type": "string"},
    },
}


def _query() -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


@router.get(
    "/admin/v1/reports",
    **c.route("listReports", "The reports and their parameters", TAG, (c.ANY_LIST, "The reports.")),
)
def list_reports() -> list[dict[str, Any]]:
    service.scope(requests.principal(router.current_event))
    return service.catalogue()


@router.get(
    "/admin/v1/reports/<name>",
    **c.route(
        "getReport",
        "Run a report (or ask again for a running one) and get its rows",
        TAG,
        (REPORT, "The rows, or `running` with a run id to ask again with."),
        params=PARAMS,
        not_found="No such report.",
        **BAD,
    ),
)
def get_report(name: str) -> dict[str, Any]:
    return service.run(requests.principal(router.current_event), name, _query())


@router.get(
    "/admin/v1/reports/<name>/export",
    **c.route(
        "exportReport",
        "The same report as a CSV file a spreadsheet or finance system imports",
        TAG,
        (c.CSV, "The rows, with the report's columns."),
        params=PARAMS,
        media="text/csv",
        not_found="No such report.",
        report_running="Still running: ask again with the `run` id given in `current`.",
        **BAD,
    ),
)
def export_report(name: str) -> Any:  # a Response (Any: the OpenAPI generator would model it)
    result = service.run(requests.principal(router.current_event), name, _query())
    if result["status"] != "done":
        raise Conflict(
            "the report is still running; ask again with its run id",
            {"run": result["run"]},
            code="report_running",
        )
    return Response(
        200,
        "text/csv; charset=utf-8",
        service.as_csv(result).decode("utf-8"),
        headers={
            "Content-Disposition": f'attachment; filename="{service.filename(result)}"',
            "X-Data-As-Of": result.get("data_as_of") or "",
        },
    )
