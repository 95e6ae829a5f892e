"""Golden files: the 1041116 spec's own example (附件四) and a fixed 2.0 visit."""

from __future__ import annotations

from pathlib import Path

from ic_samples import sample_visit

from clinicbox_core.nhi.ic_upload.build import build_file, build_record
from clinicbox_core.nhi.ic_upload.check import check_upload
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.model import RecordKind
from clinicbox_core.nhi.ic_upload.validate import validate_record
from clinicbox_core.nhi.ic_upload.xml_io import read_upload, to_xml

GOLDEN = Path(__file__).parent / "golden"


def test_spec_example_parses_to_the_printed_fields() -> None:
    upload = read_upload((GOLDEN / "v1-spec-1041116-example.xml").read_bytes())
    assert upload.version is Version.V1
    first, second = upload.records
    assert first.kind is RecordKind.NORMAL
    assert first.mb1["A17"] == "0910701100000" and first.mb1["A18"] == "0001"
    assert first.mb1["A31"] == "450" and first.mb1["A32"] == "50"
    assert [o.fields.get("A73") for o in first.orders] == [
        "A040011100", "B022801100", "A036697100", None,
    ]  # fmt: skip
    assert first.orders[3].fields["A81"].split() == ["Penicillin", "Cefazolin", "Aspirin"]
    assert second.mb1["A23"] == "04" and second.orders == ()


def test_spec_example_findings_are_exactly_what_the_spec_table_requires() -> None:
    """The printed example omits A19 補卡註記, which 附件一 marks V (required) for every type;
    its second record (type 04) also has no A31/A32 fees, required by AH01."""
    upload = read_upload((GOLDEN / "v1-spec-1041116-example.xml").read_bytes())
    first, second = upload.records
    assert [(i.code, i.field) for i in validate_record(first)] == [("AA", "A19")]
    assert [(i.code, i.field) for i in validate_record(second)] == [
        ("AA", "A19"), ("AA", "A31"), ("AA", "A32"),
    ]  # fmt: skip


def test_spec_example_with_a19_filled_passes_our_checker() -> None:
    data = (GOLDEN / "v1-spec-1041116-example.xml").read_bytes()
    fixed = data.replace(b"<A18>0001</A18>", b"<A18>0001</A18><A19>1</A19>")
    [first, _second] = check_upload(fixed)
    assert first.accepted, first.errors


def test_v2_build_matches_golden_file() -> None:
    data = to_xml(build_file([build_record(sample_visit())]), indent=True)
    assert data == (GOLDEN / "v2-sample-visit.xml").read_bytes()


def test_v1_build_matches_golden_file() -> None:
    upload = build_file([build_record(sample_visit(), version=Version.V1)], version=Version.V1)
    assert to_xml(upload, indent=True) == (GOLDEN / "v1-sample-visit.xml").read_bytes()
