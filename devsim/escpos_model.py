"""What the virtual printer made of one job: printed rows, cuts, warnings.

Produced by ``devsim.escpos_parse.parse_job`` and drawn by ``devsim.escpos_png``. Kept free of
I/O so tests can compare a rendered document with what a printer would have put on paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clinicbox_core.errors import ValidationFailed


class EscposParseError(ValidationFailed):
    """The bytes cannot be one job at all: they are larger than any job can be."""

    default_key = "error.devsim.escpos_job_too_large"


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Run:
    """Text printed with one style. ``double_byte``: it came through Chinese (Big5) mode."""

    text: str
    bold: bool = False
    width: int = 1  # character width multiplier, 1..8
    height: int = 1  # character height multiplier, 1..8
    double_byte: bool = False


@dataclass(frozen=True, slots=True)
class TextRow:
    runs: tuple[Run, ...]
    align: Align = Align.LEFT

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


@dataclass(frozen=True, slots=True)
class ImageRow:
    """A GS v 0 raster image; ``bits`` packed rows (1 = black) or None when too large to keep."""

    width: int
    height: int
    bits: bytes | None
    scale_x: int = 1
    scale_y: int = 1
    align: Align = Align.LEFT

    @property
    def text(self) -> str:
        return f"[image {self.width}x{self.height}]"


@dataclass(frozen=True, slots=True)
class QrRow:
    data: str
    module_size: int = 3
    error_correction: str = "L"
    align: Align = Align.LEFT

    @property
    def text(self) -> str:
        return f"[QR {self.data}]"


@dataclass(frozen=True, slots=True)
class CutRow:
    partial: bool = False

    @property
    def text(self) -> str:
        return "[cut]"


Row = TextRow | ImageRow | QrRow | CutRow


@dataclass(frozen=True, slots=True)
class ParsedJob:
    rows: tuple[Row, ...] = ()
    warnings: tuple[str, ...] = ()
    status_requests: tuple[int, ...] = field(default=())

    @property
    def cut(self) -> bool:
        return any(isinstance(row, CutRow) for row in self.rows)

    def text_lines(self) -> list[str]:
        """One line per printed row: text, ``[image WxH]``, ``[QR data]`` or ``[cut]``."""
        return [row.text for row in self.rows]
