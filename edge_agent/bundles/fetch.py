"""Fetch bundle bytes from the cloud over HTTP(S). Integrity comes from the signature, not the
transport; TLS keeps the download private and the size cap keeps a hostile server from filling
the disk."""

from __future__ import annotations

import aiohttp

from clinicbox_core.errors import DeviceError

MAX_BUNDLE_BYTES = 32 * 1024 * 1024


class BundleFetchFailed(DeviceError):
    default_key = "error.bundle.fetch_failed"


async def fetch_bundle(
    url: str, *, have: int | None, timeout_s: float = 60.0, max_bytes: int = MAX_BUNDLE_BYTES
) -> bytes:
    """GET ``url`` (with ``?have=N`` when the box holds version N) and return the body."""
    params = {"have": str(have)} if have else {}
    timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(10.0, timeout_s))
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, params=params) as resp,
        ):
            if resp.status != 200:
                raise BundleFetchFailed(url=url, reason=f"http {resp.status}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise BundleFetchFailed(url=url, reason="too_large")
                chunks.append(chunk)
            return b"".join(chunks)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BundleFetchFailed(url=url, reason=type(exc).__name__) from exc
