"""Serialize a claims model to the Big5 XML the NHI takes (stdlib ``xml.etree``, no I/O).

Structure: ``<outpatient>`` (藥局 ``<pharmacy>``) → ``tdata`` → ``ddata`` (``dhead``, ``dbody``
with its ``pdata``), elements in the model's declaration order = the spec's table order; fields
that are ``None`` are not written. Numbers are written without padding (widths are maxima);
decimal fields carry their point with the spec's number of decimals (p5 ``9999.99``, p8
``999.99``, p10 ``99999.9``, p11 ``9999999.99``), rounded half up, and 0 as ``0``.
Bytes are Big5 (code page 950); a character outside it becomes a numeric character reference.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from pydantic import BaseModel

from clinicbox_core.nhi.claims.fields import FieldSpec, specs_of
from clinicbox_core.nhi.claims.formats import OUTPATIENT, PHARMACY, ClaimsFormat
from clinicbox_core.nhi.claims.model import ClaimsFile
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyClaimsFile

__all__ = ["BIG5", "format_value", "to_element", "to_xml"]

BIG5 = "cp950"  # what Taiwanese software means by "Big5"
_DECLARATION = '<?xml version="1.0" encoding="Big5"?>\n'
_Fields = tuple[tuple[str, Decimal | None], ...]


def format_value(value: object, field: FieldSpec) -> str:
    """The element text for ``value`` under ``field``'s format."""
    if isinstance(value, Decimal):
        if value == 0:
            return "0"
        step = Decimal(1).scaleb(-field.decimals)
        return f"{value.quantize(step, rounding=ROUND_HALF_UP):f}"
    return str(value)


def _fill(parent: ET.Element, model: BaseModel, fields: tuple[FieldSpec, ...]) -> None:
    values = model.__dict__
    for field in fields:
        value = values[field.id]
        if value is not None:
            ET.SubElement(parent, field.id).text = format_value(value, field)


def to_element(data: ClaimsFile | PharmacyClaimsFile) -> ET.Element:
    """The element tree of ``data`` (root element)."""
    fmt: ClaimsFormat = OUTPATIENT if isinstance(data, ClaimsFile) else PHARMACY
    tfields, cfields, ofields = specs_of(fmt.totals), specs_of(fmt.case), specs_of(fmt.order)
    head = tuple(f for f in cfields if f.id in fmt.head_fields)
    body = tuple(f for f in cfields if f.id not in fmt.head_fields)
    root = ET.Element(fmt.root)
    _fill(ET.SubElement(root, "tdata"), data.tdata, tfields)
    for case in data.cases:
        ddata = ET.SubElement(root, "ddata")
        _fill(ET.SubElement(ddata, "dhead"), case, head)
        dbody = ET.SubElement(ddata, "dbody")
        _fill(dbody, case, body)
        for order in case.orders:
            _fill(ET.SubElement(dbody, "pdata"), order, ofields)
    return root


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


@cache
def _layout(fmt: ClaimsFormat) -> tuple[_Fields, _Fields, _Fields, _Fields]:
    """(tdata, dhead, dbody, pdata) fields as (id, decimal step or None) in element order."""

    def pick(fields: tuple[FieldSpec, ...]) -> _Fields:
        return tuple(
            (f.id, Decimal(1).scaleb(-f.decimals) if f.kind == "dec" else None) for f in fields
        )

    cfields = specs_of(fmt.case)
    return (
        pick(specs_of(fmt.totals)),
        pick(tuple(f for f in cfields if f.id in fmt.head_fields)),
        pick(tuple(f for f in cfields if f.id not in fmt.head_fields)),
        pick(specs_of(fmt.order)),
    )


def _emit(parts: list[str], values: dict[str, object], fields: _Fields, indent: str) -> None:
    for fid, step in fields:
        value = values[fid]
        if value is None:
            continue
        if isinstance(value, str):
            text = _escape(value)
        elif step is None:
            text = str(value)
        elif value == 0:
            text = "0"
        else:
            text = f"{value.quantize(step, rounding=ROUND_HALF_UP):f}"  # type: ignore[attr-defined]
        parts.append(f"{indent}<{fid}>{text}</{fid}>")


def to_xml(data: ClaimsFile | PharmacyClaimsFile, *, indent: bool = False) -> bytes:
    """Big5 XML bytes of ``data`` (``indent``: one element per line, for people and golden files).

    Written directly as text (the same bytes :func:`to_element` + ``ET.tostring`` would give,
    without ``ET``'s per-element Python overhead; the tests parse every output back with ``ET``).
    """
    fmt: ClaimsFormat = OUTPATIENT if isinstance(data, ClaimsFile) else PHARMACY
    tfields, head, body, ofields = _layout(fmt)
    i1, i2, i3, i4, nl = ("\n  ", "\n    ", "\n      ", "\n        ", "\n") if indent else ("",) * 5
    parts: list[str] = [_DECLARATION, f"<{fmt.root}>", f"{i1}<tdata>"]
    _emit(parts, data.tdata.__dict__, tfields, i2)
    parts.append(f"{i1}</tdata>")
    for case in data.cases:
        values = case.__dict__
        parts.append(f"{i1}<ddata>{i2}<dhead>")
        _emit(parts, values, head, i3)
        parts.append(f"{i2}</dhead>{i2}<dbody>")
        _emit(parts, values, body, i3)
        for order in case.orders:
            parts.append(f"{i3}<pdata>")
            _emit(parts, order.__dict__, ofields, i4)
            parts.append(f"{i3}</pdata>")
        parts.append(f"{i2}</dbody>{i1}</ddata>")
    parts.append(f"{nl}</{fmt.root}>\n")
    return "".join(parts).encode(BIG5, errors="xmlcharrefreplace")
