"""SMS through an HTTP gateway: ``POST sms_url`` with ``{"to": phone, "text": body}`` and the
gateway token as a bearer. A provider with another request shape gets its own adapter here."""

from __future__ import annotations

from cloud_plane.notify.base import Notice, NotifierNotConfigured
from cloud_plane.notify.http_post import post_json


class SmsNotifier:
    def __init__(self, url: str, token: str, *, timeout_s: float = 10.0) -> None:
        if not url:
            raise NotifierNotConfigured(channel="sms")
        self.url, self.token, self.timeout_s = url, token, timeout_s

    async def send(self, notice: Notice) -> None:
        await post_json(
            self.url, self.token, {"to": notice.to, "text": f"{notice.subject}\n{notice.body}"},
            channel="sms", timeout_s=self.timeout_s,
        )  # fmt: skip
