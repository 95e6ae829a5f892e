"""Turn a PrintDocument into the ESC/POS byte stream a receipt printer prints.

python-escpos does the encoding where it has an API (``escpos.printer.Dummy`` collects the bytes):
``hw("INIT")`` (ESC @), ``set()`` (ESC ! / ESC E / ESC a), ``textln()`` for ASCII, ``image()``
(GS v 0 raster), ``qr(native=True)`` (GS ( k) and ``cut()`` (ESC d 6, GS V 0). It has no API for
the printer's Chinese mode, so those bytes are written raw.

CJK text (decided for the project): Taiwanese receipt printers ship a Big5 font, so a line with
CJK characters is sent in Chinese mode as Big5 (FS & to enter, FS . to leave). That keeps jobs
small and the text searchable in the printer's job log. A line holding a character Big5 cannot
encode (rare name characters such as 堃 or 𠀋) is drawn as a raster image with Noto Sans Mono CJK
instead, so nothing is ever printed as '?'. ``PrinterSettings.cjk_mode = "raster"`` draws every
text line as an image, for printers without a Big5 font.

Layout: ``PrinterSettings.columns`` ASCII cells per line; a CJK character takes two, double size
text twice as many. Text lines are wrapped to that width (see edge_agent.printer.text).
"""

from __future__ import annotations

import copy

import qrcode  # type: ignore[import-untyped]
from escpos.capabilities import Profile, get_profile_class
from escpos.printer import Dummy

from clinicbox_core.printdoc.model import Blank, Cut, PrintDocument, QrCode, Rule, TextLine
from edge_agent.config import PrinterSettings
from edge_agent.printer.raster import line_image
from edge_agent.printer.text import needs_raster, printable_lines, wrap_cells

FS = b"\x1c"
CHINESE_ON = FS + b"&"
CHINESE_OFF = FS + b"."
PAPER_DOTS = 576  # 80 mm head; a cell is at most 12 dots (font A) and narrower for more columns


def cell_dots(columns: int) -> int:
    """Dots per ASCII cell: font A's 12 dots, or less when more columns share the 576-dot head."""
    return min(12, PAPER_DOTS // columns)


def _profile(columns: int) -> Profile:
    """The default profile, told the paper width so ``image()`` checks it instead of warning."""
    default = get_profile_class("default").profile_data
    profile = Profile(columns=columns, features=dict(default["features"]))
    data = copy.deepcopy(default)
    data["media"]["width"]["pixels"] = columns * cell_dots(columns)
    profile.profile_data = data
    return profile


def render(doc: PrintDocument, settings: PrinterSettings) -> bytes:
    """The ESC/POS bytes of ``doc`` for the printer described by ``settings``."""
    printer = Dummy(profile=_profile(settings.columns))
    printer.hw("INIT")
    for block in doc.blocks:
        if isinstance(block, TextLine):
            _text(printer, block, settings)
        elif isinstance(block, Rule):
            printer.set(align="left", bold=False, normal_textsize=True)
            printer.textln("-" * settings.columns)
        elif isinstance(block, Blank):
            printer.ln(block.lines)
        elif isinstance(block, QrCode):
            _qr(printer, block.data, settings.columns)
        elif isinstance(block, Cut):
            printer.cut()
    return bytes(printer.output)


def _text(printer: Dummy, block: TextLine, settings: PrinterSettings) -> None:
    printer.set(
        align=block.align.value,
        bold=block.bold,
        normal_textsize=not block.double,
        double_width=block.double,
        double_height=block.double,
    )
    width = settings.columns // 2 if block.double else settings.columns
    for source_line in printable_lines(block.text):
        for line in wrap_cells(source_line, width):
            if line and (settings.cjk_mode == "raster" or needs_raster(line)):
                image = line_image(
                    line,
                    cell_dots=cell_dots(settings.columns),
                    double=block.double,
                    bold=block.bold,
                )
                printer.image(image, impl="bitImageRaster")
            elif line.isascii():
                printer.textln(line)
            else:
                printer._raw(CHINESE_ON + line.encode("big5") + CHINESE_OFF + b"\n")


def _qr(printer: Dummy, data: str, columns: int) -> None:
    """Native QR (GS ( k): module size chosen so the symbol fits the paper width."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    modules = 17 + 4 * int(code.version)
    size = max(1, min(8, columns * cell_dots(columns) // (modules + 8)))
    printer.set(align="center", bold=False, normal_textsize=True)
    printer.qr(data, native=True, size=size, ec=1)  # 1 = QR_ECLEVEL_M
    printer.ln()
    printer.set(align="left")
