"""The bundle wire format (one format for full bundles and deltas)::

    b"CBB1" | u32 big-endian header length | header JSON | u32 payload length | payload | sig

The header is :class:`BundleHeader` as canonical JSON. The payload is zlib-compressed compact
JSON ``{"u": [[code, from, to, data], ...], "d": [[code, from], ...]}``. The signature is
Ed25519 over every byte before it, made with the key named by ``header.key_id``.

:func:`decode` checks structure, then the signature, and only then decompresses (bounded, so a
signed-but-hostile payload cannot exhaust memory) and parses the rows.
"""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date
from typing import Any

from pydantic import ValidationError

from clinicbox_core.bundles.errors import BundleMalformed
from clinicbox_core.bundles.models import BundleDelta, BundleHeader, BundleRow
from clinicbox_core.bundles.signing import SigningKey, TrustedKeys

__all__ = ["MAGIC", "MAX_PAYLOAD_BYTES", "decode", "encode", "read_header", "verify"]

MAGIC = b"CBB1"
SIG_LEN = 64
MAX_HEADER_BYTES = 4096
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024  # decompressed; the full drug list is ~3 MB


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode(header: BundleHeader, delta: BundleDelta, key: SigningKey) -> bytes:
    if header.key_id != key.key_id:
        raise ValueError("header.key_id must name the signing key")
    if not header.is_delta and delta.deletes:
        raise ValueError("a full bundle cannot delete rows")
    body = {
        "u": [r.as_list() for r in delta.upserts],
        "d": [[code, start.isoformat()] for code, start in delta.deletes],
    }
    head = _canonical(header.model_dump(mode="json"))
    payload = zlib.compress(_canonical(body), 9)
    signed = MAGIC + struct.pack(">I", len(head)) + head + struct.pack(">I", len(payload)) + payload
    return signed + key.sign(signed)


def _split(blob: bytes) -> tuple[BundleHeader, bytes, bytes, bytes]:
    if len(blob) < len(MAGIC) + 8 + SIG_LEN or not blob.startswith(MAGIC):
        raise BundleMalformed(reason="magic")
    (hlen,) = struct.unpack_from(">I", blob, 4)
    if hlen > MAX_HEADER_BYTES or 8 + hlen + 4 > len(blob):
        raise BundleMalformed(reason="header_length")
    head = blob[8 : 8 + hlen]
    (plen,) = struct.unpack_from(">I", blob, 8 + hlen)
    start = 12 + hlen
    if start + plen + SIG_LEN != len(blob):
        raise BundleMalformed(reason="length")
    try:
        header = BundleHeader.model_validate_json(head)
    except ValidationError as exc:
        raise BundleMalformed(reason="header") from exc
    return header, blob[start : start + plen], blob[: start + plen], blob[start + plen :]


def read_header(blob: bytes) -> BundleHeader:
    """The header without verifying anything (for logs and routing only)."""
    return _split(blob)[0]


def verify(blob: bytes, trusted: TrustedKeys) -> BundleHeader:
    """Check structure and signature only (no decompression, no row parsing)."""
    header, _, signed, signature = _split(blob)
    trusted.verify(header.key_id, signature, signed)
    return header


def decode(blob: bytes, trusted: TrustedKeys) -> tuple[BundleHeader, BundleDelta]:
    header, payload, signed, signature = _split(blob)
    trusted.verify(header.key_id, signature, signed)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(payload, MAX_PAYLOAD_BYTES)
    except zlib.error as exc:
        raise BundleMalformed(reason="compression") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise BundleMalformed(reason="payload_size")
    try:
        body = json.loads(raw)
        upserts = tuple(
            BundleRow(code=u[0], effective_from=u[1], effective_to=u[2], data=u[3])
            for u in body["u"]
        )
        deletes = tuple((str(d[0]), date.fromisoformat(d[1])) for d in body["d"])
        delta = BundleDelta(upserts=upserts, deletes=deletes)
    except (ValueError, KeyError, TypeError, IndexError, ValidationError) as exc:
        raise BundleMalformed(reason="payload") from exc
    if not header.is_delta and (delta.deletes or len(delta.upserts) != header.row_count):
        raise BundleMalformed(reason="full_bundle")
    return header, delta
