"""schemathesis over the served OpenAPI document: as every role, every device kind and
nobody, no answer is a server error and every answer is one the document describes
(status code, content type, body schema).

schemathesis generates the requests once per module from `/api/v1/openapi.json`, valid
ones and invalid ones, derandomized so that every run sends the same. Each identity then
sends all of them, interleaved as a day's traffic is, to its own app over a fresh copy of
the test database after a little traffic of its own (tickets waiting, a clerk at window 1
with A001 called), so that requests reach real tickets, windows and calls and not only
"not found": path parameters, `since` and the codes inside bodies are often swapped for
the demo hall's real ones for the same reason. One request in six keeps the credentials
schemathesis made up (a bearer token, a CSRF token, or none) to walk the refusals too.
"""

from __future__ import annotations

import copy
import random
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.core import NotSet
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode

from queue_server import auth
from queue_server.api.openapi import openapi_document
from queue_server.app import close_app, create_app
from queue_server.cli import demo_hall_toml
from queue_server.domain.access import OPERATOR, DeviceKind
from queue_server.services import BookingRequest, IssueRequest, Services
from tests.conftest import MONDAY_10AM_SHANGHAI, OTHER_HALL, PASSWORD, TEST_CONFIG, Clock

# The hall file goes up as its UTF-8 text.
schemathesis.serializer.alias("application/toml", "text/plain")

CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
PEOPLE = ("guide", "clerk1", "manager", "admin")
IDENTITIES = ("anonymous", *PEOPLE, *(kind.value for kind in DeviceKind))
# Who is asking makes no difference to these: sent by nobody only.
ANYONE = frozenset({"GET /api/v1/health", "POST /api/v1/session", "GET /api/v1/t/{ref}"})
# These end what the others need (the day's tickets, the clerk's window): sent last.
LAST = frozenset({"POST /api/v1/halls/{hall}/sweep", "POST /api/v1/halls/{hall}/windows/{window}/release-window"})
# schemathesis leaves out the address it read the document from (test_docs checks it).
SCHEMA_ADDRESS = "GET /api/v1/openapi.json"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The demo hall's real names (see `_traffic`). `None` keeps what schemathesis generated.
REAL_PATH: dict[str, list[Any]] = {
    "hall": ["demo", "demo", "demo", "town", None],
    "window": [1, 1, 1, 2, 14, None],
    "ticket_id": [1, 2, 3, 11, None],
    "seq": [15, 15, 2, None],  # 15: the call of A001
    "device_id": [1, 2, 3, None],  # the hall screen, the window screen, the kiosk
    "user_id": [7, 6, 4, 1, None],  # other_guide, other_manager, clerk1, admin (who may not change itself)
    "reference": ["YY001", "YY001", "YY002", None],  # on time, early (see `_traffic`)
}
REAL_QUERY: dict[str, list[Any]] = {
    "since": [0, 0, 12, None],
    "day": ["2026-11-23", None],
    "ticket": [1, 11, None],  # print-jobs filters
    "printer": [4, 6, None],  # the desk's printer, the kiosk's
    "state": ["queued", None],
}
REAL_BODY: dict[str, list[Any]] = {
    "item": ["id-card", "company-registration", None],
    "bundle": ["newborn", None],
    "queue": ["comprehensive", "household", None],
    "to_queue": ["comprehensive", "real-estate", None],
    "ticket_number": ["A002", "A003", "A001", None],
    "zone": ["1f", "2f", None],
    "station": ["desk-1", "kiosk-1", None],
    "reference": ["YY001", "YY009", None],
    "service_day": ["2026-11-23", "2026-11-24", None],
    "slot_start": ["10:00", None],
    "slot_end": ["10:30", None],
}


@dataclass
class Generated:
    """One generated request, kept as plain data: each identity sends its own copy."""

    operation: Any
    mode: GenerationMode
    parts: dict[str, Any]
    # Sent with the credentials schemathesis made up in place of the identity's own.
    forged: bool = False

    @classmethod
    def of(cls, case: Any, mode: GenerationMode) -> Generated:
        parts = {
            "method": case.method,
            "path_parameters": case.path_parameters,
            "headers": dict(case.headers or {}),
            "cookies": case.cookies,
            "query": case.query,
        }
        if not isinstance(case.body, NotSet):
            parts |= {"body": case.body, "media_type": case.media_type}
        return cls(case.operation, mode, copy.deepcopy(parts))

    @property
    def label(self) -> str:
        return str(self.operation.label)

    def case(self) -> Any:
        return self.operation.Case(**copy.deepcopy(self.parts))


@dataclass
class Credentials:
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None


@dataclass
class Report:
    """What one identity's run saw: answers by operation, status and problem code."""

    answers: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    nonconforming: list[str] = field(default_factory=list)

    @property
    def operations(self) -> set[str]:
        return {label for label, _, _ in self.answers}

    def summary(self) -> str:
        return "\n".join(f"  {label} {status} {code} ×{n}" for (label, status, code), n in sorted(self.answers.items()))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, template_instance: tuple[Path, dict[str, str]]) -> list[Generated]:
    """Every request schemathesis makes from the served document, generated once."""
    template, _ = template_instance
    instance = tmp_path_factory.mktemp("corpus") / "instance"
    shutil.copytree(template, instance)
    app = create_app({**TEST_CONFIG, "CLOCK": Clock(MONDAY_10AM_SHANGHAI)}, instance_path=str(instance))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    generated: list[Generated] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            generated += _generate(operation, mode, examples)
    close_app(app)
    random.Random(20261123).shuffle(generated)
    generated.sort(key=lambda g: g.label in LAST)  # stable: the others keep their shuffled order
    for n, request in enumerate(generated):
        request.forged = n % 6 == 0
    return generated


def _generate(operation: Any, mode: GenerationMode, examples: int) -> list[Generated]:
    found: list[Generated] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def collect(case: Any, data: st.DataObject) -> None:
        for container, real in ((case.path_parameters, REAL_PATH), (case.query, REAL_QUERY), (case.body, REAL_BODY)):
            if isinstance(container, dict):
                for name, choices in real.items():
                    value = data.draw(st.sampled_from(choices)) if name in container else None
                    if value is not None:
                        container[name] = value
        if operation.label.endswith("/config") and data.draw(st.booleans()):
            case.body = data.draw(st.sampled_from([demo_hall_toml(always_open=False), OTHER_HALL]))
        found.append(Generated.of(case, mode))

    try:
        collect()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing in this operation's request can be made invalid (no parameters, no body)
    return found


def _traffic(app: Flask) -> None:
    """A001–A010 waiting for the comprehensive queue, C001 issued and cancelled (ticket 11),
    clerk1 at window 1 with A001 called (hall event 15); appointments YY001 (its check-in
    on time) and YY002 (too early yet)."""
    services: Services = app.extensions["hall_queue"]["services"]
    store = app.extensions["hall_queue"]["store"]
    now = MONDAY_10AM_SHANGHAI
    for _ in range(10):
        services.issue_ticket(OPERATOR, "demo", IssueRequest(queue="comprehensive"), now)
    other, _ = services.issue_ticket(OPERATOR, "demo", IssueRequest(queue="household"), now)
    services.cancel_ticket(OPERATOR, "demo", other["id"], "测试", now)
    with store.read() as db:
        clerk_id = db.execute("SELECT id FROM users WHERE username = 'clerk1'").fetchone()[0]
    clerk = auth.principal_for_user_id(store, clerk_id)
    services.open_window(clerk, "demo", 1, now)
    _, events = services.call_next(clerk, "demo", 1, now)
    assert (other["id"], [e.seq for e in events if e.type == "ticket_called"]) == (11, [REAL_PATH["seq"][0]])
    for reference, start, end in (("YY001", time(10), time(10, 30)), ("YY002", time(11), time(11, 30))):
        booking = BookingRequest(reference, now.date(), start, end, queue="comprehensive")
        services.book_appointment(OPERATOR, "demo", booking, now)


def _sign_in(app: Flask, identity: str) -> Credentials:
    if identity == "anonymous":
        return Credentials()
    if identity not in PEOPLE:
        return Credentials(headers={"Authorization": f"Bearer {app.config['TEST_TOKENS'][identity]}"})
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": identity, "password": PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return Credentials(cookies={"session": cookie.value}, csrf=response.get_json()["csrf_token"])


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_answer_is_one_the_document_describes(app: Flask, corpus: list[Generated], identity: str) -> None:
    _traffic(app)
    credentials = _sign_in(app, identity)
    report = Report()
    for generated in corpus:
        if generated.label in ANYONE and identity != "anonymous":
            continue
        _send(app, generated, identity, credentials, report)

    documented = {
        f"{method.upper()} {path}"
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method != "parameters"
    } - {SCHEMA_ADDRESS}
    assert {g.label for g in corpus} == documented, "schemathesis did not generate for every operation"
    expected = documented if identity == "anonymous" else documented - ANYONE
    assert report.operations == expected, f"not sent: {sorted(expected - report.operations)}"
    signed_in = report.answers[("GET /api/v1/session", 200, "")]
    assert (signed_in > 0) == (identity != "anonymous"), f"{identity}: sign-in not in effect\n{report.summary()}"
    assert not report.server_errors, "\n\n".join(report.server_errors)
    assert not report.nonconforming, "\n\n".join(report.nonconforming[:10])


def _send(app: Flask, generated: Generated, identity: str, credentials: Credentials, report: Report) -> None:
    case = generated.case()
    if not (generated.forged and identity == "anonymous"):
        case.headers.pop("Authorization", None)  # a made-up token would hide who is asking
    headers = dict(credentials.headers)
    if credentials.csrf and case.method.upper() in UNSAFE and not generated.forged:
        headers["X-CSRF-Token"] = credentials.csrf
    response = case.call(app=app, headers=headers, cookies=credentials.cookies)
    label = case.operation.label
    report.answers[(label, response.status_code, _problem_code(response))] += 1
    if response.status_code >= 500 and not _speech_missing(label, response):
        report.server_errors.append(f"{label} → {response.status_code}: {response.text[:500]}\n{_curl(case)}")
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as failures:
        report.nonconforming.append(f"{label} [{generated.mode.value}]: {failures}")


def _problem_code(response: Any) -> str:
    if response.status_code < 400:
        return ""
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return "(not JSON)"


def _speech_missing(label: str, response: Any) -> bool:
    """A machine without espeak-ng answers the audio route with 503, as documented."""
    return label.endswith(".wav") and response.status_code == 503 and "speech_unavailable" in response.text


def _curl(case: Any) -> str:
    try:
        return str(case.as_curl_command())
    except Exception:  # only a hint for reproducing
        return ""
