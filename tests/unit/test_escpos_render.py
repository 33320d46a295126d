"""The printed ticket as ESC/POS bytes: golden files compared byte for byte, and the
bytes read back as a printer would (tests/support/escpos_reader.py).

The golden files in tests/golden/ are the sample ticket (`sample_ticket`) in each paper
and language below. After an intended change to the layout, rewrite them with

    UPDATE_GOLDEN=1 python -m pytest tests/unit/test_escpos_render.py

and review the change (`python -m tests.support.show_golden tests/golden/*.bin` prints
them command by command) before committing them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.escpos_reader import UnreadableEscpos, read_escpos
from ticket_printer.escpos_render import render_escpos
from ticket_printer.layout import PAPER_58, PAPER_80, PAPERS, Paper, text_columns
from ticket_printer.ticket import Language, sample_ticket

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
GOLDEN_TICKETS: list[tuple[Language, Paper]] = [
    ("zh-CN", PAPER_58),
    ("zh-CN", PAPER_80),
    ("zh-TW", PAPER_80),
    ("en", PAPER_58),
]


def golden_path(language: str, paper: Paper) -> Path:
    return GOLDEN / f"ticket-{language}-{paper.name}mm.bin"


@pytest.mark.parametrize(("language", "paper"), GOLDEN_TICKETS, ids=lambda value: getattr(value, "name", value))
def test_the_ticket_matches_its_golden_file_byte_for_byte(language: Language, paper: Paper) -> None:
    rendered = render_escpos(sample_ticket(language), paper)
    path = golden_path(language, paper)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(rendered)
        pytest.skip(f"rewrote {path.name}: review the change before committing it")
    golden = path.read_bytes()
    # read both back first, so a difference shows as commands and text, not as hex
    assert read_escpos(rendered).commands == read_escpos(golden).commands
    assert read_escpos(rendered).lines == read_escpos(golden).lines
    assert rendered == golden


def test_rendering_is_pure_same_ticket_same_bytes() -> None:
    assert render_escpos(sample_ticket(), PAPER_58) == render_escpos(sample_ticket(), PAPER_58)


@pytest.mark.parametrize("paper", PAPERS.values(), ids=lambda paper: f"{paper.name}mm")
def test_a_chinese_ticket_is_a_few_hundred_bytes(paper: Paper) -> None:
    """The printer draws the QR code and the characters itself: no images on the wire."""
    assert 200 <= len(render_escpos(sample_ticket("zh-CN"), paper)) <= 400
    assert 200 <= len(render_escpos(sample_ticket("zh-TW"), paper)) <= 400


def test_the_ticket_reads_back_line_by_line_in_order() -> None:
    printout = read_escpos(render_escpos(sample_ticket(), PAPER_58))
    assert printout.texts() == [
        "示范区政务服务中心",
        "不动产登记",
        "二手房转移登记",
        "B023",
        "【绿色通道】",
        "您前面还有 3 人",
        "预计等候约 15 分钟",
        "取号时间 2026-11-23 10:05",
        "扫码查看排队进度",
        "",
        "请在休息区等候，留意大屏和语音叫",
        "号。",
        "过号请到导办台重新排队。",
    ]


def test_the_ticket_starts_with_a_reset_and_ends_with_a_feed_and_a_cut() -> None:
    data = render_escpos(sample_ticket(), PAPER_80)
    assert data.startswith(b"\x1b@")
    assert data.endswith(b"\x1bd\x06\x1dV\x00")
    printout = read_escpos(data)
    assert printout.cut
    assert printout.commands[-2:] == ["ESC d 6", "GS V 0"]


def test_chinese_is_gb18030_after_fs_ampersand() -> None:
    data = render_escpos(sample_ticket(), PAPER_58)
    fs_ampersand = data.index(b"\x1c&")
    first_high_byte = next(index for index, byte in enumerate(data) if byte >= 0x80)
    assert fs_ampersand < first_high_byte
    assert "示范区政务服务中心".encode("gb18030") in data
    assert "示范区政务服务中心".encode() not in data  # not UTF-8
    # Chinese mode is entered once and left before the cut
    assert data.count(b"\x1c&") == 1
    assert data.index(b"\x1c.") > data.rindex(b"\n")
    assert all(line.chinese_mode for line in read_escpos(data).lines if not line.text.isascii())


def test_traditional_chinese_goes_out_as_gb18030_too() -> None:
    data = render_escpos(sample_ticket("zh-TW"), PAPER_80)
    assert "示範區政務服務中心".encode("gb18030") in data
    assert "您前面還有 3 人" in read_escpos(data).texts()


def test_a_ticket_in_plain_ascii_never_enters_chinese_mode() -> None:
    """An English ticket of a hall with an English name prints on any ESC/POS printer."""
    data = render_escpos(sample_ticket("en"), PAPER_58)
    assert b"\x1c&" not in data and b"\x1c." not in data
    assert all(byte < 0x80 for byte in data)
    assert "3 people ahead of you" in read_escpos(data).texts()


def test_the_qr_code_is_the_printers_own_command_with_the_phone_address() -> None:
    data = render_escpos(sample_ticket(), PAPER_58)
    url = b"http://hall.example.cn/t/Xq3vR8kP2mZt"
    store = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url
    assert store in data
    assert b"\x1d(k\x03\x001Q0" in data  # print the stored symbol
    (qr,) = read_escpos(data).qr_codes
    assert (qr.content, qr.module_dots, qr.error_correction, qr.align) == (url.decode(), 5, "M", "center")


@pytest.mark.parametrize("paper", PAPERS.values(), ids=lambda paper: f"{paper.name}mm")
@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_every_printed_line_fits_the_paper(paper: Paper, language: Language) -> None:
    for line in read_escpos(render_escpos(sample_ticket(language), paper)).lines:
        assert text_columns(line.text) * line.width <= paper.columns, line


@pytest.mark.parametrize(("paper", "scale"), [(PAPER_58, 4), (PAPER_80, 6)], ids=["58mm", "80mm"])
def test_the_number_is_printed_large_and_bold(paper: Paper, scale: int) -> None:
    lines = read_escpos(render_escpos(sample_ticket(), paper)).lines
    (number,) = [line for line in lines if line.text == "B023"]
    assert (number.width, number.height, number.bold, number.align) == (scale, scale, True, "center")
    assert all(line.width <= 2 for line in lines if line is not number)


def test_the_tips_are_left_aligned_and_the_rest_centred() -> None:
    lines = read_escpos(render_escpos(sample_ticket(), PAPER_58)).lines
    tips = [line for line in lines if "排队。" in line.text or "请在休息区" in line.text]
    assert tips and all(line.align == "left" for line in tips)
    assert all(line.align == "center" for line in lines[:9])


def test_style_commands_are_sent_only_when_the_style_changes() -> None:
    commands = read_escpos(render_escpos(sample_ticket(), PAPER_58)).commands

    def sent(prefix: str) -> list[str]:
        return [command for command in commands if command.startswith(prefix)]

    assert sent("ESC a") == ["ESC a center", "ESC a left"]  # centred head, left-aligned tips
    assert sent("GS !") == ["GS ! 1x2", "GS ! 1x1", "GS ! 4x4", "GS ! 1x1"]  # hall name, number
    assert sent("ESC E") == ["ESC E 1", "ESC E 0", "ESC E 1", "ESC E 0"]  # hall and queue, number and priority
    assert sent("FS") == ["FS &", "FS ."]


def test_a_short_ticket_without_item_priority_and_tips() -> None:
    ticket = replace(sample_ticket(), item_name=None, priority_label=None, tips=(), people_ahead=0)
    printout = read_escpos(render_escpos(ticket, PAPER_58))
    assert printout.texts()[:4] == ["示范区政务服务中心", "不动产登记", "B023", "下一位就是您"]
    assert printout.texts()[-1] == "扫码查看排队进度"
    assert printout.cut


def test_the_reader_refuses_chinese_bytes_without_fs_ampersand() -> None:
    """The structure tests above are only as good as the reader: it must catch a
    ticket that forgot `FS &`."""
    with pytest.raises(UnreadableEscpos, match="outside Chinese mode"):
        read_escpos(b"\x1b@" + "号".encode("gb18030") + b"\n")


def test_importing_the_renderer_leaves_no_temp_folder_behind(tmp_path: Path) -> None:
    """python-escpos makes a folder in the temp directory when imported; our import
    of it removes it again. Plain `import escpos.printer` shows the leak is real."""
    ours, plain = tmp_path / "ours", tmp_path / "plain"
    for folder, statement in ((ours, "import ticket_printer.escpos_render"), (plain, "import escpos.printer")):
        folder.mkdir()
        environment = {**os.environ, "TMPDIR": str(folder), "PYTHONPATH": str(ROOT)}
        environment.pop("ESCPOS_CAPABILITIES_PICKLE_DIR", None)
        subprocess.run([sys.executable, "-c", statement], check=True, env=environment, cwd=ROOT)
    assert list(ours.iterdir()) == []
    assert len(list(plain.iterdir())) == 1
