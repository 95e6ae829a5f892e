"""申報總表差異說明: the differences between a legacy HIS's claims file and ours, same month.

Matching (both files read with the tolerant raw parser, so a legacy file with errors still
compares):

* Cases: first by (身分證號 d3, 就醫日期 d9, 案件分類 d1) — 藥局: d3, 調劑日期 d23, d1 — then the
  leftovers by (d3, date) alone, so that a case whose 案件分類 changed is reported as a change
  of d1, not as one removed and one added. Several cases with the same key pair up in file
  order. A case left over is reported as ``only_legacy`` (申報於原系統、本系統未申報) or
  ``only_ours``. d2 流水編號 is never compared: it is each file's own numbering, shown as labels.
* Orders of a matched pair: by 醫令代號 (p4; 藥局 p2), several of one code in file order; then
  leftovers of the same 醫令類別 pair up one-to-one when each side has exactly one left (so a
  診察費 code change is one change); the rest are ``only_legacy`` / ``only_ours``. 醫令序 is
  not compared.
* 總表段: every t-field whose value differs (absent = 0 for counts and points).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

from clinicbox_core.errors import ValidationFailed
from clinicbox_core.nhi.claims.fields import specs_of
from clinicbox_core.nhi.claims.formats import OUTPATIENT, ClaimsFormat
from clinicbox_core.nhi.claims.rules_field import parse_date
from clinicbox_core.nhi.claims.rules_outpatient import consult_band, dispensing_of
from clinicbox_core.nhi.claims.xml_parser import RawCase, parse_raw
from clinicbox_core.nhi.visit_codes import CASE_TYPES

__all__ = ["CaseDiff", "DiffReport", "FieldDiff", "OrderDiff", "compare"]

Kind = Literal["changed", "only_legacy", "only_ours"]
_BAND_NAMES = ("1-30", "31-40", "41-60", "61-80", "81-150", ">150")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    zh: str
    legacy: str | None
    ours: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class OrderDiff:
    kind: Kind
    code: str
    legacy_seq: str | None
    ours_seq: str | None
    fields: tuple[FieldDiff, ...]
    explanation: str


@dataclass(frozen=True, slots=True)
class CaseDiff:
    kind: Kind
    patient_id: str
    date: str
    legacy_label: str | None
    ours_label: str | None
    fields: tuple[FieldDiff, ...]
    orders: tuple[OrderDiff, ...]
    explanation: str


@dataclass(frozen=True, slots=True)
class DiffReport:
    format: str
    fee_month: str | None
    summary: tuple[FieldDiff, ...]
    cases: tuple[CaseDiff, ...] = field(default=())
    matching: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        lines = [f"申報總表差異說明（{self.format}，費用年月 {self.fee_month or '?'}）", ""]
        lines.append("一、總表段")
        lines += [f"  {d.explanation}" for d in self.summary] or ["  無差異"]
        lines.append("二、點數清單及醫令清單")
        for c in self.cases:
            lines.append(f"  {c.explanation}")
            lines += [f"    {d.explanation}" for d in c.fields]
            lines += [f"    {o.explanation}" for o in c.orders]
        if not self.cases:
            lines.append("  無差異")
        lines += ["", f"比對方式：{self.matching}"]
        return "\n".join(lines) + "\n"


def _zh(fmt: ClaimsFormat, model: type, fid: str) -> str:
    return next((f.zh for f in specs_of(model) if f.id == fid), fid)


def _summary(fmt: ClaimsFormat, legacy: dict[str, str], ours: dict[str, str]) -> list[FieldDiff]:
    out: list[FieldDiff] = []
    for f in specs_of(fmt.totals):
        a, b = legacy.get(f.id), ours.get(f.id)
        if f.kind == "9":
            a_n, b_n = _num(a), _num(b)
            if a_n == b_n:
                continue
            delta = f"（差 {b_n - a_n:+d}）" if a_n is not None and b_n is not None else ""
            text = f"{f.id} {f.zh}：{a or 0} → {b or 0}{delta}"
        elif a != b:
            text = f"{f.id} {f.zh}：{a or '空白'} → {b or '空白'}"
        else:
            continue
        out.append(FieldDiff(f.id, f.zh, a, b, text))
    return out


def _num(text: str | None) -> int | None:
    if text is None:
        return 0
    return int(text) if text.isdigit() else None


def _label(case: RawCase) -> str:
    v = case.fields
    return f"{v.get('d1', '??')}-{v.get('d2', '?').zfill(4)}"


def _pair_cases(
    legacy: list[RawCase], ours: list[RawCase], keys: list[Callable[[RawCase], tuple[str, ...]]]
) -> tuple[list[tuple[RawCase, RawCase]], list[RawCase], list[RawCase]]:
    pairs: list[tuple[RawCase, RawCase]] = []
    left_l, left_o = list(legacy), list(ours)
    for key in keys:
        pool: dict[tuple[str, ...], list[RawCase]] = {}
        for case in left_o:
            pool.setdefault(key(case), []).append(case)
        still: list[RawCase] = []
        for case in left_l:
            match = pool.get(key(case))
            if match:
                pairs.append((case, match.pop(0)))
            else:
                still.append(case)
        left_l = still
        left_o = [c for members in pool.values() for c in members]
        left_o.sort(key=lambda c: c.index)
    return pairs, left_l, left_o


def _explain(
    fmt: ClaimsFormat, fid: str, a: str | None, b: str | None, ours: dict[str, str]
) -> str:
    zh = _zh(fmt, fmt.case, fid)
    base = f"{zh} {a or '空白'} → {b or '空白'}"
    if fmt is not OUTPATIENT:
        return base
    if fid == "d1":
        names = [CASE_TYPES[x].zh if x in CASE_TYPES else "?" for x in (a or "", b or "")]
        return f"{base}（{names[0]} → {names[1]}）"
    if fid == "d35" and b:
        return f"{base}：{_consult_reason(a, b, ours)}"
    if fid in {"d15", "d40"}:
        return f"{base}：依部分負擔規定（{ours.get('d15', '')} 於 {ours.get('d9', '')}）重新計算"
    if fid in {"d32", "d33", "d34", "d36", "d38", "d39", "d41"}:
        return f"{base}：隨醫令點數變動（見下列醫令差異）"
    return base


def _consult_reason(a: str | None, b: str, ours: dict[str, str]) -> str:
    on = parse_date(ours.get("d9", "")) or date(1, 1, 1)
    band_a, band_b = consult_band(a or "", on), consult_band(b, on)
    if band_b is None:
        return "診察費代號不同"
    reasons = []
    delegated = dispensing_of(ours.get("d28")) == "delegated"
    if band_a is None or band_a[1] != band_b[1]:
        reasons.append("處方交付特約藥局調劑" if delegated else "本院所為自行調劑或未開處方")
    if band_a is None or band_a[0] != band_b[0]:
        names = "或".join(_BAND_NAMES[i] for i in sorted(band_b[0]))
        reasons.append(f"醫師當日看診人次段為 {names} 人次")
    return "、".join(reasons) or "診察費代號不同"


def _case_fields(fmt: ClaimsFormat, a: RawCase, b: RawCase) -> list[FieldDiff]:
    out: list[FieldDiff] = []
    for f in specs_of(fmt.case):
        if f.id == fmt.serial:
            continue
        x, y = a.fields.get(f.id), b.fields.get(f.id)
        if f.kind == "9" and _num(x) == _num(y) and _num(x) is not None:
            continue
        if x != y:
            out.append(FieldDiff(f.id, f.zh, x, y, _explain(fmt, f.id, x, y, b.fields)))
    return out


def _order_diffs(fmt: ClaimsFormat, a: RawCase, b: RawCase) -> list[OrderDiff]:
    code, cat, seq = fmt.order_code, fmt.order_category, fmt.order_seq
    pairs: list[tuple[dict[str, str], dict[str, str]]] = []
    left_b = list(b.orders)
    left_a: list[dict[str, str]] = []
    for o in a.orders:
        hit = next((x for x in left_b if x.get(code) == o.get(code)), None)
        if hit is None:
            left_a.append(o)
        else:
            left_b.remove(hit)
            pairs.append((o, hit))
    for category in {o.get(cat) for o in left_a}:
        xs = [o for o in left_a if o.get(cat) == category]
        ys = [o for o in left_b if o.get(cat) == category]
        if len(xs) == 1 and len(ys) == 1:
            pairs.append((xs[0], ys[0]))
            left_a.remove(xs[0])
            left_b.remove(ys[0])
    out: list[OrderDiff] = []
    for x, y in pairs:
        diffs = []
        for f in specs_of(fmt.order):
            u, w = x.get(f.id), y.get(f.id)
            if f.id == seq or u == w:
                continue
            text = f"{f.zh} {u or '空白'} → {w or '空白'}"
            if f.id == code and y.get(cat) == "0":
                text = f"診察費代號 {u} → {w}：{_consult_reason(u, w or '', b.fields)}"
            diffs.append(FieldDiff(f.id, f.zh, u, w, text))
        if diffs:
            head = f"醫令 {y.get(code, '')}（序 {x.get(seq)} / {y.get(seq)}）：" + "；".join(
                d.explanation for d in diffs
            )
            out.append(
                OrderDiff("changed", y.get(code, ""), x.get(seq), y.get(seq), tuple(diffs), head)
            )
    for o in left_a:
        out.append(
            OrderDiff(
                "only_legacy",
                o.get(code, ""),
                o.get(seq),
                None,
                (),
                f"醫令 {o.get(code, '')} 原系統有申報、本系統未申報",
            )
        )
    for o in left_b:
        out.append(
            OrderDiff(
                "only_ours",
                o.get(code, ""),
                None,
                o.get(seq),
                (),
                f"醫令 {o.get(code, '')} 本系統新增申報（原系統未申報）",
            )
        )
    return out


def compare(legacy: bytes, ours: bytes) -> DiffReport:
    """The 申報總表差異說明 between two claims files of the same format (see module docstring)."""
    a, b = parse_raw(legacy), parse_raw(ours)
    if a.fmt is not b.fmt:
        raise ValidationFailed(
            field="format", reason="format_mismatch", legacy=a.fmt.name, ours=b.fmt.name
        )
    fmt = a.fmt
    pid, when, ctype = fmt.patient_id, fmt.case_date, fmt.case_type

    def full(c: RawCase) -> tuple[str, ...]:
        return (c.fields.get(pid, ""), c.fields.get(when, ""), c.fields.get(ctype, ""))

    def loose(c: RawCase) -> tuple[str, ...]:
        return (c.fields.get(pid, ""), c.fields.get(when, ""))

    pairs, only_a, only_b = _pair_cases(a.cases, b.cases, [full, loose])
    cases: list[CaseDiff] = []
    for x, y in sorted(pairs, key=lambda p: p[1].index):
        fields, orders = _case_fields(fmt, x, y), _order_diffs(fmt, x, y)
        if fields or orders:
            text = (
                f"案件 {_label(y)}（原系統 {_label(x)}，{y.fields.get(pid)}，{y.fields.get(when)}）"
            )
            cases.append(
                CaseDiff(
                    "changed",
                    y.fields.get(pid, ""),
                    y.fields.get(when, ""),
                    _label(x),
                    _label(y),
                    tuple(fields),
                    tuple(orders),
                    text,
                )
            )
    for x in only_a:
        who = f"{x.fields.get(pid)}，{x.fields.get(when)}"
        text = f"案件 {_label(x)}（{who}）原系統有申報、本系統未申報"
        cases.append(
            CaseDiff(
                "only_legacy",
                x.fields.get(pid, ""),
                x.fields.get(when, ""),
                _label(x),
                None,
                (),
                (),
                text,
            )
        )
    for y in only_b:
        text = (
            f"案件 {_label(y)}（{y.fields.get(pid)}，{y.fields.get(when)}）本系統申報、原系統未申報"
        )
        cases.append(
            CaseDiff(
                "only_ours",
                y.fields.get(pid, ""),
                y.fields.get(when, ""),
                None,
                _label(y),
                (),
                (),
                text,
            )
        )
    matching = (
        f"案件以身分證號({pid})＋日期({when})＋案件分類({ctype})配對，其餘再以身分證號＋日期配對；"
        f"醫令以代號({fmt.order_code})配對，其餘同醫令類別各剩一筆者視為代號變更；流水編號與醫令序不比對。"
    )
    return DiffReport(
        fmt.name, b.tdata.get("t3"), tuple(_summary(fmt, a.tdata, b.tdata)), tuple(cases), matching
    )
