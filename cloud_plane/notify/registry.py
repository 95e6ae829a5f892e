"""Picks the adapter of a channel from the settings (built on use, so a missing URL is reported
when a message for that channel is sent, naming the channel)."""

from __future__ import annotations

from cloud_plane.notify.base import Notice, Notifier, NotifierNotConfigured
from cloud_plane.notify.email import SmtpNotifier
from cloud_plane.notify.line import LineNotifier
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.notify.sms import SmsNotifier


class Notifiers:
    """Every channel's notifier; itself a :class:`Notifier` that routes by ``notice.channel``."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def for_channel(self, channel: str) -> Notifier:
        s = self.settings
        if channel == "email":
            return SmtpNotifier(s.smtp_url, s.mail_from, timeout_s=s.timeout_s)
        if channel == "sms":
            return SmsNotifier(s.sms_url, s.sms_token, timeout_s=s.timeout_s)
        if channel == "line":
            return LineNotifier(s.line_url, s.line_token, timeout_s=s.timeout_s)
        raise NotifierNotConfigured(channel=channel)

    async def send(self, notice: Notice) -> None:
        await self.for_channel(notice.channel).send(notice)
