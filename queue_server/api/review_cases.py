"""The API's routes for 差评整改 and the 好差评 figures (docs/review-cases.md).

- `GET /halls/{hall}/review-cases`: the hall's cases, overdue first (managers, administrators);
- `GET /halls/{hall}/review-cases/{id}`: one case with who recorded what;
- `POST /halls/{hall}/review-cases/{id}/{contact|reply|confirm|appeal|appeal-decision|close}`:
  the hall's managers record each step;
- `GET /halls/{hall}/review-figures`: 好评率 … 整改满意率 with their numerators and
  denominators, for the hall and per queue, window, clerk or day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from queue_server import inputs
from queue_server.api import _body, _json, _now, _principal, _publish, _services
from queue_server.api.appointments import _query_args
from queue_server.domain.errors import InvalidInput
from queue_server.domain.review_cases import MAX_NOTE, Breakdown, CaseState
from queue_server.services import CaseQuery
from queue_server.services.review_cases import DEFAULT_CASES, MAX_CASES

LIST_FIELDS = frozenset({"state", "overdue", "from", "to", "limit"})
FIGURE_FIELDS = frozenset({"from", "to", "by"})


def add_routes(bp: Blueprint) -> None:
    @bp.get("/halls/<hall>/review-cases")
    def list_review_cases(hall: str) -> Response:
        """The hall's 差评整改 cases, overdue first; filtered by state (several), overdue
        (true or false) and the local date they opened (`from`, `to`, inclusive); the first
        `limit` of them (`total`: how many matched)."""
        args = _query_args(request.args, many=frozenset({"state"}))
        inputs.only(args, LIST_FIELDS)
        states = []
        for value in inputs.texts(args, "state"):
            if value not in {s.value for s in CaseState}:
                raise InvalidInput(f"字段 state 只能是：{', '.join(s.value for s in CaseState)}", field="state")
            states.append(value)
        overdue = args.get("overdue")
        if overdue not in (None, "true", "false"):
            raise InvalidInput("字段 overdue 只能是 true 或 false", field="overdue")
        day_from, day_to = inputs.day(args, "from"), inputs.day(args, "to")
        if day_from is not None and day_to is not None and day_from > day_to:
            raise InvalidInput("from 不能晚于 to", field="to")
        query = CaseQuery(
            states=tuple(states),
            overdue=None if overdue is None else overdue == "true",
            opened_from=day_from,
            opened_to=day_to,
            limit=inputs.integer(args, "limit", 1, MAX_CASES, required=False) or DEFAULT_CASES,
        )
        return _json(_services().review_cases(_principal(), hall, query, _now()))

    @bp.get("/halls/<hall>/review-cases/<uint:case_id>")
    def review_case(hall: str, case_id: int) -> Response:
        inputs.only(dict(request.args), set())
        return _json(_services().review_case(_principal(), hall, case_id, _now()))

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/contact")
    def contact_review_case(hall: str, case_id: int) -> Response:
        """The citizen was contacted: when (`at`, now if left out) and what was said."""
        args = _body()
        inputs.only(args, {"at", "note"})
        result, events = _services().record_case_contact(
            _principal(), hall, case_id, _at(args), _note(args, "note", required=True) or "", _now()
        )
        _publish(events)
        return _json(result)

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/reply")
    def reply_review_case(hall: str, case_id: int) -> Response:
        """The fix made (`fix`; null or left out: nothing needed fixing) and the reply."""
        args = _body()
        inputs.only(args, {"at", "reply", "fix"})
        reply = _note(args, "reply", required=True) or ""
        result, events = _services().record_case_reply(
            _principal(), hall, case_id, _at(args), reply, _note(args, "fix"), _now()
        )
        _publish(events)
        return _json(result)

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/confirm")
    def confirm_review_case(hall: str, case_id: int) -> Response:
        """The callback: whether the citizen is satisfied with the fix (`satisfied`)."""
        args = _body()
        inputs.only(args, {"at", "satisfied"})
        if not isinstance(args.get("satisfied"), bool):
            raise InvalidInput("缺少字段 satisfied：群众对整改是否满意（true 或 false）", field="satisfied")
        result, events = _services().record_case_satisfaction(
            _principal(), hall, case_id, _at(args), args["satisfied"], _now()
        )
        _publish(events)
        return _json(result)

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/appeal")
    def appeal_review_case(hall: str, case_id: int) -> Response:
        """An appeal (申诉) against the 差评, with its reason; once per case."""
        args = _body()
        inputs.only(args, {"reason"})
        reason = _note(args, "reason", required=True) or ""
        result, events = _services().file_case_appeal(_principal(), hall, case_id, reason, _now())
        _publish(events)
        return _json(result)

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/appeal-decision")
    def decide_review_case_appeal(hall: str, case_id: int) -> Response:
        """The appeal's decision: upheld (申诉成立) or not, with a note."""
        args = _body()
        inputs.only(args, {"upheld", "note"})
        if not isinstance(args.get("upheld"), bool):
            raise InvalidInput("缺少字段 upheld：申诉是否成立（true 或 false）", field="upheld")
        result, events = _services().decide_case_appeal(
            _principal(), hall, case_id, args["upheld"], _note(args, "note"), _now()
        )
        _publish(events)
        return _json(result)

    @bp.post("/halls/<hall>/review-cases/<uint:case_id>/close")
    def close_review_case(hall: str, case_id: int) -> Response:
        args = _body()
        inputs.only(args, {"note"})
        result, events = _services().close_review_case(_principal(), hall, case_id, _note(args, "note"), _now())
        _publish(events)
        return _json(result)

    @bp.get("/halls/<hall>/review-figures")
    def review_figures(hall: str) -> Response:
        """The 好差评 figures of the tickets finished on service days `from` to `to`."""
        args = _query_args(request.args, many=frozenset())
        inputs.only(args, FIGURE_FIELDS)
        day_from, day_to = inputs.day(args, "from", required=True), inputs.day(args, "to", required=True)
        by = inputs.choice(args, "by", Breakdown)
        assert day_from is not None and day_to is not None
        return _json(_services().review_figures(_principal(), hall, day_from, day_to, by))


def _at(args: dict[str, Any]) -> datetime | None:
    """When the step happened, if not now: a moment with its offset."""
    return inputs.instant(args, "at")


def _note(args: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    """A manager's text: lines allowed, no other control characters, at most `MAX_NOTE`."""
    value = args.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"缺少字段 {key}", field=key)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"字段 {key} 须是文本", field=key)
    if len(value) > MAX_NOTE:
        raise InvalidInput(f"字段 {key} 最多 {MAX_NOTE} 个字（现有 {len(value)} 个）", field=key)
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 for ch in value):
        raise InvalidInput(f"字段 {key} 含有不可见的控制字符，请删除后重试", field=key)
    return value.strip()
