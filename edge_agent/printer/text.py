"""Text layout for receipt printers: cell widths, wrapping, and the Big5-or-raster decision.

A receipt printer lays text out on a grid of ASCII cells (``PrinterSettings.columns`` of them per
line). In the printer's Chinese mode a Big5 double-byte character takes two cells, and so does any
wide (CJK) character we draw as an image, so every width here is counted in those cells.

Lines are wrapped greedily by cells. An ASCII word that would be split is moved to the next line
when the current line has a space to break at; the space stays at the end of the first line, so
joining the wrapped lines always gives back the original text (the round-trip tests rely on it).
"""

from __future__ import annotations

import unicodedata

# Categories never sent to a printer: control bytes would be read as commands; format characters
# (zero-width joiners, bidi marks), surrogates and unassigned code points have no glyph.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable_lines(text: str) -> list[str]:
    """``text`` split at line breaks; tabs become spaces; characters without a glyph are dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return ["".join(_clean(ch) for ch in line) for line in lines]


def _clean(ch: str) -> str:
    if ch == "\t":
        return " "
    if unicodedata.category(ch) in _DROPPED_CATEGORIES:
        return ""
    return ch


def big5_bytes(ch: str) -> bytes | None:
    """The Big5 encoding of ``ch``, or None when Big5 has no code for it."""
    try:
        return ch.encode("big5")
    except UnicodeEncodeError:
        return None


def cell_width(ch: str) -> int:
    """Cells ``ch`` takes: 1 for ASCII, 2 for wide or Big5 double-byte characters, 0 for marks."""
    if ch.isascii():
        return 1
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    encoded = big5_bytes(ch)
    if encoded is not None and len(encoded) == 2:
        return 2
    return 1


def text_width(text: str) -> int:
    return sum(cell_width(ch) for ch in text)


def wrap_cells(text: str, width: int) -> list[str]:
    """Greedy wrap of one line into pieces of at most ``width`` cells; ``"".join`` gives ``text``.

    An empty ``text`` is one empty line. ``width`` must be at least 2 (one wide character).
    """
    if width < 2:
        raise ValueError(f"width must be at least 2 cells, not {width}")
    lines: list[str] = []
    current = ""
    used = 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width and current:
            split = current.rfind(" ")
            if _word_continues(current, ch) and 0 <= split < len(current) - 1:
                lines.append(current[: split + 1])
                current = current[split + 1 :]
                used = text_width(current)
            else:
                lines.append(current)
                current = ""
                used = 0
        current += ch
        used += w
    lines.append(current)
    return lines


def _word_continues(current: str, ch: str) -> bool:
    """Breaking before ``ch`` would cut an ASCII word in two."""
    return ch.isascii() and ch.isalnum() and current[-1:].isascii() and current[-1:].isalnum()


def needs_raster(line: str) -> bool:
    """True when ``line`` has a character Big5 cannot encode, so it must be printed as an image."""
    return any(not ch.isascii() and big5_bytes(ch) is None for ch in line)
