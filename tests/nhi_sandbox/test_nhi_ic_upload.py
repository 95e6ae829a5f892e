"""IC-card data upload through IcUploadClient: a record made from a real 就醫序號 is accepted and
shows up in MediCloud; duplicates, forged signatures, foreign hospitals and format errors are
rejected with the NHI codes; a broken file is refused whole."""

from __future__ import annotations

from datetime import date

import aiohttp
import pytest
from sandbox_env import HOSP_A, HOSP_B, Sandbox

from clinicbox_core.nhi.ic_upload.fields import Version
from clinicbox_core.nhi.ic_upload.model import IcOrder, IcRecord, RecordKind, UploadFile
from clinicbox_core.nhi.ic_upload.validate import parse_roc_datetime
from clinicbox_core.nhi.ic_upload.xml_io import to_xml
from clinicbox_core.nhi.roc_date import format_roc_date
from cloud_plane.nhi.card_service import CardServiceClient, PrescriptionItem, SequenceNumber
from cloud_plane.nhi.errors import NhiRejected
from cloud_plane.nhi.ic_upload import IcUploadClient
from cloud_plane.nhi.medicloud import MediCloudClient
from cloud_plane.nhi.signer import CardIdentity


def record(
    person: dict[str, str], seq: SequenceNumber, rx: str = "B" * 40, **override: str
) -> IcRecord:
    """A 2.0 record of the visit ``seq``; ``rx`` is the order's 處方簽章 (see :func:`rx_sign`)."""
    mb1 = {
        "M01": seq.sam_id, "M02": person["card_no"], "M03": person["id_no"],
        "M04": format_roc_date(date.fromisoformat(person["birthday"])),
        "M05": seq.hospital_id, "M06": "A123456789", "M07": "01",
        "M11": seq.treatment_datetime, "M12": "1", "M13": seq.sequence_number,
        "M14": seq.signature, "M15": seq.treatment_number, "M35": "J069",
        "M44": "00000500", "M45": "00000050",
    }  # fmt: skip
    mb1.update(override)
    order = IcOrder(
        {
            "D01": seq.treatment_datetime, "D02": "1", "D03": "001", "D04": "A", "D05": "0",
            "D06": "A015034100", "D08": "TID", "D09": "03", "D10": "00009.0", "D11": rx,
        }
    )  # fmt: skip
    return IcRecord(Version.V2, RecordKind.NORMAL, mb1, (order,), {"H00": "1", "H01": "A"})


async def rx_sign(
    sandbox: Sandbox, session: aiohttp.ClientSession, person: dict[str, str], seq: SequenceNumber
) -> str:
    """The card's 處方簽章 of the record's one order (Prescription/Write)."""
    card = CardIdentity(person["card_no"], person["id_no"])
    item = PrescriptionItem(code="A015034100", days=3, total_quantity="9.0", usage="TID")
    when = parse_roc_datetime(seq.treatment_datetime)
    api = CardServiceClient(session, sandbox.settings())
    [sign] = await api.write_prescriptions(card, when, "01", [item])
    return sign


def upload_file(*records: IcRecord) -> bytes:
    return to_xml(UploadFile(Version.V2, tuple(records)))


async def visit(
    sandbox: Sandbox, session: aiohttp.ClientSession, index: int
) -> tuple[dict[str, str], SequenceNumber]:
    person = sandbox.patients("active")[index]
    card = CardIdentity(person["card_no"], person["id_no"])
    seq = await CardServiceClient(session, sandbox.settings()).next_sequence(card, "01")
    return person, seq


async def test_accepted_record_reaches_medicloud_and_duplicate_is_c001(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person, seq = await visit(sandbox, session, 7)
    api = IcUploadClient(session, sandbox.settings())
    data = upload_file(record(person, seq, await rx_sign(sandbox, session, person, seq)))
    first = await api.upload("ic-day-1.xml", data)
    assert (first.records, first.accepted, first.rejected) == (1, 1, 0)
    assert first.results[0].status == "accepted"
    card = CardIdentity(person["card_no"], person["id_no"])
    cloud = await MediCloudClient(session, sandbox.settings()).query(card)
    uploaded = [v for v in cloud.visits if v.source == "ic_upload"]
    assert [v.visit_datetime for v in uploaded] == [seq.treatment_datetime]
    assert uploaded[0].diagnoses == ["J069"]
    assert [m.code for m in uploaded[0].medications] == ["A015034100"]
    again = await api.upload("ic-day-1.xml", data)
    assert again.results[0].status == "rejected" and "C001" in again.results[0].codes
    stored = await api.result(first.upload_id)
    assert stored == first


async def test_sandbox_database_checks(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    person, seq = await visit(sandbox, session, 8)
    other, other_seq = await visit(sandbox, session, 9)
    rx = await rx_sign(sandbox, session, person, seq)
    bad = [
        record(person, seq, rx, M14="0" * 256),  # forged 安全簽章
        record(person, seq),  # a 處方簽章 the card never gave
        record(other, other_seq, M15=seq.treatment_number),  # someone else's 就醫識別碼
        record(person, seq, M02="000000000001", M11=seq.treatment_datetime[:-2] + "01"),
    ]
    result = await IcUploadClient(session, sandbox.settings()).upload("x.xml", upload_file(*bad))
    codes = [r.codes for r in result.results]
    assert codes[0] == ["04"]
    assert "16" in codes[1]  # (and C001: the same visit twice in one file)
    assert "D003" in codes[2]
    assert "05" in codes[3] and "D005" in codes[3]
    assert result.accepted == 0 and result.rejected == 4
    # a hospital uploading another hospital's record: 07
    as_b = IcUploadClient(session, sandbox.settings(HOSP_B))
    foreign = await as_b.upload("y.xml", upload_file(record(other, other_seq)))
    assert "07" in foreign.results[0].codes and other_seq.hospital_id == HOSP_A[0]


async def test_format_error_comes_from_the_shared_checker(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    person, seq = await visit(sandbox, session, 10)
    api = IcUploadClient(session, sandbox.settings())
    result = await api.upload("z.xml", upload_file(record(person, seq, M07="XX")))
    errors = result.results[0].errors
    assert result.results[0].status == "rejected"
    assert ("AE", "M07") in [(e.code, e.field) for e in errors]


async def test_broken_file_is_refused_whole(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    api = IcUploadClient(session, sandbox.settings())
    with pytest.raises(NhiRejected) as exc:
        await api.upload("broken.xml", b"<RECS><REC><MSH>")
    assert exc.value.nhi_code is not None and exc.value.nhi_code.startswith("Y")
    assert exc.value.details["accepted"] == 0
