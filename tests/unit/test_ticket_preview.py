"""The ticket's PNG preview: the printer's width in pixels, every character drawn with a
real glyph, and a copy in build/screenshots/ (as the screens' browser tests keep theirs)
for a person to look at."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from ticket_printer import preview
from ticket_printer.layout import PAPER_58, PAPER_80, Paper, Text, ticket_layout
from ticket_printer.preview import FontMissing, find_cjk_font, render_preview, render_preview_png
from ticket_printer.ticket import Language, sample_ticket

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PREVIEWS: list[tuple[Language, Paper]] = [
    ("zh-CN", PAPER_58),
    ("zh-CN", PAPER_80),
    ("zh-TW", PAPER_80),
    ("en", PAPER_58),
]


def dark_share(picture: Image.Image) -> float:
    """The share of pixels darker than mid-grey."""
    histogram = picture.convert("L").histogram()
    return sum(histogram[:128]) / (picture.width * picture.height)


@pytest.mark.parametrize(("language", "paper"), PREVIEWS, ids=lambda value: getattr(value, "name", value))
def test_the_preview_is_as_wide_as_the_printer_and_saved_for_a_look(language: Language, paper: Paper) -> None:
    picture = render_preview(sample_ticket(language), paper)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture.save(SCREENSHOTS / f"ticket-{language}-{paper.name}mm.png")
    assert picture.width == {"58": 384, "80": 576}[paper.name]
    assert 500 <= picture.height <= 1200  # a receipt, not a banner or a stub
    assert 0.08 <= dark_share(picture) <= 0.4  # text and a QR code, neither blank nor black


def test_the_png_bytes_decode_to_the_same_picture() -> None:
    data = render_preview_png(sample_ticket(), PAPER_58)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == render_preview(sample_ticket(), PAPER_58).size


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW"])
def test_every_character_on_the_ticket_has_a_glyph_in_the_font(language: Language) -> None:
    """No boxes: each character draws differently from a character the font lacks."""
    path, face = find_cjk_font()
    font = ImageFont.truetype(str(path), 24, index=face)

    def glyph(character: str) -> tuple[tuple[int, int], bytes]:
        mask = font.getmask(character)
        return mask.size, bytes(mask)

    missing = glyph("\ue000")  # a private-use character: no font draws it
    assert glyph("\U00020000") == missing  # and the check sees a real gap (CJK extension B)
    texts = "".join(
        line
        for block in ticket_layout(sample_ticket(language), PAPER_80)
        if isinstance(block, Text)
        for line in block.lines
    )
    lacking = sorted({character for character in texts if not character.isspace() and glyph(character) == missing})
    assert lacking == []


def test_a_missing_font_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(preview, "CJK_FONTS", ((tmp_path / "none.ttc", 0),))
    with pytest.raises(FontMissing, match="apt-get install fonts-wqy-microhei"):
        render_preview(sample_ticket(), PAPER_58)
