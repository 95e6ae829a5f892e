"""Mutation tests: each required field removed, over-long or of the wrong type is caught."""

from __future__ import annotations

from dataclasses import replace

import pytest
from ic_samples import sample_visit

from clinicbox_core.nhi.ic_upload.build import build_file, build_record
from clinicbox_core.nhi.ic_upload.check import check_upload
from clinicbox_core.nhi.ic_upload.fields import FIELDS, Version
from clinicbox_core.nhi.ic_upload.model import IcOrder, IcRecord
from clinicbox_core.nhi.ic_upload.xml_io import to_xml

REQUIRED = {
    Version.V1: ["A12", "A13", "A14", "A15", "A23", "A17", "A19", "A18", "A16", "A11", "A22",
                 "A31", "A32"],
    Version.V2: ["M03", "M04", "M05", "M06", "M07", "M11", "M12", "M13", "M15", "M01", "M02",
                 "M14", "M44"],
}  # fmt: skip


def _record(version: Version) -> IcRecord:
    return build_record(sample_visit(signature="F" * 100), version=version)


def _codes(record: IcRecord) -> set[tuple[str, str | None]]:
    [result] = check_upload(to_xml(build_file([record], version=record.version)))
    return {(e.code, e.field) for e in result.errors}


@pytest.mark.parametrize("version", list(Version))
def test_the_unmutated_record_passes(version: Version) -> None:
    assert _codes(_record(version)) == set()


@pytest.mark.parametrize(("version", "field"), [(v, f) for v in Version for f in REQUIRED[v]])
def test_each_required_field_removed_is_aa(version: Version, field: str) -> None:
    rec = _record(version)
    mutated = replace(rec, mb1={k: v for k, v in rec.mb1.items() if k != field})
    assert ("AA", field) in _codes(mutated)


def _mb1_fields(version: Version) -> list[str]:
    return [f for f in _record(version).mb1]


@pytest.mark.parametrize(("version", "field"), [(v, f) for v in Version for f in _mb1_fields(v)])
def test_each_field_too_long_is_ac(version: Version, field: str) -> None:
    rec = _record(version)
    spec = FIELDS[version][field]
    assert spec.width is not None
    value = rec.mb1[field]
    long = (value * (spec.width // len(value) + 2))[: spec.width + 1]
    assert ("AC", field) in _codes(replace(rec, mb1={**rec.mb1, field: long}))


@pytest.mark.parametrize(
    ("version", "field"),
    [(v, f) for v in Version for f in _mb1_fields(v) if FIELDS[v][f].kind in ("9", "S")],
)
def test_each_numeric_field_with_a_letter_is_ab(version: Version, field: str) -> None:
    rec = _record(version)
    assert ("AB", field) in _codes(replace(rec, mb1={**rec.mb1, field: "1X"}))


@pytest.mark.parametrize("version", list(Version))
def test_each_order_field_removed_or_corrupted_is_caught(version: Version) -> None:
    rec = _record(version)
    drug = rec.orders[0].fields
    for field in drug:
        without = {k: v for k, v in drug.items() if k != field}
        mutated = replace(rec, orders=(IcOrder(without), *rec.orders[1:]))
        found = _codes(mutated)
        optional = {"D04", "D05", "D08", "D14", "D01", "A71", "A78", "D03"}
        assert found or field in optional, field
        spec = FIELDS[version][field]
        if spec.width is not None:
            long = "9" * (spec.width + 1)
            grown = replace(rec, orders=(IcOrder({**drug, field: long}), *rec.orders[1:]))
            assert _codes(grown), field


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("M13", "1501", "AD01"), ("M13", "A000", "AE01"), ("M07", "Q1", "AE"),
        ("M11", "1130231093000", "AD"), ("M04", "1140101", "BG"), ("M12", "7", "AD"),
        ("M35", "J06.9", "15"), ("M23", "9", "AE"), ("M51", "Q", "AD42"), ("M44", "0", "AH01"),
        ("M15", "short", "AD"), ("M20", "2", "D041"),
    ],
)  # fmt: skip
def test_v2_value_rules(field: str, value: str, code: str) -> None:
    rec = _record(Version.V2)
    found = _codes(replace(rec, mb1={**rec.mb1, field: value}))
    assert code in {c for c, _ in found}, found


def test_abnormal_record_must_not_carry_card_fields() -> None:
    rec = build_record(sample_visit(seq="A000"))
    assert "M01" not in rec.mb1 and "M14" not in rec.mb1
    assert _codes(rec) == set()
    assert ("AF", "M14") in _codes(replace(rec, mb1={**rec.mb1, "M14": "F" * 10}))


def test_order_time_differs_from_visit_time_is_be() -> None:
    rec = _record(Version.V2)
    drug = {**rec.orders[0].fields, "D01": "1130515093001"}
    assert ("BE", "D01") in _codes(replace(rec, orders=(IcOrder(drug), *rec.orders[1:])))
