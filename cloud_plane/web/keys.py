"""Typed keys for what the application and each request carry (``AppKey``, ``RequestKey``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud_plane.config import CloudSettings
from cloud_plane.fleet.runtime import FleetRuntime
from cloud_plane.fleet.vendors import Vendor
from cloud_plane.notify.base import Notifier
from cloud_plane.services.actor import Actor
from cloud_plane.web.dispatch import PrintDispatcher
from cloud_plane.web.i18n import Catalogue
from cloud_plane.web.live import LiveHub
from cloud_plane.web.sessions import SessionCodec, WebSession

SETTINGS = web.AppKey("settings", CloudSettings)
ENGINE = web.AppKey("engine", AsyncEngine)
DISPATCHER = web.AppKey[PrintDispatcher]("print_dispatcher")
LIVE = web.AppKey("live", LiveHub)
CATALOGUE = web.AppKey("catalogue", Catalogue)
CODEC = web.AppKey("session_codec", SessionCodec)
#: Present on the box only (continuity mode), see :mod:`cloud_plane.web.continuity`.
CONTINUITY = web.AppKey[Any]("continuity")
#: Messages to patients (one-time codes); routes by channel (cloud_plane.notify).
NOTIFIER = web.AppKey[Notifier]("notifier")
#: The fleet service (provisioning, twin, commands) of this process; None in web-only tests.
FLEET = web.AppKey[FleetRuntime | None]("fleet")
#: Seconds between SSE heartbeat comments (15 in production; tests may shorten it).
HEARTBEAT_S = web.AppKey("sse_heartbeat_s", float)

#: The session of this request (a fresh anonymous one when the cookie was absent or invalid).
SESSION = web.RequestKey("web_session", WebSession)
#: Set when a handler replaced the session (login/logout): the cookie is rewritten.
SESSION_CHANGED = web.RequestKey("web_session_changed", bool)
#: The logged-in vendor (fleet console pages only).
VENDOR = web.RequestKey("vendor", Vendor)
#: The logged-in person, loaded from the database on every request.
ACTOR = web.RequestKey("actor", Actor)
#: Display names for the page header (``staff_name``, ``tenant_name``).
PERSON = web.RequestKey[dict[str, str]]("person")
#: The logged-in tenant's slug (MQTT topic segment), for print dispatch.
TENANT_SLUG = web.RequestKey("tenant_slug", str)
