"""Documents and jobs shared by the printer tests."""

from __future__ import annotations

import uuid

from clinicbox_core.contracts.messages import PrintJob
from clinicbox_core.printdoc.model import (
    Align,
    Blank,
    Cut,
    PrintDocument,
    QrCode,
    Rule,
    TextLine,
)


def drugbag(name: str = "王小明") -> PrintDocument:
    return PrintDocument(
        title=f"藥袋 {name}",
        blocks=[
            TextLine(text="仁心診所 藥袋", bold=True, double=True, align=Align.CENTER),
            Rule(),
            TextLine(text=f"姓名：{name}　先生"),
            TextLine(text="Amoxicillin 500mg 膠囊"),
            TextLine(text="用法：一天三次，飯後服用，共七天"),
            Blank(lines=1),
            QrCode(data="https://clinicbox.tw/rx/123"),
            Cut(),
        ],
    )


def job_for(doc: PrintDocument, role: str = "drugbag") -> PrintJob:
    return PrintJob(job_id=uuid.uuid4(), printer=role, document=doc)
