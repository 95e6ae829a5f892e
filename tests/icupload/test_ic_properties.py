"""Property tests: build → write → parse is the identity, and every built file passes the checks."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from ic_samples import visits

from clinicbox_core.nhi.ic_upload.build import IcVisit, build_file, build_record
from clinicbox_core.nhi.ic_upload.check import check_upload
from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.xml_io import read_upload, to_xml

VERSIONS = st.sampled_from([Version.V1, Version.V2])


@settings(max_examples=60, deadline=None)
@given(st.lists(visits(), min_size=1, max_size=5), VERSIONS, st.booleans(), st.booleans())
def test_round_trip_and_checks(
    batch: list[IcVisit], version: Version, correction: bool, indent: bool
) -> None:
    assume(version is Version.V2 or all(v.visit_type != "09" for v in batch))  # 09 is 2.0 only
    records = [build_record(v, version=version, correction=correction) for v in batch]
    upload = build_file(records, version=version)
    data = to_xml(upload, indent=indent)
    assert read_upload(data) == upload
    results = check_upload(data)
    assert len(results) == len(batch)
    keys = set()
    for result, record in zip(results, records, strict=True):
        duplicate = record.key in keys
        keys.add(record.key)
        codes = [e.code for e in result.errors]
        assert codes == (["C001"] if duplicate else []), (codes, record)
