"""Keep each printed job as files: raw bytes (.bin), decoded text (.txt) and the paper (.png).

Blocking (file writes, Pillow); the virtual printer calls ``store_job`` in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devsim.escpos_model import EscposParseError, ParsedJob
from devsim.escpos_parse import parse_job
from devsim.escpos_png import render_png


@dataclass(frozen=True, slots=True)
class StoredJob:
    number: int
    received_at: datetime
    size: int
    job: ParsedJob
    bin_path: Path
    txt_path: Path
    png_path: Path
    png_height: int

    @property
    def text(self) -> str:
        return self.txt_path.read_text(encoding="utf-8")

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "received_at": self.received_at.isoformat(),
            "bytes": self.size,
            "lines": self.job.text_lines(),
            "warnings": list(self.job.warnings),
            "cut": self.job.cut,
            "png_height": self.png_height,
            "txt": f"/jobs/{self.number}.txt",
            "png": f"/jobs/{self.number}.png",
        }


def store_job(out_dir: Path, number: int, data: bytes) -> StoredJob:
    """Parse ``data`` and write ``job-NNNN.{bin,txt,png}`` under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"job-{number:04d}"
    bin_path, txt_path, png_path = (stem.with_suffix(s) for s in (".bin", ".txt", ".png"))
    bin_path.write_bytes(data)
    try:
        job = parse_job(data)
    except EscposParseError as exc:
        job = ParsedJob(warnings=(str(exc),))
    txt_path.write_text("\n".join(job.text_lines()) + "\n", encoding="utf-8")
    paper = render_png(job)
    paper.save(png_path)
    return StoredJob(
        number, datetime.now(UTC), len(data), job, bin_path, txt_path, png_path, paper.height
    )
