"""Effective-dated rule tables: a rule change is a new row, not a code edit.

Each NHI rule family keeps its parameters as a tuple of :class:`Effective` rows
``(rule_id, valid_from, valid_to, source, params)``. :func:`in_force` picks the row covering a
date; the rule function then evaluates that row's parameters. ``valid_to`` is inclusive and
``None`` means "until further notice".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Generic, TypeVar

from clinicbox_core.nhi.errors import NoRuleInForce

__all__ = ["Effective", "check_no_overlap", "in_force"]

_P = TypeVar("_P")


@dataclass(frozen=True, slots=True)
class Effective(Generic[_P]):
    """One edition of a rule: its id, validity (inclusive, ``None`` = open), source, parameters."""

    rule_id: str
    valid_from: date
    valid_to: date | None
    source: str
    params: _P

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


def in_force(rows: Sequence[Effective[_P]], on: date, *, rule: str) -> Effective[_P]:
    """The single row of ``rows`` covering ``on``; :class:`NoRuleInForce` when there is none."""
    matches = [row for row in rows if row.covers(on)]
    if len(matches) != 1:
        # More than one match is a broken table; check_no_overlap guards that at import time.
        raise NoRuleInForce(rule=rule, on=on.isoformat())
    return matches[0]


def check_no_overlap(rows: Sequence[Effective[_P]]) -> None:
    """Raise ``ValueError`` if two rows overlap or a row ends before it starts (table sanity)."""
    ordered = sorted(rows, key=lambda r: r.valid_from)
    for row in ordered:
        if row.valid_to is not None and row.valid_to < row.valid_from:
            raise ValueError(f"rule row {row.rule_id} ends before it starts")
    for earlier, later in pairwise(ordered):
        if earlier.valid_to is None or earlier.valid_to >= later.valid_from:
            raise ValueError(f"rule rows {earlier.rule_id} and {later.rule_id} overlap")
