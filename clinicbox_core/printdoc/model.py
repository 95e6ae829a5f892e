"""Block model of a printed page: text lines, rules, blank lines, QR codes, cut."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Align(StrEnum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class _Block(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TextLine(_Block):
    kind: Literal["text"] = "text"
    text: str
    bold: bool = False
    double: bool = False  # double width and height (titles, patient name)
    align: Align = Align.LEFT


class Rule(_Block):
    kind: Literal["rule"] = "rule"


class Blank(_Block):
    kind: Literal["blank"] = "blank"
    lines: int = Field(default=1, ge=1, le=10)


class QrCode(_Block):
    kind: Literal["qr"] = "qr"
    data: str = Field(min_length=1, max_length=1000)


class Cut(_Block):
    kind: Literal["cut"] = "cut"


Block = Annotated[TextLine | Rule | Blank | QrCode | Cut, Field(discriminator="kind")]


class PrintDocument(BaseModel):
    """One printout. ``title`` is for logs and the job list, not printed by itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str
    blocks: list[Block]

    def plain_text(self) -> str:
        """The document's text, one line per text block (for logs, previews and tests)."""
        return "\n".join(b.text for b in self.blocks if isinstance(b, TextLine))
