"""Signed, versioned, delta-encoded data bundles the cloud pushes to boxes (pure).

A bundle kind (drug prices, fee schedule, rules, box configuration) is a set of effective-dated
rows keyed by ``(code, effective_from)``. The cloud publishes numbered versions; a box receives
either the full row set or a row-level delta against the version it holds, signed with the
cloud's Ed25519 key. Both sides import this package, so the wire format exists once.
"""

from clinicbox_core.bundles.codec import decode, encode
from clinicbox_core.bundles.delta import apply_delta, diff
from clinicbox_core.bundles.errors import (
    BundleBaseMismatch,
    BundleDigestMismatch,
    BundleError,
    BundleMalformed,
    BundleOutdated,
    BundleSignatureInvalid,
    BundleUntrustedKey,
)
from clinicbox_core.bundles.models import (
    BundleDelta,
    BundleHeader,
    BundleKind,
    BundleRow,
    RowKey,
    digest,
    in_force_row,
)
from clinicbox_core.bundles.signing import SigningKey, TrustedKeys, key_id

__all__ = [
    "BundleBaseMismatch",
    "BundleDelta",
    "BundleDigestMismatch",
    "BundleError",
    "BundleHeader",
    "BundleKind",
    "BundleMalformed",
    "BundleOutdated",
    "BundleRow",
    "BundleSignatureInvalid",
    "BundleUntrustedKey",
    "RowKey",
    "SigningKey",
    "TrustedKeys",
    "apply_delta",
    "decode",
    "diff",
    "digest",
    "encode",
    "in_force_row",
    "key_id",
]
