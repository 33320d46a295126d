"""The `queue-server` command: set up, import, users, devices, sweep."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from click.testing import CliRunner

from queue_server.app import close_app
from queue_server.cli import main


def run(instance: Path, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--instance", str(instance), *args], input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_a_newcomer_sets_up_a_hall_users_and_devices(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    code, out = run(instance, "init")
    assert code == 0 and "ready" in out and (instance / "secret_key").stat().st_mode & 0o077 == 0
    secret = (instance / "secret_key").read_text()
    run(instance, "init")
    assert (instance / "secret_key").read_text() == secret  # never overwritten
    hall_file = tmp_path / "hall.toml"
    from queue_server.cli import demo_hall_toml

    hall_file.write_text(demo_hall_toml(always_open=False), encoding="utf-8")
    code, out = run(instance, "import-hall", str(hall_file))
    assert code == 0 and "示范区政务服务中心" in out
    code, out = run(
        instance,
        "user",
        "create",
        "--username",
        "wang",
        "--role",
        "clerk",
        "--name",
        "王芳",
        "--hall",
        "demo",
        "--staff-number",
        "C001",
        input="s3cret-pass\ns3cret-pass\n",
    )
    assert code == 0, out
    code, out = run(
        instance,
        "user",
        "create",
        "--username",
        "li",
        "--role",
        "guide",
        "--name",
        "李",
        "--hall",
        "demo",
        "--password",
        "short",
    )
    assert code != 0 and "至少 8 位" in out
    code, out = run(instance, "device", "create", "--hall", "demo", "--kind", "window_screen", "--name", "1号窗口屏")
    assert code != 0 and "--window" in out
    code, out = run(
        instance,
        "device",
        "create",
        "--hall",
        "demo",
        "--kind",
        "window_screen",
        "--name",
        "1号窗口屏",
        "--window",
        "1",
    )
    assert code == 0
    token = re.search(r"token: (hqd_\S+)", out)
    assert token is not None
    code, out = run(instance, "device", "create", "--hall", "demo", "--kind", "printer", "--name", "导办台打印机")
    assert code != 0 and "--station" in out  # a printer serves a station
    code, out = run(
        instance,
        "device",
        "create",
        "--hall",
        "demo",
        "--kind",
        "printer",
        "--name",
        "导办台打印机",
        "--station",
        "desk-1",
    )
    assert code == 0, out
    code, out = run(
        instance, "device", "create", "--hall", "demo", "--kind", "printer", "--name", "新打印机", "--station", "desk-1"
    )
    assert code != 0 and "已有打印机 导办台打印机" in out  # one printer a station: revoke the old one first
    code, out = run(
        instance, "device", "create", "--hall", "demo", "--kind", "hall_screen", "--name", "大屏", "--station", "desk-1"
    )
    assert code != 0 and "只有打印机和自助取号机" in out
    code, out = run(instance, "device", "list")
    assert "window_screen" in out and token.group(1) not in out  # the token is shown once only
    assert "station desk-1 导办台打印机" in out
    code, out = run(instance, "device", "revoke", "1")
    assert code == 0 and "revoked" in run(instance, "device", "list")[1]
    code, out = run(instance, "user", "list")
    assert "wang" in out and "s3cret" not in out
    code, out = run(instance, "sweep")
    assert code == 0


def test_a_bad_hall_file_is_reported_with_its_key(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    run(instance, "init")
    hall_file = tmp_path / "hall.toml"
    hall_file.write_text('[hall]\ncode = "x"\nname = "x"\n[hall.hours]\nmon = ["9:00-17:00"]\n', encoding="utf-8")
    code, out = run(instance, "import-hall", str(hall_file))
    assert code != 0 and "hall.hours.mon" in out


def test_demo_sets_up_everything_and_prints_how_to_use_it(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    code, out = run(instance, "demo", "--no-serve", "--port", "8765")
    assert code == 0, out
    assert "http://127.0.0.1:8765/api/v1/openapi.json" in out
    assert "guide (guide)" in out and "demo-pass-2026" in out
    assert len(set(re.findall(r"hqd_[\w-]+", out))) == 7  # a printer at the desk and one at the kiosk
    assert (
        len(re.findall(r"TICKET_PRINTER_TOKEN=hqd_[\w-]+ ticket-printer --server http://127\.0\.0\.1:8765", out)) == 2
    )
    assert re.search(r"booking_platform +hqd_[\w-]+ +demo 预约平台", out)
    assert re.search(r"http://127\.0\.0\.1:8765/screens/hall#token=hqd_[\w-]+", out)
    assert re.search(r"http://127\.0\.0\.1:8765/screens/window#token=hqd_[\w-]+", out)
    code, again = run(instance, "demo", "--no-serve", "--port", "8765")
    assert code == 0, again
    # every start prints addresses that open: the demo's devices get new tokens, the old ones
    # are revoked (a token is shown once only)
    first, second = set(re.findall(r"hqd_[\w-]+", out)), set(re.findall(r"hqd_[\w-]+", again))
    assert len(second) == 7 and not first & second
    code, listed = run(instance, "device", "list")
    assert code == 0 and listed.count("demo 一楼综合屏") == 2, listed  # the first one revoked, kept on record


def test_a_demo_on_a_port_in_use_says_so_in_chinese_before_touching_the_database(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out = run(instance, "demo", "--port", str(port))
    assert code != 0 and f"端口 {port} 已被占用" in out and f"PORT={port + 1}" in out, out
    assert not (instance / "hall-queue.sqlite3").exists() and not (instance / "secret_key").exists()


def test_an_operator_sets_and_clears_a_staff_number(app) -> None:  # type: ignore[no-untyped-def]
    """`queue-server user set-staff-number`: the 工号 review pads show and ratings carry."""
    instance = Path(app.instance_path)
    close_app(app)  # the command line takes the database
    (instance / "secret_key").write_text(app.config["SECRET_KEY"])  # the test app's is in its config
    code, out = run(instance, "user", "set-staff-number", "clerk1", "GH-0042")
    assert code == 0 and "GH-0042" in out, out
    code, out = run(instance, "user", "list")
    assert code == 0
    code, out = run(instance, "user", "set-staff-number", "clerk1", "x\x01")
    assert code != 0 and "staff_number" in out, out
    code, out = run(instance, "user", "set-staff-number", "clerk1")
    assert code == 0 and "(none)" in out
    code, out = run(instance, "audit", "--action", "user_staff_number_set")
    assert code == 0 and out.count("clerk1") == 2, out
