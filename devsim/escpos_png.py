"""Draw a parsed job the way an 80 mm thermal printer would put it on paper, as a PNG.

Text uses Noto Sans Mono CJK TC on the printer's cell grid (12 x 24 dots per ASCII cell, Big5 and
wide characters two cells), scaled by the ESC ! / GS ! multipliers; raster images are pasted
dot for dot; QR codes are drawn with the ``qrcode`` package at the module size the job set.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import qrcode  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont, ImageOps
from qrcode.exceptions import DataOverflowError  # type: ignore[import-untyped]

from devsim.escpos_model import Align, CutRow, ImageRow, ParsedJob, QrRow, Run, TextRow

PAPER_DOTS = 576
MARGIN = 16
CELL_W, CELL_H, LINE_GAP = 12, 24, 6
MAX_HEIGHT = 30_000
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FACE = "Noto Sans Mono CJK TC"
_QR_EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    path = FONT_DIR / ("NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc")
    if not path.exists():
        path = FONT_DIR / "NotoSansCJK-Regular.ttc"
    for index in range(16):
        face = ImageFont.truetype(str(path), CELL_H, index=index)
        if face.getname()[0] == FACE:
            return face
    raise FileNotFoundError(f"{FACE} is not in {path}")


def _cells(ch: str, double_byte: bool) -> int:
    if ch.isascii():
        return 1
    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if double_byte or unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _run_image(run: Run, room: int) -> Image.Image:
    """One styled run at 1x on the cell grid, stretched by its multipliers, clipped to ``room``."""
    text, widths, used = "", [], 0
    for ch in run.text:
        cells = _cells(ch, run.double_byte)
        if (used + cells) * CELL_W * run.width > room:
            break
        text, used = text + ch, used + cells
        widths.append(cells)
    image = Image.new("L", (max(1, used * CELL_W), CELL_H), 255)
    draw = ImageDraw.Draw(image)
    face = _font(run.bold)
    x = 0
    for ch, cells in zip(text, widths, strict=True):
        if cells and not ch.isspace():
            draw.text((x, round(0.88 * CELL_H)), ch, font=face, fill=0, anchor="ls")
        x += cells * CELL_W
    if run.width != 1 or run.height != 1:
        image = image.resize(
            (image.width * run.width, CELL_H * run.height), Image.Resampling.NEAREST
        )
    return image


def _text_row(row: TextRow) -> Image.Image:
    """The row's runs side by side; what passes the paper edge is cut off."""
    parts: list[Image.Image] = []
    room = PAPER_DOTS
    for run in row.runs:
        if run.text and room > 0:
            parts.append(_run_image(run, room))
            room -= parts[-1].width
    height = max([CELL_H, *(p.height for p in parts)])
    image = Image.new("L", (max(1, sum(p.width for p in parts)), height + LINE_GAP), 255)
    x = 0
    for part in parts:
        image.paste(part, (x, height - part.height))  # runs share the baseline
        x += part.width
    return image


def _image_row(row: ImageRow) -> Image.Image:
    if row.bits is None:
        placeholder = Image.new("L", (min(row.width, PAPER_DOTS), 24), 200)
        return placeholder
    packed = Image.frombytes("1", (row.width, row.height), row.bits)
    packed = packed.crop((0, 0, min(row.width, PAPER_DOTS), min(row.height, MAX_HEIGHT)))
    image = ImageOps.invert(packed.convert("L"))  # ESC/POS: 1 = black; PIL "1": 1 = white
    if row.scale_x != 1 or row.scale_y != 1:
        size = (row.width * row.scale_x, row.height * row.scale_y)
        image = image.resize(size, Image.Resampling.NEAREST)
    return image


def _qr_row(row: QrRow) -> Image.Image:
    code = qrcode.QRCode(
        error_correction=_QR_EC.get(row.error_correction, qrcode.constants.ERROR_CORRECT_L),
        box_size=max(1, min(16, row.module_size)),
        border=1,
    )
    code.add_data(row.data)
    try:
        code.make(fit=True)
    except DataOverflowError:
        return Image.new("L", (PAPER_DOTS // 2, 24), 200)  # more data than a QR symbol holds
    image: Image.Image = code.make_image().get_image().convert("L")
    return image.crop((0, 0, min(image.width, PAPER_DOTS), min(image.height, PAPER_DOTS)))


def _cut_row() -> Image.Image:
    image = Image.new("L", (PAPER_DOTS, 12), 255)
    ImageDraw.Draw(image).line([(0, 6), (PAPER_DOTS, 6)], fill=128, width=1)
    return image


def render_png(job: ParsedJob) -> Image.Image:
    """The job on a strip of paper ``PAPER_DOTS`` wide (plus margins), as a greyscale image."""
    pieces: list[tuple[Image.Image, Align]] = []
    for row in job.rows:
        if isinstance(row, TextRow):
            pieces.append((_text_row(row), row.align))
        elif isinstance(row, ImageRow):
            pieces.append((_image_row(row), row.align))
        elif isinstance(row, QrRow):
            pieces.append((_qr_row(row), row.align))
        elif isinstance(row, CutRow):
            pieces.append((_cut_row(), Align.LEFT))
    height = min(MAX_HEIGHT, 2 * MARGIN + sum(p.height for p, _ in pieces))
    paper = Image.new("L", (PAPER_DOTS + 2 * MARGIN, height), 255)
    y = MARGIN
    for piece, align in pieces:
        if y >= height:
            break
        free = PAPER_DOTS - piece.width
        x = MARGIN + (0 if align is Align.LEFT else free // 2 if align is Align.CENTER else free)
        paper.paste(piece, (max(MARGIN, x), y))
        y += piece.height
    return paper
