"""Claims upload through ClaimsClient: a valid month is accepted with a receipt; the shared
validator's findings reject a corrupted file; the platform's own checks (file name, hospital,
duplicate) hold."""

from __future__ import annotations

import io
import zipfile

import aiohttp
import pytest
from sandbox_env import HOSP_B, Sandbox

from clinicbox_core.nhi.claims.build import build_claims
from clinicbox_core.nhi.claims.demo import demo_clinic_month
from clinicbox_core.nhi.claims.validate import errors_only, validate
from clinicbox_core.nhi.claims.xml_writer import to_xml
from cloud_plane.nhi.claims import ClaimsClient
from cloud_plane.nhi.errors import NhiAuthFailed, NhiConflict, NhiRejected

NAME = "3501200000" + "11" + "11303" + "1" + "3" + "B.xml"  # demo clinic, 113/03, 送核, 全月


def month(visits: int = 12, seed: int = 1) -> bytes:
    header, cases = demo_clinic_month(visits, seed=seed)
    return to_xml(build_claims(header, cases))


async def test_valid_month_accepted_then_duplicate(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    api = ClaimsClient(session, sandbox.settings())
    data = month(seed=3)
    receipt = await api.upload(NAME, data)
    assert receipt.status == "A11" and receipt.receipt_no.startswith("NHI_")
    stored = await api.result(receipt.receipt_no)
    assert (stored.status, stored.file_name, stored.fee_month) == ("A11", NAME, "11303")
    with pytest.raises(NhiConflict) as dup:
        await api.upload(NAME, data)
    assert dup.value.nhi_code == "SBX05"
    assert dup.value.details["receiptNo"] == receipt.receipt_no


async def test_zip_upload_is_unpacked(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(NAME.replace(".xml", ".xml"), month(seed=4))
    receipt = await ClaimsClient(session, sandbox.settings()).upload(
        NAME.replace(".xml", ".zip"), buf.getvalue()
    )
    assert receipt.status == "A11"


async def test_corrupted_file_rejected_with_the_validators_findings(
    sandbox: Sandbox, session: aiohttp.ClientSession
) -> None:
    good = month(seed=5).decode("big5")
    start = good.index("<d39>") + len("<d39>")
    end = good.index("</d39>", start)
    bad = (good[:start] + str(int(good[start:end]) + 7) + good[end:]).encode("big5")
    expected = {f.rule for f in errors_only(validate(bad))}
    assert expected  # the corruption is an error for the validator itself
    api = ClaimsClient(session, sandbox.settings())
    with pytest.raises(NhiRejected) as exc:
        await api.upload(NAME, bad)
    assert exc.value.nhi_code == "SBX04"
    got = {f["rule"] for f in exc.value.details["findings"] if f["severity"] == "error"}
    assert got == expected
    stored = await api.result(exc.value.details["receiptNo"])
    assert stored.status == "REJECTED"


async def test_file_name_rules(sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
    api = ClaimsClient(session, sandbox.settings())
    data = month(seed=6)
    with pytest.raises(NhiRejected) as name:
        await api.upload("claims.xml", data)
    assert name.value.nhi_code == "SBX02"
    with pytest.raises(NhiRejected) as enc:
        await api.upload(NAME.replace("B.xml", "E.xml"), data)
    assert enc.value.nhi_code == "SBX02"
    with pytest.raises(NhiAuthFailed) as other:
        await ClaimsClient(session, sandbox.settings(HOSP_B)).upload(NAME, data)
    assert other.value.nhi_code == "SBX03"
    with pytest.raises(NhiRejected) as month_mismatch:
        await api.upload(NAME.replace("11303", "11304"), data)
    fields = {f.get("field") for f in month_mismatch.value.details["findings"]}
    assert month_mismatch.value.nhi_code == "SBX04" and "t3" in fields
