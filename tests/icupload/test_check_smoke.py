"""check_upload on hand-written 2.0 files: one clean record accepted, broken ones rejected."""

from __future__ import annotations

from clinicbox_core.nhi.ic_upload.check import check_upload

_OK = (
    "<REC><MSH><H00>1</H00><H01>A</H01></MSH><MB><MB1><M01>SAM0000001</M01>"
    "<M02>339926420000</M02><M03>A123456789</M03><M04>0790215</M04><M05>3501200000</M05>"
    "<M06>A223456788</M06><M07>01</M07><M11>1130515093000</M11><M12>1</M12><M13>0001</M13>"
    "<M14>ABCDEF</M14><M15>AB12345678901234567C</M15><M35>J069</M35><M44>450</M44>"
    "<M45>50</M45></MB1><MB2><D01>1130515093000</D01><D02>1</D02><D03>001</D03>"
    "<D06>A040011100</D06><D09>3</D09><D10>9.0</D10><D11>SIG</D11></MB2></MB></REC>"
)


def _file(*recs: str) -> bytes:
    return ('<?xml version="1.0" encoding="Big5"?>\n<RECS>' + "".join(recs) + "</RECS>").encode(
        "cp950"
    )


def test_clean_record_is_accepted() -> None:
    [result] = check_upload(_file(_OK))
    assert result.accepted and result.errors == ()
    assert result.index == 0 and result.key is not None


def test_abnormal_record_with_normal_seq_is_rejected_with_nhi_message() -> None:
    bad = _OK.replace("<H01>A</H01>", "<H01>B</H01>").replace("<M01>SAM0000001</M01>", "")
    bad = bad.replace("<M02>339926420000</M02>", "").replace("<M14>ABCDEF</M14>", "")
    bad = bad.replace("<D11>SIG</D11>", "")
    [result] = check_upload(_file(bad))
    assert not result.accepted
    assert [(e.code, e.field) for e in result.errors] == [("AD02", "M13")]
    assert "異常代碼" in result.errors[0].message


def test_duplicate_key_in_one_file_is_c001() -> None:
    first, second = check_upload(_file(_OK, _OK))
    assert first.accepted
    assert [e.code for e in second.errors] == ["C001"]


def test_missing_end_tag_rejects_whole_file() -> None:
    [result] = check_upload(_file(_OK)[: -len(b"</RECS>")])
    assert result.index is None and not result.accepted
    assert [e.code for e in result.errors] == ["Y007"]
