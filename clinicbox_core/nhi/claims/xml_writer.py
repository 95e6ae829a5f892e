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

from pydantic import BaseModel

from clinicbox_core.nhi.claims.fields import FieldSpec, specs_of
from clinicbox_core.nhi.claims.formats import OUTPATIENT, PHARMACY, ClaimsFormat
from clinicbox_core.nhi.claims.model import ClaimsFile
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyClaimsFile

__all__ = ["BIG5", "format_value", "to_xml"]

BIG5 = "cp950"  # what Taiwanese software means by "Big5"
_DECLARATION = '<?xml version="1.0" encoding="Big5"?>\n'


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


def to_xml(data: ClaimsFile | PharmacyClaimsFile, *, indent: bool = False) -> bytes:
    """Big5 XML bytes of ``data`` (``indent``: one element per line, for people and golden files)."""
    root = to_element(data)
    if indent:
        ET.indent(root)
    text = _DECLARATION + ET.tostring(root, encoding="unicode") + "\n"
    return text.encode(BIG5, errors="xmlcharrefreplace")
