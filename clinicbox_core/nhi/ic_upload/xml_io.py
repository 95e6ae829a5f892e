"""Big5 XML writer and tolerant parser of IC upload files (stdlib ``xml.etree``, no I/O).

Shape (spec 1041116 §四): ``<?xml version="1.0" encoding="Big5"?>`` then ``<RECS>``, one
``<REC>`` per visit holding ``<MSH>`` (header) and ``<MB>`` (``<MB1>`` then zero or more
``<MB2>``). Empty fields are not written ("空白資料就不送", §一); numbers are not padded
(§四(二)). 2.0 uses the same shape with H/M/D ids (public code). The writer emits fields in
table order. The parser reports structure problems with the NHI check codes that name them
(Y003 not XML, Y005 hierarchy, Y006/Y007 missing end tags, Y004 unknown field id, Y014 not
Big5, Y015 several RECS) instead of raising, so the checker can answer like NHI does;
:func:`read_upload` is the strict form for our own files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.ic_upload.fields import FIELDS, Segment, Version, segment_fields
from clinicbox_core.nhi.ic_upload.model import (
    PROFILES,
    IcOrder,
    IcRecord,
    RecordKind,
    UploadFile,
    header_code,
    kind_from_header,
)

__all__ = [
    "BIG5",
    "IcParseError",
    "ParsedFile",
    "ParsedRecord",
    "Problem",
    "parse_upload",
    "read_upload",
    "record_element",
    "to_xml",
]

BIG5 = "cp950"  # what Taiwanese software means by "Big5"
DECLARATION = '<?xml version="1.0" encoding="Big5"?>'
_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.DOTALL)


class IcParseError(ValidationFailed):
    """``params``: ``code`` (the NHI check code) and ``detail``."""

    default_key = "error.nhi.ic_upload_parse"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str  # NHI check code (Y00x …)
    field: str | None
    detail: str


# --------------------------------------------------------------------------- writer


def _header(record: IcRecord) -> list[tuple[str, str]]:
    p = record.profile
    pairs = [(p.data_type, "1"), (p.data_format, header_code(record.version, record.kind))]
    if p.upload_version is not None:
        pairs.append((p.upload_version, record.version.value))
    return pairs


def _ordered(values: Mapping[str, str], ids: tuple[str, ...]) -> list[tuple[str, str]]:
    out = [(fid, values[fid]) for fid in ids if values.get(fid)]
    out += [(k, v) for k, v in values.items() if k not in ids and v]
    return out


def record_element(record: IcRecord) -> ET.Element:
    """The ``<REC>`` element of one record."""
    rec = ET.Element("REC")
    msh = ET.SubElement(rec, "MSH")
    for fid, value in _header(record):
        ET.SubElement(msh, fid).text = value
    mb = ET.SubElement(rec, "MB")
    mb1 = ET.SubElement(mb, "MB1")
    for fid, value in _ordered(record.mb1, segment_fields(record.version, Segment.MB1)):
        ET.SubElement(mb1, fid).text = value
    order_ids = segment_fields(record.version, Segment.MB2)
    for order in record.orders:
        mb2 = ET.SubElement(mb, "MB2")
        for fid, value in _ordered(order.fields, order_ids):
            ET.SubElement(mb2, fid).text = value
    return rec


def to_xml(upload: UploadFile, *, indent: bool = False) -> bytes:
    """Big5 bytes of ``upload``; a character outside Big5 becomes a numeric character reference."""
    root = ET.Element("RECS")
    for record in upload.records:
        root.append(record_element(record))
    if indent:
        ET.indent(root)
    text = DECLARATION + "\n" + ET.tostring(root, encoding="unicode") + "\n"
    return text.encode(BIG5, errors="xmlcharrefreplace")


# --------------------------------------------------------------------------- parser


@dataclass(slots=True)
class ParsedRecord:
    index: int  # 0-based position of the REC
    record: IcRecord | None  # None when the REC is too broken to model (no MSH / no MB1)
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class ParsedFile:
    version: Version | None
    records: list[ParsedRecord]
    fatal: list[Problem] = field(default_factory=list)  # whole file rejected (退件原則)


def _decode(data: bytes) -> str | Problem:
    try:
        text = data.decode(BIG5)
    except UnicodeDecodeError as exc:
        return Problem("Y014", None, str(exc))
    return _DECL_RE.sub("", text, count=1)


def _texts(elem: ET.Element) -> list[tuple[str, str]]:
    return [(child.tag, (child.text or "").strip()) for child in elem]


def _version_of(msh: dict[str, str]) -> Version | None:
    if "H00" in msh or "H01" in msh:
        return Version.V2
    if "A00" in msh or "A01" in msh:
        return Version.V1
    return None


def _parse_rec(index: int, rec: ET.Element) -> ParsedRecord:
    out = ParsedRecord(index, None)
    msh_el, mb_el = rec.find("MSH"), rec.find("MB")
    if msh_el is None:
        out.problems.append(Problem("Y002", "MSH", "缺表頭內容 <MSH>"))
        return out
    msh = dict(_texts(msh_el))
    version = _version_of(msh)
    if version is None:
        out.problems.append(Problem("Y002", "MSH", "表頭無資料型態/資料格式"))
        return out
    p = PROFILES[version]
    kind = kind_from_header(version, msh.get(p.data_format, ""))
    if kind is None:
        out.problems.append(Problem("02", p.data_format, msh.get(p.data_format, "")))
        kind = RecordKind.NORMAL  # keep checking the rest (Y008 is reported by the checker)
    if mb_el is None or mb_el.find("MB1") is None:
        out.problems.append(Problem("Y005", "MB1", "有醫令段但無健保資料段或缺 <MB>"))
        return out
    known = FIELDS[version]
    mb1: dict[str, str] = {}
    orders: list[IcOrder] = []
    for child in mb_el:
        if child.tag not in ("MB1", "MB2"):
            out.problems.append(Problem("Y005", child.tag, f"<MB> 內不應有 <{child.tag}>"))
            continue
        target: dict[str, str] = mb1 if child.tag == "MB1" else {}
        want = Segment.MB1 if child.tag == "MB1" else Segment.MB2
        for tag, text in _texts(child):
            spec = known.get(tag)
            if spec is None or spec.segment is not want:
                out.problems.append(Problem("Y004", tag, f"{child.tag} 內未定義的欄位 {tag}"))
                continue
            if text:
                target[tag] = text
        if child.tag == "MB2":
            orders.append(IcOrder(target))
    out.record = IcRecord(version, kind, mb1, tuple(orders), msh)
    return out


def parse_upload(data: bytes) -> ParsedFile:
    """Tolerant parse: every REC that can be modelled, plus the problems NHI would report."""
    text = _decode(data)
    if isinstance(text, Problem):
        return ParsedFile(None, [], [text])
    fatal: list[Problem] = []
    if text.count("<RECS>") > 1:
        fatal.append(Problem("Y015", "RECS", "多個 RECS"))
    if "</RECS>" not in text:
        fatal.append(Problem("Y007", "RECS", "未有 </RECS>"))
    if text.count("<REC>") != text.count("</REC>"):
        fatal.append(Problem("Y006", "REC", "未有 </REC>"))
    if fatal:
        return ParsedFile(None, [], fatal)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return ParsedFile(None, [], [Problem("Y003", None, str(exc))])
    if root.tag != "RECS":
        return ParsedFile(None, [], [Problem("Y005", root.tag, "根元素不是 RECS")])
    records = [_parse_rec(i, rec) for i, rec in enumerate(root.findall("REC"))]
    others = [child.tag for child in root if child.tag != "REC"]
    if others:
        fatal.append(Problem("Y005", others[0], "RECS 內只能有 REC"))
    versions = {r.record.version for r in records if r.record is not None}
    if len(versions) > 1:
        fatal.append(Problem("Y001", None, "同一檔案混用 1.0 與 2.0"))
    version = versions.pop() if len(versions) == 1 else None
    for r in records:  # a REC without MSH or MB1 rejects the whole file (退件原則 1, 2)
        if r.record is None:
            fatal.extend(r.problems)
    return ParsedFile(version, records, fatal)


def read_upload(data: bytes) -> UploadFile:
    """Strict parse of a file we trust: any structural problem raises :class:`IcParseError`."""
    parsed = parse_upload(data)
    problems = parsed.fatal + [p for r in parsed.records for p in r.problems]
    if problems:
        first = problems[0]
        raise IcParseError(code=first.code, detail=f"{first.field}: {first.detail}")
    records = tuple(r.record for r in parsed.records if r.record is not None)
    return UploadFile(parsed.version or Version.V2, records)
