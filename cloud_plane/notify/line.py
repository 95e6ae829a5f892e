"""LINE Messaging API push: ``POST line_url`` with ``{"to": userId, "messages": [text]}`` and
the channel access token as a bearer (the patient's LINE user id is the contact)."""

from __future__ import annotations

from cloud_plane.notify.base import Notice, NotifierNotConfigured
from cloud_plane.notify.http_post import post_json


class LineNotifier:
    def __init__(self, url: str, token: str, *, timeout_s: float = 10.0) -> None:
        if not url or not token:
            raise NotifierNotConfigured(channel="line")
        self.url, self.token, self.timeout_s = url, token, timeout_s

    async def send(self, notice: Notice) -> None:
        text = f"{notice.subject}\n{notice.body}"
        await post_json(
            self.url, self.token, {"to": notice.to, "messages": [{"type": "text", "text": text}]},
            channel="line", timeout_s=self.timeout_s,
        )  # fmt: skip
