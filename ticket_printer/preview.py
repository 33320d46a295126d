"""The paper ticket as a picture: `render_preview(ticket, paper) -> PIL.Image`.

The desk shows it before and after printing; the kiosk shows it, QR code and all,
when the printer is out of paper or offline; tests look at it. It draws the blocks of
`layout.ticket_layout`, the same ones the printer gets, one pixel a printer dot: 384
pixels wide for 58 mm paper, 576 for 80 mm. Text sits in the printer's columns (12
dots a half-width character, 24 a Chinese one), enlarged text is scaled as the printer
scales it, and the QR code is drawn by the `qrcode` library at the printer's module
size, so what the picture shows is what the paper shows.

The Chinese font is WenQuanYi Micro Hei (Debian's fonts-wqy-microhei); another CJK
font is used where that one is missing, and `FontMissing` says what to install when
none is there.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from ticket_printer.layout import COLUMN_DOTS, Gap, Paper, Qr, Text, char_columns, text_columns, ticket_layout
from ticket_printer.ticket import PrintedTicket

# (file, face): the monospaced faces, whose letters all have one width like the printer's
# font, and Noto's Simplified Chinese face
CJK_FONTS = (
    (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 1),  # WenQuanYi Micro Hei Mono
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 1),  # WenQuanYi Zen Hei Mono
    (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),  # Noto Sans CJK SC
)
CHARACTER_DOTS = 24  # height of a normal character, and width of a Chinese one
LINE_DOTS = 30  # the printer's default line feed (ESC 2)
MARGIN_DOTS = 24  # paper above the first line and below the last, in the picture only
WHITE, BLACK = 255, 0


class FontMissing(RuntimeError):
    """No Chinese font to draw the preview with."""


def find_cjk_font() -> tuple[Path, int]:
    """The first installed font of `CJK_FONTS`, as (file, face index)."""
    for path, face in CJK_FONTS:
        if path.is_file():
            return path, face
    raise FontMissing(
        "no Chinese font for the ticket preview; install one: apt-get install fonts-wqy-microhei "
        f"(looked for {', '.join(str(path) for path, _ in CJK_FONTS)})"
    )


def render_preview(ticket: PrintedTicket, paper: Paper) -> Image.Image:
    """The ticket as a greyscale picture `paper.dots` pixels wide, as printed."""
    font_path = find_cjk_font()
    pieces: list[tuple[Image.Image, str]] = []  # a picture and its alignment, top to bottom
    for block in ticket_layout(ticket, paper):
        if isinstance(block, Text):
            for line in block.lines:
                picture = _text_line(line, font_path, block.width, block.height, block.bold)
                pieces.append((picture, block.align))
        elif isinstance(block, Qr):
            pieces.append((_qr(block.content, block.module_dots), "center"))
        elif isinstance(block, Gap):
            pieces.append((Image.new("L", (1, LINE_DOTS), WHITE), "left"))
    height = MARGIN_DOTS * 2 + sum(picture.height for picture, _ in pieces)
    ticket_picture = Image.new("L", (paper.dots, height), WHITE)
    top = MARGIN_DOTS
    for picture, align in pieces:
        left = (paper.dots - picture.width) // 2 if align == "center" else 0
        ticket_picture.paste(picture, (left, top))
        top += picture.height
    return ticket_picture


def render_preview_png(ticket: PrintedTicket, paper: Paper) -> bytes:
    """`render_preview` as PNG bytes, for a page or an API answer."""
    buffer = io.BytesIO()
    render_preview(ticket, paper).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _text_line(line: str, font_path: tuple[Path, int], width: int, height: int, bold: bool) -> Image.Image:
    """One printed line: each run of characters in its columns, scaled like the printer."""
    picture = Image.new("L", (max(1, text_columns(line) * COLUMN_DOTS * width), _advance(height)), WHITE)
    font = _font(font_path, CHARACTER_DOTS * height)
    left = 0
    for run in _runs(line):
        run_width = text_columns(run) * COLUMN_DOTS * width
        # the font's letters are 0.6 em wide, the printer's half of a Chinese character:
        # each run is fitted to its columns, so the picture keeps the printer's grid
        drawn = _draw_run(run, font, height, bold).resize((run_width, _advance(height)), Image.Resampling.LANCZOS)
        picture.paste(drawn, (left, 0))
        left += run_width
    return picture


def _draw_run(run: str, font: ImageFont.FreeTypeFont, height: int, bold: bool) -> Image.Image:
    """A run of text in the font, as wide as the font draws it and one line high.
    Bold is struck twice, shifted by a dot at normal size, as the printer does."""
    shift = height if bold else 0
    drawn = Image.new("L", (max(1, round(font.getlength(run))) + shift, _advance(height)), WHITE)
    draw = ImageDraw.Draw(drawn)
    for left in {0, shift}:
        # the font's em box reaches a little above the printer's 24-dot cell
        draw.text((left, -2 * height), run, font=font, fill=BLACK)
    return drawn


def _advance(height: int) -> int:
    """How far the paper moves for a line of characters `height` times the normal."""
    return CHARACTER_DOTS * height + (LINE_DOTS - CHARACTER_DOTS)


def _runs(line: str) -> Iterator[str]:
    """Runs of wide (Chinese) characters and of narrow ones."""
    run = ""
    for character in line:
        if run and char_columns(character) != char_columns(run[-1]):
            yield run
            run = ""
        run += character
    if run:
        yield run


def _qr(content: str, module_dots: int) -> Image.Image:
    """The QR code as the printer draws it: error correction M (as sent in `GS ( k`),
    `module_dots` a module, the smallest version that holds the address."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_dots, border=0)
    code.add_data(content)
    code.make(fit=True)
    matrix = code.get_matrix()
    side = len(matrix) * module_dots
    picture = Image.new("L", (side, side + LINE_DOTS - CHARACTER_DOTS), WHITE)
    draw = ImageDraw.Draw(picture)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                x, y = column * module_dots, row * module_dots
                draw.rectangle((x, y, x + module_dots - 1, y + module_dots - 1), fill=BLACK)
    return picture


@lru_cache(maxsize=16)
def _font(font: tuple[Path, int], size: int) -> ImageFont.FreeTypeFont:
    path, face = font
    return ImageFont.truetype(str(path), size=size, index=face)
