"""Each notifier adapter against a real far end: SMTP to an aiosmtpd process, SMS and LINE to an
HTTP server on a real port; unconfigured channels fail loudly, naming the channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from clinicbox.runtime.mailsink import MailSink
from clinicbox.runtime.ports import free_port
from cloud_plane.notify.base import Notice, NotifierNotConfigured, NotifyFailed
from cloud_plane.notify.email import SmtpNotifier
from cloud_plane.notify.line import LineNotifier
from cloud_plane.notify.registry import Notifiers
from cloud_plane.notify.settings import NotifySettings
from cloud_plane.notify.sms import SmsNotifier
from cloud_plane.web.i18n import Catalogue


async def test_email_arrives_at_the_smtp_server_in_utf8(sink: MailSink) -> None:
    to = "lin.meihui@example.com"
    await SmtpNotifier(sink.url, "clinic@example.com").send(
        Notice("email", to, "示範西區診所 驗證碼", "您的驗證碼為 123456")
    )
    [msg] = sink.messages(to)
    assert str(make_header(decode_header(msg["Subject"]))) == "示範西區診所 驗證碼"
    assert "您的驗證碼為 123456" in msg.get_payload(decode=True).decode("utf-8")
    assert msg["From"] == "clinic@example.com"


async def test_unreachable_smtp_server_is_a_failure_not_a_success() -> None:
    notifier = SmtpNotifier(f"smtp://127.0.0.1:{free_port()}", "c@example.com", timeout_s=2)
    with pytest.raises(NotifyFailed) as err:
        await notifier.send(Notice("email", "a@example.com", "s", "b"))
    assert err.value.params["channel"] == "email"


@pytest.mark.parametrize("channel", ["sms", "line"])
async def test_unconfigured_channel_says_so(channel: str) -> None:
    notifiers = Notifiers(NotifySettings())  # no SMS or LINE URL
    with pytest.raises(NotifierNotConfigured) as err:
        await notifiers.send(Notice(channel, "0912345678", "s", "b"))
    text = Catalogue.load().t(err.value.message_key, **err.value.params)
    assert ("簡訊" if channel == "sms" else "LINE") in text
    assert "尚未設定" in text


class Gateway:
    """An HTTP server that records what the SMS / LINE adapters post (and can refuse)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({}, status=self.status)


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, str]]:
    gw = Gateway()
    app = web.Application()
    app.router.add_post("/send", gw.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield gw, str(server.make_url("/send"))
    finally:
        await server.close()


async def test_sms_posts_to_the_gateway(gateway: tuple[Gateway, str]) -> None:
    gw, url = gateway
    await SmsNotifier(url, "sms-token").send(Notice("sms", "0912345678", "提醒", "明天 9:00"))
    assert gw.received == [("Bearer sms-token", {"to": "0912345678", "text": "提醒\n明天 9:00"})]
    gw.status = 500
    with pytest.raises(NotifyFailed):
        await SmsNotifier(url, "sms-token").send(Notice("sms", "0912345678", "s", "b"))


async def test_line_pushes_a_text_message(gateway: tuple[Gateway, str]) -> None:
    gw, url = gateway
    user = "U" + "0" * 32
    settings = NotifySettings(line_url=url, line_token="line-token")
    await Notifiers(settings).send(Notice("line", user, "提醒", "看診號 7"))
    auth, body = gw.received[0]
    assert auth == "Bearer line-token"
    assert body == {"to": user, "messages": [{"type": "text", "text": "提醒\n看診號 7"}]}


def test_line_without_token_is_not_configured() -> None:
    with pytest.raises(NotifierNotConfigured):
        LineNotifier("https://api.line.me/v2/bot/message/push", "")
