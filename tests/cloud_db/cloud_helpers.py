"""Helpers of the cloud database tests (unique test cards, common clinic-day steps)."""

from __future__ import annotations

import itertools
import os
from datetime import date

from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.id_number import check_digit

_serial = itertools.count(int.from_bytes(os.urandom(3), "big") % 9_000_000)


def make_card(name: str = "測試病人", sex: str = "M", born: date = date(1985, 3, 4)) -> NhiCardBasic:
    """A valid, unique card (national ID with a correct check digit)."""
    n = next(_serial) % 10_000_000
    first_nine = f"{'Q' if sex == 'M' else 'R'}{1 if sex == 'M' else 2}{n:07d}"
    return NhiCardBasic(
        card_no=f"9{n:011d}",
        name=name,
        id_no=first_nine + check_digit(first_nine),
        birth_date=born,
        sex=sex,
        issue_date=date(2020, 1, 2),
    )
