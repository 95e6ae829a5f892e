"""Draw one line of text as a 1-bit image, for characters the printer's Big5 font cannot print.

Rare name characters (堃, 喆, 𠀋...) have no Big5 code, and some printers have no Chinese font at
all (``cjk_mode = "raster"``). Such lines are drawn here with Noto Sans Mono CJK TC, whose ASCII
glyphs are exactly half as wide as its CJK glyphs, so the image keeps the printer's cell grid:
one cell is ``cell_dots`` wide and ``2 * cell_dots`` high, a wide character two cells; below
the glyphs the image keeps the printer's line gap so image lines and text lines are spaced alike.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from edge_agent.printer.text import cell_width, text_width

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts"))
REGULAR_FONT = "NotoSansCJK-Regular.ttc"
BOLD_FONT = "NotoSansCJK-Bold.ttc"
FACE_NAME = "Noto Sans Mono CJK TC"


class FontMissing(RuntimeError):
    """The Noto CJK font is not installed (Debian package fonts-noto-cjk)."""


@functools.cache
def _font_file(file_name: str) -> Path:
    for directory in FONT_DIRS:
        direct = directory / file_name
        if direct.is_file():
            return direct
        found = sorted(directory.rglob(file_name)) if directory.is_dir() else []
        if found:
            return found[0]
    raise FontMissing(f"{file_name} not found under {', '.join(map(str, FONT_DIRS))}")


@functools.cache
def _face(file_name: str, size: int) -> ImageFont.FreeTypeFont:
    """The TC monospaced face of the collection (its index differs between font releases)."""
    path = _font_file(file_name)
    index = 0
    while True:
        try:
            font = ImageFont.truetype(str(path), size, index=index)
        except OSError as exc:
            raise FontMissing(f"{FACE_NAME} not found in {path}") from exc
        if font.getname()[0] == FACE_NAME:
            return font
        index += 1


def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans Mono CJK TC at ``size`` pixels (bold falls back to regular if not installed)."""
    if bold:
        try:
            return _face(BOLD_FONT, size)
        except FontMissing:
            pass
    return _face(REGULAR_FONT, size)


def line_image(text: str, *, cell_dots: int, double: bool, bold: bool) -> Image.Image:
    """``text`` as a black-on-white mode "1" image, ``text_width(text)`` cells wide.

    Each character is drawn in its own cell so that a glyph wider than its cell (rare in a
    monospaced face) never pushes the rest of the line off the grid.
    """
    scale = 2 if double else 1
    cell = cell_dots * scale
    glyph_height = 2 * cell
    height = glyph_height + cell_dots // 2  # the printer's default line gap, as text lines get
    width = max(8, -(-text_width(text) * cell // 8) * 8)  # whole bytes, as GS v 0 sends them
    image = Image.new("L", (width, height), 255)
    face = font(glyph_height, bold=bold)
    x = 0
    for ch in text:
        cells = cell_width(ch)
        if cells and not ch.isspace():
            slot = cells * cell
            glyph = Image.new("L", (max(slot, int(face.getlength(ch)) + 1), height), 255)
            # CJK em box: baseline at 0.88 em, so the box fills the cell from top to bottom.
            ImageDraw.Draw(glyph).text(
                (0, round(0.88 * glyph_height)), ch, font=face, fill=0, anchor="ls"
            )
            if glyph.width > slot:
                glyph = glyph.resize((slot, height))
            image.paste(glyph, (x, 0))
        x += cells * cell
    return image.point(lambda v: 0 if v < 128 else 255).convert("1")
