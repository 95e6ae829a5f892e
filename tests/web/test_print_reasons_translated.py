"""Every failure reason a box can report for a print job has a zh-TW (and English) message, so
the billing page never shows a bare code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_agent.printer.service import REASONS

LOCALE = Path(__file__).resolve().parents[2] / "cloud_plane" / "locale"


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_every_box_print_reason_has_a_message(lang: str) -> None:
    catalogue = json.loads((LOCALE / f"{lang}.json").read_text(encoding="utf-8"))
    missing = [r for r in REASONS if f"print.reason.{r}" not in catalogue]
    assert not missing, f"{lang}: no message for print reasons {missing}"
