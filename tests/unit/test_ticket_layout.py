"""The ticket's layout: wrapping to the paper's columns (a Chinese character is two) and
the blocks both renderers draw."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_printer.layout import (
    PAPER_58,
    PAPER_80,
    PAPERS,
    Gap,
    Qr,
    Text,
    char_columns,
    text_columns,
    ticket_layout,
    wrap,
)
from ticket_printer.ticket import sample_ticket


@pytest.mark.parametrize(
    ("character", "columns"),
    [("中", 2), ("，", 2), ("【", 2), ("A", 1), ("3", 1), (" ", 1), ("-", 1)],
    ids=["hanzi", "full-width-comma", "full-width-bracket", "letter", "digit", "space", "hyphen"],
)
def test_a_chinese_character_takes_two_columns(character: str, columns: int) -> None:
    assert char_columns(character) == columns


@pytest.mark.parametrize(
    ("text", "columns", "lines"),
    [
        pytest.param("过号请到导办台重新排队。", 32, ["过号请到导办台重新排队。"], id="fits"),
        pytest.param("一二三四五六七八九十", 10, ["一二三四五", "六七八九十"], id="hanzi-break-anywhere"),
        pytest.param("一二三四五，六七", 10, ["一二三四", "五，六七"], id="comma-never-starts-a-line"),
        pytest.param("一二三四（五六）", 10, ["一二三四", "（五六）"], id="bracket-never-ends-a-line"),
        pytest.param("请到 3 号窗口办理业务", 12, ["请到 3 号窗", "口办理业务"], id="digits-among-hanzi"),
        pytest.param("If you miss your call", 10, ["If you", "miss your", "call"], id="english-at-spaces"),
        pytest.param("Xq3vR8kP2mZtAbCd", 6, ["Xq3vR8", "kP2mZt", "AbCd"], id="a-word-longer-than-a-line"),
        pytest.param("  多个   空格  ", 10, ["多个 空格"], id="spaces-collapse"),
    ],
)
def test_wrap(text: str, columns: int, lines: list[str]) -> None:
    assert wrap(text, columns) == lines


@given(st.text(alphabet=st.sampled_from("中文号窗，。（）【】ab cd1 2"), max_size=60), st.integers(4, 48))
def test_wrapped_lines_fit_and_keep_every_character(text: str, columns: int) -> None:
    lines = wrap(text, columns)
    assert all(text_columns(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("paper", PAPERS.values(), ids=lambda paper: f"{paper.name}mm")
@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_every_line_fits_the_paper_at_its_size(paper, language) -> None:  # type: ignore[no-untyped-def]
    for block in ticket_layout(sample_ticket(language), paper):
        if isinstance(block, Text):
            assert all(text_columns(line) * block.width <= paper.columns for line in block.lines), block


def test_the_ticket_reads_top_to_bottom_as_the_hall_wants() -> None:
    blocks = ticket_layout(sample_ticket(), PAPER_58)
    texts = [line for block in blocks if isinstance(block, Text) for line in block.lines]
    assert texts[:4] == ["示范区政务服务中心", "不动产登记", "二手房转移登记", "B023"]
    assert texts[4:8] == ["【绿色通道】", "您前面还有 3 人", "预计等候约 15 分钟", "取号时间 2026-11-23 10:05"]
    assert isinstance(blocks[-4], Qr) and blocks[-4].content == "http://hall.example.cn/t/Xq3vR8kP2mZt"
    assert blocks[-3] == Text(("扫码查看排队进度",))
    assert isinstance(blocks[-2], Gap)
    assert blocks[-1] == Text(("请在休息区等候，留意大屏和语音叫", "号。", "过号请到导办台重新排队。"), align="left")


@pytest.mark.parametrize(("paper", "scale"), [(PAPER_58, 4), (PAPER_80, 6)], ids=["58mm", "80mm"])
def test_the_number_prints_large(paper, scale) -> None:  # type: ignore[no-untyped-def]
    number = next(
        block for block in ticket_layout(sample_ticket(), paper) if isinstance(block, Text) and block.width > 2
    )
    assert (number.lines, number.width, number.height, number.bold) == (("B023",), scale, scale, True)


@pytest.mark.parametrize("paper", PAPERS.values(), ids=lambda paper: f"{paper.name}mm")
def test_the_longest_number_allowed_still_fits_one_line(paper) -> None:  # type: ignore[no-untyped-def]
    ticket = replace(sample_ticket(), number="AB123456")
    blocks = ticket_layout(ticket, paper)
    number = next(block for block in blocks if isinstance(block, Text) and block.lines == ("AB123456",))
    assert len("AB123456") * number.width <= paper.columns
    assert number.width == number.height >= 4


def test_the_hall_name_is_double_width_where_it_fits_one_line() -> None:
    (hall_58, *_), (hall_80, *_) = ticket_layout(sample_ticket(), PAPER_58), ticket_layout(sample_ticket(), PAPER_80)
    assert (hall_58.width, hall_58.height) == (1, 2)  # type: ignore[union-attr]
    assert (hall_80.width, hall_80.height) == (2, 2)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("ahead", "wait", "language", "expected"),
    [
        (0, 0, "zh-CN", ["下一位就是您"]),
        (1, 3, "zh-CN", ["您前面还有 1 人", "预计等候约 3 分钟"]),
        (12, None, "zh-TW", ["您前面還有 12 人"]),
        (1, 4, "en", ["1 person ahead of you", "Estimated wait: about 4 min"]),
        (0, None, "en", ["You are next"]),
    ],
    ids=["next-zh-CN", "one-ahead", "no-estimate-zh-TW", "one-ahead-en", "next-en"],
)
def test_people_ahead_and_wait_read_naturally(ahead: int, wait: int | None, language: str, expected: list[str]) -> None:
    ticket = replace(sample_ticket(language), people_ahead=ahead, estimated_wait_minutes=wait)  # type: ignore[arg-type]
    status = next(
        block for block in ticket_layout(ticket, PAPER_80) if isinstance(block, Text) and len(block.lines) > 1
    )
    assert list(status.lines[:-1]) == expected


def test_a_ticket_without_item_priority_or_tips_leaves_them_out() -> None:
    ticket = replace(sample_ticket(), item_name=None, priority_label=None, tips=())
    blocks = ticket_layout(ticket, PAPER_58)
    texts = [line for block in blocks if isinstance(block, Text) for line in block.lines]
    assert texts[:3] == ["示范区政务服务中心", "不动产登记", "B023"]
    assert "【绿色通道】" not in texts
    assert isinstance(blocks[-1], Text) and blocks[-1].lines == ("扫码查看排队进度",)
