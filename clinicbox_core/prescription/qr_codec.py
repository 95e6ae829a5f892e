"""The text in a prescription slip's QR code: :func:`encode_rx` / :func:`decode_rx`.

Format version 1 (``CBRX1``), every character in the QR alphanumeric set::

    CBRX1$<header>$<diagnoses>$<item>$<item>...$<crc>

* ``$`` separates segments, ``*`` fields inside a segment, ``+`` the diagnoses;
* header fields, in order: 醫事機構代碼, 處方箋編號 (slip_no), 醫師身分證號, 就醫日期 (ROC
  ``YYYMMDD``), 就醫序號, 案件分類, 病人身分證號, 出生日期 (ROC), 處方箋種類 (A/C),
  可調劑次數, 本次調劑序, 每次給藥日份;
* each item: 醫令類別, 代碼, 劑量, 劑量單位 (``U`` per use, ``D`` per day), 頻率, 途徑, 日份,
  總量; decimals are plain (``1.5``, never ``1.50E0``);
* ``crc`` is the CRC-32 (IEEE, as ``zlib.crc32``) of everything before the last ``$``, eight
  upper-case hex digits: a scanner that drops or changes a character is caught.

Example (one drug; one line in reality, split here at ``$``)::

    CBRX1$3501200000*20261203-17*A123456789*1151203*0001*04*P123456786*0690315*C*3*1*28
    $I10$1*A000015421*1*U*QD*PO*28*28$6F980795

:func:`decode_rx` raises :class:`RxCodeError` (a
:class:`~clinicbox_core.errors.ValidationFailed` with field ``rx_code``) for anything that is
not a valid version-1 payload, never another exception: scanned text is outside input.
"""

from __future__ import annotations

import zlib
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.roc_date import format_roc_date, parse_roc_date
from clinicbox_core.prescription.payload import ALPHANUMERIC, RxItem, RxPayload

__all__ = ["MAGIC", "MAX_LENGTH", "RxCodeError", "decode_rx", "encode_rx"]

MAGIC = "CBRX1"
#: The printdoc QR block takes at most 1,000 characters; 30 items stay well under it.
MAX_LENGTH = 1000
_SEG = "$"
_FIELD = "*"
_LIST = "+"
_HEADER_FIELDS = 12
_ITEM_FIELDS = 8


class RxCodeError(ValidationFailed):
    """Scanned or typed text is not a prescription code; ``params['reason']`` says why:
    ``empty``, ``charset``, ``too_long``, ``magic``, ``checksum``, ``shape`` or ``field``."""

    default_key = "error.rx_code.invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"error.rx_code.{reason}", field="rx_code", reason=reason)


def _dec(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _item(item: RxItem) -> str:
    return _FIELD.join(
        (
            item.category,
            item.code,
            _dec(item.dose),
            item.per.value,
            item.frequency,
            item.route,
            str(item.days),
            _dec(item.total),
        )
    )


def _crc(body: str) -> str:
    return f"{zlib.crc32(body.encode('ascii')) & 0xFFFFFFFF:08X}"


def encode_rx(rx: RxPayload) -> str:
    """The QR text of ``rx`` (format version 1)."""
    header = _FIELD.join(
        (
            rx.institution_code,
            rx.slip_no,
            rx.doctor_id,
            format_roc_date(rx.visit_date),
            rx.nhi_seq,
            rx.case_type,
            rx.patient_id,
            format_roc_date(rx.patient_birth),
            rx.kind.value,
            str(rx.fills_total),
            str(rx.fill_no),
            str(rx.days_per_fill),
        )
    )
    body = _SEG.join((MAGIC, header, _LIST.join(rx.diagnoses), *(_item(i) for i in rx.items)))
    text = body + _SEG + _crc(body)
    # The model's field patterns keep every character in the set; this guards the format.
    assert set(text) <= ALPHANUMERIC and len(text) <= MAX_LENGTH, "payload outside QR limits"
    return text


def _number(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise RxCodeError("field") from exc
    if not value.is_finite() or not text.replace(".", "", 1).isdigit():
        raise RxCodeError("field")
    return value


def _integer(text: str) -> int:
    if not text.isdigit() or len(text) > 3:
        raise RxCodeError("field")
    return int(text)


def _roc(text: str) -> date:
    try:
        return parse_roc_date(text)
    except ValueError as exc:
        raise RxCodeError("field") from exc


def decode_rx(text: str) -> RxPayload:
    """The payload in scanned ``text`` (surrounding whitespace, e.g. a scanner's Enter, is
    ignored); :class:`RxCodeError` when it is not a valid version-1 prescription code."""
    text = text.strip()
    if not text:
        raise RxCodeError("empty")
    if len(text) > MAX_LENGTH:
        raise RxCodeError("too_long")
    if not set(text) <= ALPHANUMERIC:
        raise RxCodeError("charset")
    body, sep, crc = text.rpartition(_SEG)
    if not body.startswith(MAGIC + _SEG):
        raise RxCodeError("magic")
    if not sep or crc != _crc(body):
        raise RxCodeError("checksum")
    segments = body.split(_SEG)
    if len(segments) < 4:
        raise RxCodeError("shape")
    header = segments[1].split(_FIELD)
    if len(header) != _HEADER_FIELDS:
        raise RxCodeError("shape")
    items = [s.split(_FIELD) for s in segments[3:]]
    if any(len(i) != _ITEM_FIELDS for i in items):
        raise RxCodeError("shape")
    try:
        return RxPayload(
            institution_code=header[0],
            slip_no=header[1],
            doctor_id=header[2],
            visit_date=_roc(header[3]),
            nhi_seq=header[4],
            case_type=header[5],
            patient_id=header[6],
            patient_birth=_roc(header[7]),
            kind=header[8],
            fills_total=_integer(header[9]),
            fill_no=_integer(header[10]),
            days_per_fill=_integer(header[11]),
            diagnoses=tuple(segments[2].split(_LIST)),
            items=tuple(
                RxItem(
                    category=i[0],
                    code=i[1],
                    dose=_number(i[2]),
                    per=i[3],
                    frequency=i[4],
                    route=i[5],
                    days=_integer(i[6]),
                    total=_number(i[7]),
                )
                for i in items
            ),
        )
    except ValidationError as exc:
        raise RxCodeError("field") from exc
