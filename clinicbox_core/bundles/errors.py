"""Why a bundle is refused. The box reports the ``message_key`` in its state and command result.

BundleError (ValidationFailed, 400)
├── BundleMalformed          bytes are not a bundle (truncated, bad magic, bad payload)
├── BundleUntrustedKey       signed by a key the box was not given
├── BundleSignatureInvalid   signature does not match the bytes (tampered or wrong key)
├── BundleDigestMismatch     rows after applying do not hash to the signed target digest
├── BundleOutdated (409)     version is not newer than the one the box holds
└── BundleBaseMismatch (409) a delta against a version the box does not hold
"""

from __future__ import annotations

from clinicbox_core.errors import ValidationFailed

__all__ = [
    "BundleBaseMismatch",
    "BundleDigestMismatch",
    "BundleError",
    "BundleMalformed",
    "BundleOutdated",
    "BundleSignatureInvalid",
    "BundleUntrustedKey",
]


class BundleError(ValidationFailed):
    default_key = "error.bundle"


class BundleMalformed(BundleError):
    default_key = "error.bundle.malformed"


class BundleUntrustedKey(BundleError):
    default_key = "error.bundle.untrusted_key"


class BundleSignatureInvalid(BundleError):
    default_key = "error.bundle.bad_signature"


class BundleDigestMismatch(BundleError):
    default_key = "error.bundle.digest_mismatch"


class BundleOutdated(BundleError):
    status = 409
    default_key = "error.bundle.outdated"


class BundleBaseMismatch(BundleError):
    status = 409
    default_key = "error.bundle.base_mismatch"
