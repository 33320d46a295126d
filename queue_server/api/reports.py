"""The API's route for reports (docs/reports.md):

- `GET /halls/{hall}/reports/{kind}?day=YYYY-MM-DD` or `?month=YYYY-MM`: one report of the
  hall (managers, administrators) as JSON; the same as CSV with `format=csv` or
  `Accept: text/csv` — UTF-8 with a byte-order mark (Excel then reads the Chinese right),
  Chinese headers, and a file name in Content-Disposition (RFC 6266 with RFC 5987's
  `filename*` for the Chinese one, an ASCII one beside it).

Its OpenAPI shapes are here too (`RESPONSES`, `report_paths`), merged by `api.openapi`.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _json, _now, _principal, _services
from queue_server.api.appointments import _query_args
from queue_server.api.schemas import DAY, INSTANT, STRING, Schema, _obj
from queue_server.domain import reports
from queue_server.domain.errors import InvalidInput, NotFound
from queue_server.domain.reports import ReportKind

FIELDS = frozenset({"day", "month", "format"})
BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"


def _kind(text: str) -> ReportKind:
    try:
        return ReportKind(text)
    except ValueError:
        kinds = "、".join(k.value for k in ReportKind)
        raise NotFound(f"没有名为 {text[:40]!r} 的报表：可选 {kinds}", field="kind") from None


def _wants_csv(args: dict[str, Any]) -> bool:
    wanted = args.get("format")
    if wanted is not None:
        if wanted not in ("json", "csv"):
            raise InvalidInput("format 须是 json 或 csv", field="format")
        return bool(wanted == "csv")
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"], default="application/json")
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.10g}"  # 11880.0 → 11880, 0.9231 as it is; never 1.2e+04
    return value


def csv_text(report: dict[str, Any]) -> str:
    """The report as CSV: the BOM, then the Chinese headers, then a line per row. Rates
    are fractions (0.9231) as in JSON; empty cells where there is nothing to measure."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    columns = report["columns"]
    writer.writerow([c["label"] for c in columns])
    for row in report["rows"]:
        writer.writerow([_cell(row.get(c["key"])) for c in columns])
    return out.getvalue()


def file_names(report: dict[str, Any]) -> tuple[str, str]:
    """The download's name in ASCII and in Chinese: `demo-queues-2026-11.csv`,
    `<hall name>-队列统计-2026-11.csv`."""
    label = report["period"]["label"]
    ascii_name = f"{report['hall']}-{report['kind']}-{label}.csv"
    return ascii_name, f"{report['hall_name']}-{report['title']}-{label}.csv"


def content_disposition(report: dict[str, Any]) -> str:
    ascii_name, chinese = file_names(report)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese, safe='')}"


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/reports/<kind>")
    def report(hall: str, kind: str) -> Response:
        """One report of the hall over a day or a month, as JSON or CSV."""
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, FIELDS)
        as_csv = _wants_csv(args)
        chosen = _kind(kind)
        period = reports.period(args.get("day"), args.get("month"))
        found = _services().report(_principal(), hall, chosen, period, _now())
        if not as_csv:
            return _json(found)
        return Response(
            csv_text(found).encode("utf-8"),
            mimetype="text/csv",
            content_type=CSV_TYPE,
            headers={"Content-Disposition": content_disposition(found)},
        )


_CELL: Schema = {"type": ["string", "number", "integer", "boolean", "null", "array", "object"]}
RESPONSES: dict[str, Schema] = {
    "Report": _obj(
        {
            "hall": STRING,
            "hall_name": STRING,
            "kind": {"type": "string", "enum": [k.value for k in ReportKind]},
            "title": STRING,
            "period": _obj(
                {
                    "unit": {"type": "string", "enum": ["day", "month"]},
                    "label": STRING,
                    "from": DAY,
                    "to": DAY,
                }
            ),
            "generated_at": INSTANT,
            "columns": {
                "type": "array",
                "items": _obj({"key": STRING, "label": {**STRING, "description": "The Chinese header (CSV)"}}),
            },
            "rows": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": _CELL,
                    "description": "One group: a value per column key (minutes rounded to 0.1; rates as "
                    "fractions), and for ratings `figures` with each rate's numerator and denominator",
                },
            },
        },
        description="A report (docs/reports.md)",
    ),
}


def report_paths() -> dict[str, Any]:
    """The operation of docs/reports.md, for `api.openapi`."""
    from queue_server.api.openapi import HALL, HALL_READ, _op  # built after it

    operation = _op(
        "One report of the hall over a service day or a calendar month: per queue, item, window or clerk; "
        "the clerks' attendance (日考勤) or monthly review (月讲评). JSON, or CSV (UTF-8 with BOM, Chinese "
        "headers) with format=csv or Accept: text/csv",
        who="manager, admin (of the hall, or of every hall)",
        answer="Report",
        errors=(*HALL_READ, 422),
    )
    operation["responses"]["200"]["content"]["text/csv"] = {
        "schema": {"type": "string"},
    }
    operation["responses"]["200"]["headers"] = {
        "Content-Disposition": {
            "description": "With format=csv: attachment; filename=…; filename*=UTF-8''… (RFC 5987)",
            "schema": {"type": "string"},
        }
    }
    return {
        "/api/v1/halls/{hall}/reports/{kind}": {
            "parameters": [
                HALL,
                {
                    "name": "kind",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": [k.value for k in ReportKind]},
                    "description": "Which report; another is 404 naming the field `kind`",
                },
            ],
            "get": {
                **operation,
                "parameters": [
                    {"name": "day", "in": "query", "schema": DAY, "description": "A service day; or give month"},
                    {
                        "name": "month",
                        "in": "query",
                        "schema": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
                        "description": "A calendar month YYYY-MM; or give day",
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "csv"]},
                        "description": "csv: the same report as a CSV file (also with Accept: text/csv)",
                    },
                ],
            },
        },
    }
