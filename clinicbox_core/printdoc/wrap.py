"""Fixed-pitch line wrapping for receipt printers: CJK characters take two cells, ASCII one.

A 58 mm / 80 mm thermal printer in its default font prints 32 / 42 (Font A, 80 mm) ASCII
cells per line and every full-width (East Asian Wide/Fullwidth) character takes two. The
document builders wrap with :func:`wrap_cells`; the printer renderer can reuse it.
"""

from __future__ import annotations

import unicodedata
from collections import deque

__all__ = ["cell_width", "char_cells", "pad_to", "two_columns", "wrap_cells"]


def char_cells(char: str) -> int:
    """Cells one character occupies: 0 for combining/control, 2 for wide/fullwidth, else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Cc", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """Printed width of ``text`` in cells."""
    return sum(char_cells(c) for c in text)


def _tokens(paragraph: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for char in paragraph:
        if char in " \t":
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" ")
        elif char_cells(char) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def _split_long(token: str, room: int) -> tuple[str, str]:
    """The longest head of ``token`` fitting ``room`` cells (at least one character), and rest."""
    used, cut = 0, 0
    for i, char in enumerate(token):
        width = char_cells(char)
        if used + width > room and i > 0:
            break
        used += width
        cut = i + 1
    return token[:cut], token[cut:]


def wrap_cells(text: str, columns: int, *, hanging: int = 0) -> list[str]:
    """Wrap ``text`` to lines of at most ``columns`` cells (explicit newlines kept).

    ASCII words move whole to the next line when they fit there; longer words are split.
    Continuation lines of a paragraph start with ``hanging`` spaces. Trailing spaces are
    dropped. An empty text gives one empty line.
    """
    if columns < 2:
        raise ValueError("columns must be at least 2 (one wide character)")
    if not 0 <= hanging <= columns - 2:
        raise ValueError("hanging indent must leave room for one wide character")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        pending = deque(_tokens(paragraph))
        current, used, emitted = "", 0, False
        while pending:
            token = pending.popleft()
            width = cell_width(token)
            at_start = current.strip() == ""
            if token == " " and at_start:
                continue  # no leading spaces at a line start
            if used + width <= columns:
                current, used = current + token, used + width
                continue
            if token != " ":
                head, rest = _split_long(token, columns - used)
                fits_fresh_line = width <= columns - hanging
                if (not at_start and fits_fresh_line) or cell_width(head) > columns - used:
                    pending.appendleft(token)  # move the whole token to the next line
                else:
                    current += head
                    if rest:
                        pending.appendleft(rest)
            lines.append(current.rstrip())
            emitted = True
            current, used = " " * hanging, hanging
        if current.strip() or not emitted:
            lines.append(current.rstrip())
    return lines


def pad_to(text: str, cells: int) -> str:
    """``text`` right-padded with spaces to ``cells`` cells (unchanged if already wider)."""
    return text + " " * max(0, cells - cell_width(text))


def two_columns(left: str, right: str, columns: int) -> list[str]:
    """``left`` and ``right`` on one line, ``right`` flush right; wrapped when they do not fit."""
    gap = columns - cell_width(left) - cell_width(right)
    if gap >= 1:
        return [left + " " * gap + right]
    lines = wrap_cells(left, columns)
    last_gap = columns - cell_width(lines[-1]) - cell_width(right)
    if last_gap >= 1:
        lines[-1] = lines[-1] + " " * last_gap + right
    else:
        lines.extend(" " * max(0, columns - cell_width(r)) + r for r in wrap_cells(right, columns))
    return lines
