"""Shared builders for the bundle tests: rows, signed bundles."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import strategies as st

from clinicbox_core.bundles import (
    BundleDelta,
    BundleHeader,
    BundleKind,
    BundleRow,
    SigningKey,
    diff,
    digest,
    encode,
)


def price_row(code: str, price: str, start: date, end: date | None = None) -> BundleRow:
    return BundleRow(code=code, effective_from=start, effective_to=end, data={"price": price})


def signed(
    key: SigningKey,
    version: int,
    rows: list[BundleRow],
    *,
    base: tuple[int, list[BundleRow]] | None = None,
    kind: BundleKind = BundleKind.DRUG_PRICES,
) -> bytes:
    """A full bundle of ``rows``, or a delta against ``base = (version, rows)``."""
    delta = diff(base[1], rows) if base else BundleDelta(upserts=tuple(rows))
    header = BundleHeader(
        kind=kind,
        version=version,
        base_version=base[0] if base else None,
        base_digest=digest(base[1]) if base else None,
        target_digest=digest(rows),
        row_count=len(rows),
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        key_id=key.key_id,
    )
    return encode(header, delta, key)


# Random row sets over a few codes, each (code, effective_from) at most once.
rows_st = st.dictionaries(
    st.tuples(st.sampled_from(["A0001", "A0002", "B1234", "AC5555"]), st.dates()),
    st.tuples(st.none() | st.dates(), st.integers(0, 10**6).map(str)),
    max_size=12,
).map(
    lambda d: [
        BundleRow(code=c, effective_from=f, effective_to=t, data={"price": p})
        for (c, f), (t, p) in d.items()
    ]
)
