"""First-expiry-first-out: which lots a dispensed quantity comes from.

Lots past their expiry date are never dispensed. Lots are taken in order of expiry (then lot
number, for a stable answer). When the usable stock is short, the allocation is refused with
:class:`InsufficientStock` unless the caller passes ``override=True`` (an explicit, audited
decision by a pharmacist): then the shortfall is taken from the usable lot expiring last, which
goes negative until the next stock-take or receipt puts it right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clinicbox_core.errors import Conflict, ValidationFailed

__all__ = ["InsufficientStock", "LotBalance", "LotTake", "allocate_fefo"]


class InsufficientStock(Conflict):
    """``params``: ``field``, ``code``, ``wanted`` and ``available`` (usable, unexpired)."""

    default_key = "error.stock.insufficient"


@dataclass(frozen=True, slots=True)
class LotBalance:
    lot_id: int
    lot_no: str
    expiry: date
    on_hand: Decimal


@dataclass(frozen=True, slots=True)
class LotTake:
    lot_id: int
    quantity: Decimal  # > 0: taken from this lot


def allocate_fefo(
    code: str,
    lots: Sequence[LotBalance],
    quantity: Decimal,
    *,
    on: date,
    override: bool = False,
    field: str = "quantity",
) -> list[LotTake]:
    """The takes (lot, quantity) covering ``quantity`` of drug ``code`` dispensed ``on``."""
    if not quantity.is_finite() or quantity <= 0:
        raise ValidationFailed("error.field.not_positive", field=field)
    usable = sorted(
        (lot for lot in lots if lot.expiry >= on), key=lambda lot: (lot.expiry, lot.lot_no)
    )
    available = sum((max(lot.on_hand, Decimal(0)) for lot in usable), Decimal(0))
    if available < quantity and (not override or not usable):
        raise InsufficientStock(
            field=field, code=code, wanted=str(quantity), available=str(available)
        )
    takes: list[LotTake] = []
    left = quantity
    for lot in usable:
        if left <= 0:
            break
        take = min(max(lot.on_hand, Decimal(0)), left)
        if take > 0:
            takes.append(LotTake(lot.lot_id, take))
            left -= take
    if left > 0:  # override: the last-expiring lot goes negative
        last = usable[-1].lot_id
        merged = [t for t in takes if t.lot_id != last]
        before = sum((t.quantity for t in takes if t.lot_id == last), Decimal(0))
        takes = [*merged, LotTake(last, before + left)]
    return takes
