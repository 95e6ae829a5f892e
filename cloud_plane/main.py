"""One cloud process: the web application and the box link, on one database and one broker.

The NHI side (``[nhi]``): check-in asks the card service for the 就醫序號 and the daily IC
upload runs by itself (cloud_plane.nhiops.scheduler) for every clinic with NHI credentials.

Start-up refuses a database whose schema is missing or newer than this code (run
``clinicbox migrate`` first). SIGTERM / SIGINT stop the web server, then the box link, then the
database pool.
"""

from __future__ import annotations

import asyncio
import logging
import signal

import aiohttp
from aiohttp import web

from clinicbox_core.bundles import SigningKey
from clinicbox_core.contracts import BoxReported, CommandResult
from cloud_plane.box_events import BoxEventHandlers
from cloud_plane.boxlink import BoxInbox
from cloud_plane.config import CloudSettings
from cloud_plane.continuity.publisher import WorkingSetPublisher
from cloud_plane.db.engine import create_engine
from cloud_plane.db.schema import check_schema
from cloud_plane.fleet.runtime import FleetRuntime
from cloud_plane.fleet_updates.bundles import BundlePublisher
from cloud_plane.fleet_updates.downloads import install as install_downloads
from cloud_plane.fleet_updates.engine import RolloutEngine
from cloud_plane.live_bridge import LIVE_FILTER, LiveBridge
from cloud_plane.nhiops.scheduler import IcUploadScheduler
from cloud_plane.nhiops.sequence import CardSequencer
from cloud_plane.notify.scheduler import ReminderScheduler
from cloud_plane.pharmacy.reminders import RefillReminderJob
from cloud_plane.print_dispatch import MqttPrintDispatcher
from cloud_plane.print_resend import PrintResender
from cloud_plane.web import keys
from cloud_plane.web.app import create_app
from cloud_plane.web.live import LiveHub

log = logging.getLogger(__name__)


async def _log_command_result(tenant: str, result: CommandResult) -> None:
    if result.ok:
        log.info("box %s/%s: command %s ok", tenant, result.box_id, result.command_id)
    else:
        log.warning(
            "box %s/%s: command %s failed: %s %s",
            tenant,
            result.box_id,
            result.command_id,
            result.error_code,
            result.detail,
        )


async def run_cloud(settings: CloudSettings, *, stop: asyncio.Event | None = None) -> None:
    if settings.database_url.startswith("sqlite") and ":///" in settings.database_url:
        from pathlib import Path

        Path(settings.database_url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url)
    await check_schema(engine)
    live = LiveHub()
    nhi_session = aiohttp.ClientSession()  # the NHI adapters' connection pool
    handlers = BoxEventHandlers(live, engine, CardSequencer(nhi_session, settings.nhi))
    bridge = LiveBridge(live, origin=settings.mqtt_client_id)
    publishers: list[WorkingSetPublisher] = []
    fleet_updates = settings.fleet_updates
    fleet = FleetRuntime(settings.fleet, engine)
    bundle_publisher = (
        BundlePublisher(engine, SigningKey(fleet_updates.signing_key))
        if fleet_updates.signing_key
        else None
    )
    rollout_engine = RolloutEngine(
        engine,
        lambda tenant, box, command: inbox.send_command(tenant, box, command),
        public_url=fleet_updates.public_url,
        tick_s=fleet_updates.rollout_tick_s,
        box_timeout_s=fleet_updates.box_timeout_s,
    )
    resenders: list[PrintResender] = []

    async def on_reported(tenant: str, reported: BoxReported) -> None:
        await handlers.reported(tenant, reported)
        for publisher in publishers:
            await publisher.on_reported(tenant, reported)
        await rollout_engine.on_reported(tenant, reported)
        for resender in resenders:
            await resender.on_reported(tenant, reported)
        await fleet.on_reported(tenant, reported)

    async def on_command_result(tenant: str, result: CommandResult) -> None:
        await _log_command_result(tenant, result)
        await rollout_engine.on_command_result(tenant, result)
        await fleet.on_command_result(tenant, result)

    inbox = BoxInbox(
        engine,
        settings.mqtt,
        settings.mqtt_client_id,
        {**handlers.table(), **fleet.event_handlers()},
        on_command_result=on_command_result,
        on_reported=on_reported,
        extra_subscriptions={LIVE_FILTER: bridge.receive, **fleet.subscriptions()},
    )
    bridge.attach(inbox)
    fleet.attach(inbox)
    publishers.append(WorkingSetPublisher(engine, inbox))
    resenders.append(PrintResender(engine, inbox))
    app = create_app(
        settings,
        engine,
        print_dispatcher=MqttPrintDispatcher(inbox, engine),
        live=live,
        fleet=fleet,
    )
    install_downloads(app, bundle_publisher)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    link = asyncio.create_task(inbox.run(), name="box-inbox")
    reminders = ReminderScheduler(
        engine,
        app[keys.NOTIFIER],
        app[keys.CATALOGUE],
        hours_before=settings.notify.reminder_hours_before,
        base_url=settings.notify.public_base_url,
        interval_s=settings.notify.scheduler_interval_s,
    )
    reminder_task = asyncio.create_task(reminders.run(stop), name="reminders")
    refills = RefillReminderJob(
        engine,
        app[keys.NOTIFIER],
        app[keys.CATALOGUE],
        interval_s=settings.notify.scheduler_interval_s,
        base_url=settings.notify.public_base_url,
    )
    refill_task = asyncio.create_task(refills.run(stop), name="refill-reminders")
    rollouts = asyncio.create_task(rollout_engine.run(), name="rollouts")
    scheduler = IcUploadScheduler(engine, settings.nhi, nhi_session, settings.mqtt_client_id)
    ic_upload = asyncio.create_task(scheduler.run(stop), name="ic-upload")
    fleet_task = asyncio.create_task(fleet.run(stop), name="fleet")
    try:
        await site.start()
        log.info(
            "cloud %s serving http://%s:%d",
            settings.mqtt_client_id,
            settings.http_host,
            settings.http_port,
        )
        await stop.wait()
    finally:
        stop.set()
        await reminder_task
        await refill_task
        await runner.cleanup()
        rollout_engine.stop()
        await asyncio.gather(rollouts, return_exceptions=True)
        await asyncio.gather(ic_upload, return_exceptions=True)
        await nhi_session.close()
        await inbox.stop()
        try:
            await asyncio.wait_for(link, 10)
        except TimeoutError:
            link.cancel()
        fleet_task.cancel()
        await asyncio.gather(fleet_task, return_exceptions=True)
        await engine.dispose()
