"""GET /api/v1/halls/{hall}/catalogue: what the desk and the kiosk search and issue from.

Search keys are computed on the server with pypinyin; each queue's figures are the
hall's own (waiting, issued against the cap, issuing hours, estimated wait)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from queue_server.api.openapi import openapi_document
from tests.support.fresh_python import run_script


def _by_code(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in entries}


def _valid(answer: dict[str, Any]) -> None:
    validator = jsonschema_rs.validator_for({"$ref": "#/components/schemas/Catalogue", **openapi_document()})
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(answer)]
    assert not errors, "\n".join(errors)


def test_every_name_has_its_pinyin_initials_and_full_pinyin(login) -> None:  # type: ignore[no-untyped-def]
    """A guide types `bdc` for 不动产登记: the keys come from a pinyin dictionary, phrase by phrase."""
    catalogue = login("guide").get("/halls/demo/catalogue")
    _valid(catalogue)
    queues, items, bundles = (_by_code(catalogue[k]) for k in ("queues", "items", "bundles"))
    assert queues["real-estate"]["name"] == "不动产登记"
    assert (queues["real-estate"]["initials"], queues["real-estate"]["pinyin"]) == ("bdcdj", "budongchandengji")
    assert items["property-mortgage"]["initials"] == "bdcdydj"
    assert items["bank-account"]["pinyin"] == "qiyeyinhangkaihuyuyue"  # 银行 reads yin hang
    assert items["id-card"]["initials"] == "jmsfzslhlbl"
    # quotation marks and brackets are not typed
    assert (bundles["enterprise-start"]["initials"], bundles["enterprise-start"]["pinyin"]) == (
        "qykbyjs",
        "qiyekaibanyijianshi",
    )
    assert bundles["enterprise-start"]["queue"] == "comprehensive" and len(bundles["enterprise-start"]["items"]) == 7
    assert len(items) == 40 and len(queues) == 8 and len(bundles) == 3
    assert catalogue["priority_classes"] == ["senior", "disability", "pregnancy", "service_member"]
    assert catalogue["hall"] == {"code": "demo", "name": "示范区政务服务中心", "timezone": "Asia/Shanghai"}


def test_each_queue_says_how_long_a_ticket_taken_now_would_wait(login) -> None:  # type: ignore[no-untyped-def]
    guide, clerk = login("guide"), login("clerk1")
    for _ in range(3):
        guide.post("/halls/demo/tickets", {"queue": "household"}, status=201)
    household = _by_code(guide.get("/halls/demo/catalogue")["queues"])["household"]
    # 3 waiting, 10 minutes each, windows 14 and 15 serve it, none open yet: both counted
    # as opening now (the hall is open), two called at once, the third and a new one at 10
    assert household["waiting"] == 3 and household["issued"] == 3 and household["daily_cap"] == 200
    assert household["windows"] == [14, 15] and household["windows_open"] == 0
    assert household["estimated_wait_minutes"] == 10
    clerk.post("/halls/demo/windows/14/open-window")
    household = _by_code(guide.get("/halls/demo/catalogue")["queues"])["household"]
    assert household["windows_open"] == 1 and household["estimated_wait_minutes"] == 30
    assert household["issuing"] is True and household["issuing_hours"] == ["09:00-12:00", "13:00-17:00"]
    real_estate = _by_code(guide.get("/halls/demo/catalogue")["queues"])["real-estate"]
    assert real_estate["issuing_hours"] == ["08:30-11:30", "13:00-16:30"]
    reflection = _by_code(guide.get("/halls/demo/catalogue")["queues"])["reflection"]
    assert reflection["priority_calls"] is False and real_estate["priority_calls"] is True


def test_a_closed_queue_says_so_and_when_it_issues(login, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = clock.now.replace(hour=4)  # 12:00 in Shanghai: the lunch break
    queues = _by_code(login("guide").get("/halls/demo/catalogue")["queues"])
    assert queues["real-estate"]["issuing"] is False
    assert queues["real-estate"]["issuing_hours"] == ["08:30-11:30", "13:00-16:30"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("guide", 200),
        ("clerk1", 200),
        ("manager", 200),
        ("admin", 200),
        ("other_manager", 403),  # another hall's manager
        ("kiosk", 200),
        ("hall_screen", 403),
        ("window_screen", 403),
        ("printer", 403),
        ("review_pad", 403),
        ("anonymous", 401),
    ],
    ids=lambda value: str(value),
)
def test_only_who_issues_transfers_or_oversees_reads_it(app, login, device, who: str, status: int) -> None:  # type: ignore[no-untyped-def]
    if who == "anonymous":
        response = app.test_client().get("/api/v1/halls/demo/catalogue")
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
        return
    caller = device(who) if who in app.config["TEST_TOKENS"] else login(who)
    answer = caller.get("/halls/demo/catalogue", status=status)
    if status != 200:
        assert "queues" not in answer and answer["status"] == status


def test_another_hall_has_its_own_catalogue(login) -> None:  # type: ignore[no-untyped-def]
    town = login("other_guide").get("/halls/town/catalogue")
    _valid(town)
    assert [q["code"] for q in town["queues"]] == ["general"]
    assert town["items"] == [] and town["bundles"] == []
    assert town["queues"][0]["initials"] == "zhsl"
    login("other_guide").get("/halls/demo/catalogue", status=403)


def test_bad_addresses_get_a_clear_answer(login) -> None:  # type: ignore[no-untyped-def]
    guide = login("guide")
    # a guide of one hall may not learn whether another code names a hall
    assert guide.get("/halls/nowhere/catalogue", status=403)["code"] == "forbidden"
    assert "nowhere" in login("admin").get("/halls/nowhere/catalogue", status=404)["detail"]
    refused = guide.get("/halls/demo/catalogue?q=bdc", status=422)
    assert refused["field"] == "q"


def test_the_page_tests_search_the_catalogue_the_server_gives(login) -> None:  # type: ignore[no-untyped-def]
    """tests/js/ rank matches over a copy of the demo hall's catalogue: it must be the
    server's, keys and all (rewrite it from the answer after changing the demo hall)."""
    fixture = json.loads((Path(__file__).parents[1] / "js" / "fixtures" / "demo-catalogue.json").read_text())
    served = login("guide").get("/halls/demo/catalogue")
    for kind in ("items", "bundles", "queues"):
        fields = fixture[kind][0].keys()
        assert fixture[kind] == [{key: entry[key] for key in fields} for entry in served[kind]], kind


# A server over a hall imported elsewhere (the command line, the template here): which
# modules its catalogue read loads, in a process of its own.
SERVER_READS_THE_CATALOGUE = """
import json, sys
from queue_server.app import create_app
from queue_server.domain import clock
from queue_server.domain.access import OPERATOR
config = {"ASYNC_MODE": "threading", "SECRET_KEY": "test-secret-key-0123456789", "BACKGROUND_JOBS": False}
app = create_app(config, instance_path=sys.argv[1])
found = app.extensions["hall_queue"]["services"].catalogue(OPERATOR, "demo", clock.utc_now())
item = next(i for i in found["items"] if i["code"] == "property-transfer")
print(json.dumps({"item": item, "pypinyin": "pypinyin" in sys.modules}))
"""


def test_a_server_reads_the_keys_the_halls_import_stored_and_never_loads_pypinyin(
    template_instance: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """pypinyin's dictionary costs a process about 55 MiB: the import computed the keys
    (in the test session here), the server reads them."""
    instance = tmp_path / "instance"
    shutil.copytree(template_instance[0], instance)
    read = run_script(SERVER_READS_THE_CATALOGUE, str(instance))
    assert read["pypinyin"] is False
    assert (read["item"]["name"], read["item"]["initials"]) == ("不动产转移登记（二手房过户）", "bdczydjesfgh")
