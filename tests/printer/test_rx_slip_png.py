"""The prescription slip through the box's ESC/POS renderer and the virtual printer's raster:
its QR code, read back from the PNG with a real decoder (zxing-cpp), is the prescription."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import zxingcpp

from clinicbox_core.prescription.payload import DosePer, RxItem, RxKind, RxPayload
from clinicbox_core.prescription.qr_codec import decode_rx, encode_rx
from clinicbox_core.printdoc.documents import ClinicInfo
from clinicbox_core.printdoc.prescription import RxSlipData, RxSlipItem, prescription_slip
from devsim.escpos_parse import parse_job
from devsim.escpos_png import render_png
from edge_agent.config import PrinterSettings
from edge_agent.printer.render import render

ITEMS = [
    ("A000015421", "乙醯胺酚 500 mg", Decimal(1), DosePer.USE, "QD", 28, Decimal(28)),
    ("A031329100", "安莫西林 250 mg", Decimal("1.5"), DosePer.USE, "TID", 28, Decimal(126)),
    ("A001135", "順天堂薤白濃縮顆粒", Decimal("4.5"), DosePer.DAY, "TID", 28, Decimal(126)),
]


def slip() -> RxSlipData:
    payload = RxPayload(
        institution_code="3501200000",
        slip_no="20261203-42",
        doctor_id="A123456789",
        visit_date=date(2026, 12, 3),
        nhi_seq="0007",
        case_type="04",
        patient_id="P123456786",
        patient_birth=date(1958, 4, 2),
        kind=RxKind.CHRONIC,
        fills_total=3,
        fill_no=2,
        days_per_fill=28,
        diagnoses=("I10", "E11.9"),
        items=tuple(
            RxItem(code=c, dose=d, per=per, frequency=f, route="PO", days=n, total=t)
            for c, _, d, per, f, n, t in ITEMS
        ),
    )
    return RxSlipData(
        clinic=ClinicInfo(
            name="示範西區診所",
            address="臺北市大安區示範路1號",
            phone="02-2700-0001",
            institution_code="3501200000",
        ),
        patient_name="陳美玲",
        patient_sex="F",
        chart_no="000042",
        department="01",
        doctor_name="王大明醫師",
        diagnoses=(("I10", "本態性高血壓"), ("E11.9", "第二型糖尿病")),
        items=tuple(
            RxSlipItem(
                code=c,
                name=name,
                dose=d,
                per=per,
                unit="g" if per is DosePer.DAY else "粒",
                frequency=f,
                route="PO",
                days=n,
                total=t,
            )
            for c, name, d, per, f, n, t in ITEMS
        ),
        payload=payload,
    )


def test_slip_qr_survives_escpos_and_raster() -> None:
    data = slip()
    doc = prescription_slip(data)
    text = doc.plain_text()
    for label in (
        "門診交付處方箋",
        "慢性病連續處方箋",
        "可調劑次數：3 次",
        "本次調劑：第 2 次",
        "就醫序號：0007",
        "處方醫師：王大明醫師",
        "每日 4.5 g",
        "總量 126 粒",
    ):
        assert label in text, label
    raw = render(doc, PrinterSettings(name="receipt", columns=42))
    qr_text = encode_rx(data.payload)
    # GS ( k, function 180 (store the symbol data): the payload travels as it is.
    assert b"\x1d(k" in raw and qr_text.encode("ascii") in raw
    image = render_png(parse_job(raw))
    found = zxingcpp.read_barcodes(image)
    qr = [r for r in found if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(qr) == 1
    assert qr[0].text == qr_text
    assert decode_rx(qr[0].text) == data.payload
