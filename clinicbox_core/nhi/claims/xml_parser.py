"""Parse claims XML bytes (ours or a legacy HIS's): a tolerant raw reading and a typed one.

:func:`parse_raw` never gives up on content: it returns every element's text (stripped, empty =
absent) per section plus the structural problems it saw (unknown or repeated elements, elements
out of the spec's order, a case without ``dhead``), for the validator to report. Only bytes that
are not XML at all raise :class:`ClaimsParseError`. The XML declaration's encoding is honoured
(Big5 is read as code page 950; expat cannot decode multi-byte encodings itself, so we decode
first). :func:`parse_claims` turns a file into the typed model and raises on any value that does
not fit it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from pydantic import ValidationError

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.claims.fields import specs_of
from clinicbox_core.nhi.claims.formats import OUTPATIENT, ClaimsFormat, format_for
from clinicbox_core.nhi.claims.model import ClaimsFile
from clinicbox_core.nhi.claims.model_pharmacy import PharmacyClaimsFile
from clinicbox_core.nhi.claims.xml_writer import BIG5

__all__ = ["ClaimsParseError", "RawCase", "RawFile", "decode", "parse_claims", "parse_raw"]

_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BIG5_NAMES = {"big5", "big-5", "cp950", "ms950", "x-windows-950", "big5-hkscs"}


class ClaimsParseError(ValidationFailed):
    """``params``: ``reason`` (encoding | xml | root | value) and ``detail``."""

    default_key = "error.nhi.claims_parse"


@dataclass(slots=True)
class RawCase:
    """One ``ddata``: head and body texts, its orders, and where it sits (index in the file)."""

    index: int
    fields: dict[str, str]
    orders: list[dict[str, str]]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (rule id, detail)


@dataclass(slots=True)
class RawFile:
    fmt: ClaimsFormat
    tdata: dict[str, str]
    cases: list[RawCase]
    problems: list[tuple[str, str]] = field(default_factory=list)


def decode(data: bytes) -> str:
    """The document text: declared encoding (Big5 → cp950), UTF-8 when none is declared."""
    match = _ENCODING.match(data[:200])
    name = match.group(1).decode("ascii").lower() if match else "utf-8"
    codec = BIG5 if name in _BIG5_NAMES else name
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ClaimsParseError(reason="encoding", detail=f"{name}: {exc}") from exc


def _section(
    elem: ET.Element, order: dict[str, int], where: str, problems: list[tuple[str, str]]
) -> dict[str, str]:
    values: dict[str, str] = {}
    last = -1
    for child in elem:
        tag = child.tag
        pos = order.get(tag)
        if pos is None or pos <= last:  # rare: pdata, unknown, repeated or out of order
            if tag == "pdata":
                continue
            if pos is None:
                problems.append(("S-UNKNOWN", f"{where}/{tag}"))
                continue
            problems.append(
                ("S-REPEAT" if tag in values or pos == last else "S-ORDER", f"{where}/{tag}")
            )
        else:
            last = pos
        text = child.text
        if text:
            text = text.strip()
            if text:
                values[tag] = text
    return values


def parse_raw(data: bytes) -> RawFile:
    """Every text of the file, by section, plus structural problems (see module docstring)."""
    try:
        root = ET.fromstring(decode(data))
    except ET.ParseError as exc:
        raise ClaimsParseError(reason="xml", detail=str(exc)) from exc
    tdata_elem = root.find("tdata")
    t1_elem = tdata_elem.find("t1") if tdata_elem is not None else None
    t1 = (t1_elem.text or "").strip() if t1_elem is not None else None
    fmt = format_for(root.tag, t1)
    if fmt is None:
        raise ClaimsParseError(reason="root", detail=root.tag)
    problems: list[tuple[str, str]] = []
    if root.tag != fmt.root:
        problems.append(("S-ROOT", root.tag))
    torder = {f.id: i for i, f in enumerate(specs_of(fmt.totals))}
    corder = {f.id: i for i, f in enumerate(specs_of(fmt.case))}
    oorder = {f.id: i for i, f in enumerate(specs_of(fmt.order))}
    head_order = {k: v for k, v in corder.items() if k in fmt.head_fields}
    body_order = {k: v for k, v in corder.items() if k not in fmt.head_fields}
    tdata = _section(tdata_elem, torder, "tdata", problems) if tdata_elem is not None else {}
    if tdata_elem is None:
        problems.append(("S-MISSING", "tdata"))
    cases: list[RawCase] = []
    for index, ddata in enumerate(root.iter("ddata")):
        case = RawCase(index=index, fields={}, orders=[])
        head, body = ddata.find("dhead"), ddata.find("dbody")
        for part, name, order in ((head, "dhead", head_order), (body, "dbody", body_order)):
            if part is None:
                case.problems.append(("S-MISSING", name))
            else:
                case.fields.update(_section(part, order, name, case.problems))
        if body is not None:
            for pdata in body.iter("pdata"):
                case.orders.append(_section(pdata, oorder, "pdata", case.problems))
        cases.append(case)
    for child in root:
        if child.tag not in {"tdata", "ddata"}:
            problems.append(("S-UNKNOWN", child.tag))
    return RawFile(fmt=fmt, tdata=tdata, cases=cases, problems=problems)


def parse_claims(data: bytes) -> ClaimsFile | PharmacyClaimsFile:
    """The typed model of a file; :class:`ClaimsParseError` when a value does not fit it."""
    raw = parse_raw(data)
    doc = {
        "tdata": raw.tdata,
        "cases": [{**c.fields, "orders": c.orders} for c in raw.cases],
    }
    model = ClaimsFile if raw.fmt is OUTPATIENT else PharmacyClaimsFile
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise ClaimsParseError(reason="value", detail=str(exc.errors()[:3])) from exc
