"""The NHI drug price list (健保用藥品項, 20 columns) and the effective-date pick ``price()``.

Why here: the cloud loads the list into its database and the fleet's signed reference-data
bundles carry it to the boxes; both must read the rows and pick a price the same way, so the row
model, the parser and the pick are one pure module (text in, rows out; no file access).

Source of the format (reference/nhi.md §8, [S25]: public code quoting the NHI CSV header; the
official file itself is not in our corpus): 20 columns ``異動, 藥品代號, 藥品英文名稱,
藥品中文名稱, 成分, 規格量, 規格單位, 單複方, 支付價, 有效起日, 有效迄日, 藥商, 製造廠名稱, 劑型,
藥品分類, 分類分組名稱, ATC代碼, 給付規定章節, 藥品代碼超連結, 給付規定章節連結``; UTF-8, often
with a BOM; dates ROC ``YYYMMDD``, sometimes space-padded; one 藥品代號 on several rows over time.

The pick (our reading; the source states no rule beyond "有效起日/有效迄日"):

* both dates are **inclusive**: a row is in force from its 有效起日 through its 有效迄日; an
  empty 迄日 or one of ``9991231`` or later means open-ended;
* when rows of one code overlap (a new price published before the old row was closed), the row
  with the **latest 有效起日** covering the date wins; equal 起日: the later row in the file wins
  (a re-publication replaces the earlier one);
* no row covering the date: no price (``None``), never the nearest one.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.roc_date import parse_roc_date

__all__ = [
    "HEADER",
    "DrugPriceRow",
    "PriceIndex",
    "is_price_list_header",
    "parse_price_list",
    "parse_roc_bound",
    "price",
    "row_in_force",
]

HEADER = (
    "異動", "藥品代號", "藥品英文名稱", "藥品中文名稱", "成分", "規格量", "規格單位", "單複方",
    "支付價", "有效起日", "有效迄日", "藥商", "製造廠名稱", "劑型", "藥品分類", "分類分組名稱",
    "ATC代碼", "給付規定章節", "藥品代碼超連結", "給付規定章節連結",
)  # fmt: skip
OPEN_END_ROC = 9991231  # 999/12/31 and later: no end


@dataclass(frozen=True, slots=True)
class DrugPriceRow:
    """One row of the list: a code's price and names for ``valid_from``..``valid_to`` (inclusive;
    ``None`` = open). ``line`` is the 1-based line in the file (ties are broken by it)."""

    code: str
    valid_from: date
    valid_to: date | None
    price: Decimal
    name_en: str
    name_zh: str
    ingredient: str = ""
    strength: str = ""
    strength_unit: str = ""
    compound: str = ""  # 單複方
    vendor: str = ""
    manufacturer: str = ""
    dosage_form: str = ""
    category: str = ""
    group_name: str = ""
    atc_code: str = ""
    change_mark: str = ""  # 異動
    line: int = 0

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def parse_roc_bound(text: str, *, field: str) -> date | None:
    """A ROC date (``YYYMMDD``, padding spaces allowed) or ``None`` for empty / open-ended."""
    t = text.strip()
    if not t:
        return None
    if not t.isdigit() or len(t) > 7:
        raise ValidationFailed("error.refdata.bad_date", field=field, value=text)
    if int(t) >= OPEN_END_ROC:
        return None
    try:
        return parse_roc_date(t.zfill(7))
    except ValueError as exc:
        raise ValidationFailed("error.refdata.bad_date", field=field, value=text) from exc


def _row(cells: list[str], line: int) -> DrugPriceRow:
    c = [x.strip() for x in cells] + [""] * (len(HEADER) - len(cells))
    code = c[1]
    if not code or len(code) > 12:
        raise ValidationFailed("error.refdata.bad_drug_code", field="藥品代號", line=line)
    start = parse_roc_bound(c[9], field="有效起日")
    if start is None:
        raise ValidationFailed("error.refdata.bad_date", field="有效起日", line=line, value=c[9])
    end = parse_roc_bound(c[10], field="有效迄日")
    if end is not None and end < start:
        raise ValidationFailed("error.refdata.bad_date", field="有效迄日", line=line, value=c[10])
    try:
        amount = Decimal(c[8] or "0")
    except InvalidOperation as exc:
        raise ValidationFailed("error.refdata.bad_price", field="支付價", line=line) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed("error.refdata.bad_price", field="支付價", line=line)
    return DrugPriceRow(
        code=code, valid_from=start, valid_to=end, price=amount, name_en=c[2], name_zh=c[3],
        ingredient=c[4], strength=c[5], strength_unit=c[6], compound=c[7], vendor=c[11],
        manufacturer=c[12], dosage_form=c[13], category=c[14], group_name=c[15],
        atc_code=c[16], change_mark=c[0], line=line,
    )  # fmt: skip


def is_price_list_header(first_line: str) -> bool:
    """Whether a CSV's header line is the 20-column price list's (BOM and spaces ignored)."""
    cells = [x.strip() for x in next(csv.reader([first_line.lstrip("\ufeff")]), [])]
    return "藥品代號" in cells and "支付價" in cells and "有效起日" in cells


def parse_price_list(text: str) -> list[DrugPriceRow]:
    """Rows of the list's CSV text (header required; columns found by name, so their order and
    extra columns do not matter). A bad row is a ``ValidationFailed`` naming the field and line."""
    reader = csv.reader(text.lstrip("\ufeff").splitlines(keepends=True))
    rows = []
    try:
        header = [h.strip() for h in next(reader, [])]
        missing = [h for h in HEADER[:17] if h not in header]
        if missing:
            raise ValidationFailed("error.refdata.bad_header", field=missing[0])
        pos = [header.index(h) if h in header else -1 for h in HEADER]
        for cells in reader:
            if not any(x.strip() for x in cells):
                continue
            ordered = [cells[i] if 0 <= i < len(cells) else "" for i in pos]
            rows.append(_row(ordered, reader.line_num))
    except csv.Error as exc:
        raise ValidationFailed("error.refdata.bad_csv", line=reader.line_num) from exc
    return rows


def _order(row: DrugPriceRow) -> tuple[date, int]:
    return (row.valid_from, row.line)


class PriceIndex:
    """Rows grouped by code and sorted by (有效起日, line) for repeated look-ups."""

    def __init__(self, rows: Iterable[DrugPriceRow]) -> None:
        by_code: dict[str, list[DrugPriceRow]] = {}
        for r in rows:
            by_code.setdefault(r.code, []).append(r)
        self._rows = {k: sorted(v, key=_order) for k, v in by_code.items()}
        self._starts = {k: [r.valid_from for r in v] for k, v in self._rows.items()}

    def row(self, code: str, on: date) -> DrugPriceRow | None:
        rows = self._rows.get(code)
        if not rows:
            return None
        # latest start on or before ``on`` first; walk back past rows that ended earlier
        for i in range(bisect_right(self._starts[code], on) - 1, -1, -1):
            if rows[i].covers(on):
                return rows[i]
        return None

    def price(self, code: str, on: date) -> Decimal | None:
        found = self.row(code, on)
        return None if found is None else found.price


def row_in_force(rows: Sequence[DrugPriceRow], code: str, on: date) -> DrugPriceRow | None:
    """The row of ``code`` in force on ``on`` (rule in the module docstring), or ``None``."""
    covering = [r for r in rows if r.code == code and r.covers(on)]
    return max(covering, key=_order, default=None)


def price(rows: Sequence[DrugPriceRow] | PriceIndex, code: str, on: date) -> Decimal | None:
    """支付價 of drug ``code`` on ``on`` (points per unit), or ``None`` when no row covers it."""
    if isinstance(rows, PriceIndex):
        return rows.price(code, on)
    found = row_in_force(rows, code, on)
    return None if found is None else found.price
