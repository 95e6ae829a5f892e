"""Row-level delta between two versions of one bundle kind, keyed by ``(code, effective_from)``.

``apply_delta(old, diff(old, new)) == new`` for every pair of row sets (a hypothesis property
test checks it). A row whose key exists in both versions with different content is an upsert;
a key only in ``old`` is a delete.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinicbox_core.bundles.models import BundleDelta, BundleRow, RowKey, canonical_rows

__all__ = ["apply_delta", "diff"]


def diff(old: Iterable[BundleRow], new: Iterable[BundleRow]) -> BundleDelta:
    before = {r.key: r for r in canonical_rows(old)}
    after = {r.key: r for r in canonical_rows(new)}
    upserts = tuple(r for k, r in after.items() if before.get(k) != r)
    deletes: tuple[RowKey, ...] = tuple(k for k in before if k not in after)
    return BundleDelta(upserts=upserts, deletes=deletes)


def apply_delta(old: Iterable[BundleRow], delta: BundleDelta) -> list[BundleRow]:
    rows = {r.key: r for r in canonical_rows(old)}
    for key in delta.deletes:
        rows.pop(key, None)
    for row in delta.upserts:
        rows[row.key] = row
    return canonical_rows(rows.values())
