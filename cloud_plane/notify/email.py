"""E-mail over SMTP (stdlib ``smtplib`` in a worker thread: no extra dependency).

``smtp://host:port`` uses STARTTLS when the server offers it; ``smtps://`` is TLS from the
start; ``user:password@`` logs in. Library errors become :class:`NotifyFailed`.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from cloud_plane.notify.base import Notice, NotifierNotConfigured, NotifyFailed


class SmtpNotifier:
    def __init__(self, url: str, mail_from: str, *, timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise NotifierNotConfigured(channel="email")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.mail_from = mail_from
        self.timeout_s = timeout_s

    def _message(self, notice: Notice) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = notice.to
        msg["Subject"] = notice.subject
        msg.set_content(notice.body)
        return msg

    def _send_sync(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with client:
            client.ehlo()
            if not self.tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if self.user:
                client.login(self.user, self.password)
            client.send_message(msg)

    async def send(self, notice: Notice) -> None:
        try:
            await asyncio.to_thread(self._send_sync, self._message(notice))
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyFailed(channel="email", reason=type(exc).__name__) from exc
