"""One JSON POST with a bearer token, shared by the HTTP-based adapters (SMS, LINE)."""

from __future__ import annotations

from typing import Any

import aiohttp

from cloud_plane.notify.base import NotifyFailed


async def post_json(
    url: str, token: str, body: dict[str, Any], *, channel: str, timeout_s: float
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=body, headers=headers) as resp,
        ):
            if resp.status >= 300:
                raise NotifyFailed(channel=channel, reason=f"HTTP {resp.status}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise NotifyFailed(channel=channel, reason=type(exc).__name__) from exc
