"""Shared builders for the bundle tests: rows, signed bundles."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
