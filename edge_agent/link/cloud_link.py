"""The box's MQTT 5 link to the cloud: drains the outbox, receives commands, reports state.

Delivery contract (at-least-once, the cloud deduplicates on (box_id, seq)):

- Events are published QoS 1 on ``evt`` in seq order, at most ``window`` beyond the last
  :class:`OutboxAck`. After every (re)connect sending restarts right after the outbox's acked
  seq, and if no ack progress happens for ``ack_timeout_s`` while events are outstanding, the
  sender rewinds to the acked seq and resends (covers a lost ack or a cloud consumer that died
  after PUBACK but before its commit). An ack with ``resend`` (the cloud refused an event
  because one before it is missing) rewinds at once.
- The session is persistent (``clean_start=False`` + session expiry), so commands sent while the
  box is offline wait at the broker; the box still re-subscribes on every connect in case the
  broker lost its session (kill -9 between autosaves).
- ``reported`` is retained: ``online=True`` with the outbox depth on connect, ``online=False``
  as the last will and on a clean ``stop()``.
- Commands: :class:`OutboxAck` acknowledges the outbox; anything else goes to ``on_command`` in
  its own task and the :class:`CommandResult` is published QoS 1 on ``cmd-result`` (kept and
  retried across reconnects). A redelivered command id is not run twice: its result is re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from clinicbox.mqtt import Backoff
from clinicbox_core.contracts import (
    BoxDesired,
    BoxReported,
    Channel,
    Command,
    CommandResult,
    OutboxAck,
    Topic,
    parse_command,
)
from clinicbox_core.errors import ClinicboxError
from edge_agent.config import BoxSettings
from edge_agent.link.errors import BrokerRefused, LinkError, LinkLost, TlsRejected
from edge_agent.link.mqtt import connect, tls_context
from edge_agent.link.probe import broker_reachable, pause_or_reachable
from edge_agent.outbox import AckBeyondLastSeq, AsyncOutbox, OutboxDiskError
from edge_agent.twin import BoxTwin

log = logging.getLogger(__name__)

CommandHandler = Callable[[Command], Awaitable[CommandResult]]

DEFAULT_WINDOW = 64
DEFAULT_ACK_TIMEOUT_S = 10.0
DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600
IDLE_POLL_S = 1.0  # safety net if a notify() is ever missed
REMEMBERED_COMMANDS = 1024


class CloudLink:
    """Run with ``await link.run()`` (returns after ``await link.stop()``)."""

    def __init__(
        self,
        settings: BoxSettings,
        outbox: AsyncOutbox,
        on_command: CommandHandler,
        *,
        window: int = DEFAULT_WINDOW,
        ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S,
        session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S,
        connect_timeout_s: float = 10.0,
        software_version: str = "",
        readers: Callable[[], list[str]] | None = None,
        extras: Callable[[], dict[str, Any]] | None = None,
        twin: BoxTwin | None = None,
    ) -> None:
        if window < 1:
            raise ValueError("window must be >= 1")
        self.settings = settings
        self.outbox = outbox
        self.on_command = on_command
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.session_expiry_s = session_expiry_s
        self.connect_timeout_s = connect_timeout_s
        self.software_version = software_version
        self._readers = readers
        self._extras = extras  # more BoxReported fields (continuity: URL, working set)
        self.twin = twin
        box, tenant = settings.box_id, settings.tenant
        if tenant is None:
            raise LinkError("error.provisioning.no_tenant")
        self.evt_topic = str(Topic(tenant, box, Channel.EVT))
        self.cmd_topic = str(Topic(tenant, box, Channel.CMD))
        self.result_topic = str(Topic(tenant, box, Channel.CMD_RESULT))
        self.reported_topic = str(Topic(tenant, box, Channel.REPORTED))
        self.desired_topic = str(Topic(tenant, box, Channel.DESIRED))
        self._reconnect = asyncio.Event()
        self._backoff = Backoff(settings.mqtt.reconnect_min_s, settings.mqtt.reconnect_max_s)
        self._wake = asyncio.Event()
        self._ack_progress = asyncio.Event()
        self._results_ready = asyncio.Event()
        self._results_sent = asyncio.Event()
        self._stop = asyncio.Event()
        self._connected = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._acked = 0
        self._rewind = False
        self._closing = False
        self._last_ack_progress = 0.0
        self._pending_results: deque[CommandResult] = deque()
        self._commands: OrderedDict[str, CommandResult | None] = OrderedDict()
        self._command_tasks: set[asyncio.Task[None]] = set()
        self.last_error: LinkError | None = None
        self.connects = 0
        self.resends = 0
        self.probe_wakeups = 0

    # ---- public -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def wait_drained(self) -> None:
        """Return once the cloud has acknowledged every event in the outbox."""
        while True:
            self._ack_progress.clear()
            if await self.outbox.depth() == 0:
                return
            await self._ack_progress.wait()

    def notify(self) -> None:
        """A new event was appended to the outbox: send it now."""
        self._wake.set()

    async def report(self) -> None:
        """Publish the current reported state now (e.g. after a reader came or went)."""
        client = self._client
        if client is not None and self.connected:
            await self._publish_reported(client, online=True)

    def reconnect(self) -> None:
        """Drop the connection and connect again (re-reading the certificate files)."""
        self._reconnect.set()

    async def flush_results(self) -> None:
        """Return once every queued command result was handed to the broker."""
        while self._pending_results or self._results_ready.is_set():
            self._results_sent.clear()
            await self._results_sent.wait()

    async def stop(self) -> None:
        """Report offline, disconnect cleanly and make ``run()`` return."""
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Connect, serve, and reconnect with back-off until ``stop()``."""
        try:
            while not self._stop.is_set():
                try:
                    await self._session()
                except LinkError as exc:
                    self.last_error = exc
                    log.warning("box link to %s:%s failed: %s", *self._where(), exc)
                except Exception:  # a bug or a local fault (outbox): keep the link alive
                    log.exception("box link session crashed; reconnecting")
                if self._stop.is_set():
                    break
                await self._pause(self._backoff.next())
        finally:
            for task in list(self._command_tasks):
                task.cancel()
            await asyncio.gather(*self._command_tasks, return_exceptions=True)

    async def _pause(self, delay: float) -> None:
        """The back-off sleep, cut short by a reachability probe (see :mod:`.probe`) unless
        the broker itself turned us away (then only the back-off paces the attempts)."""
        mqtt = self.settings.mqtt
        rejected = isinstance(self.last_error, BrokerRefused) or (
            isinstance(self.last_error, TlsRejected)
            and self.last_error.params.get("side") != "handshake"
        )
        interval = 0.0 if rejected else mqtt.probe_interval_s

        async def probe() -> bool:
            return await broker_reachable(mqtt.host, mqtt.port)

        if await pause_or_reachable(
            delay,
            interval_s=interval,
            spread_s=mqtt.probe_spread_s,
            probe=probe,
            stopped=self._stop,
        ):
            self.probe_wakeups += 1

    # ---- one connection -----------------------------------------------------------------------

    def _where(self) -> tuple[str, int]:
        return self.settings.mqtt.host, self.settings.mqtt.port

    def _make_client(self, ctx: object) -> aiomqtt.Client:
        mqtt = self.settings.mqtt
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.session_expiry_s
        will = aiomqtt.Will(
            topic=self.reported_topic,
            payload=self._reported(online=False, depth=0).model_dump_json(),
            qos=1,
            retain=True,
        )
        client = aiomqtt.Client(
            mqtt.host,
            mqtt.port,
            identifier=self.settings.box_id,
            username=mqtt.username,
            password=mqtt.password,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=False,
            properties=props,
            will=will,
            keepalive=mqtt.keepalive_s,
            tls_context=ctx,  # type: ignore[arg-type]
            timeout=self.connect_timeout_s,
            max_inflight_messages=self.window,
        )
        client.pending_calls_threshold = self.window + 16  # our window bounds them
        return client

    async def _session(self) -> None:
        ctx = await asyncio.to_thread(tls_context, self.settings.mqtt)
        client = self._make_client(ctx)
        async with contextlib.AsyncExitStack() as stack:
            await connect(stack, client, self.settings.mqtt, ctx)
            self._client = client
            self.connects += 1
            self._backoff.reset()
            self.last_error = None
            try:
                await client.subscribe(self.cmd_topic, qos=1)
                if self.twin is not None:
                    await client.subscribe(self.desired_topic, qos=1)
                await self._publish_reported(client, online=True)
                self._connected.set()
                log.info("box link connected to %s:%s", *self._where())
                await self._serve(client)
            except aiomqtt.MqttError as exc:
                raise LinkLost(reason=str(exc)) from exc
            finally:
                self._connected.clear()
                self._client = None

    async def _serve(self, client: aiomqtt.Client) -> None:
        self._closing = False
        self._reconnect.clear()
        tasks = [
            asyncio.create_task(self._reconnect.wait(), name="link-reconnect"),
            asyncio.create_task(self._heartbeat(client), name="link-heartbeat"),
            asyncio.create_task(self._receive(client), name="link-receive"),
            asyncio.create_task(self._send_events(client), name="link-send"),
            asyncio.create_task(self._send_results(client), name="link-results"),
            asyncio.create_task(self._stop.wait(), name="link-stop"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._closing = True  # loops return at their next turn even if a cancel is lost
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            exc = task.exception()
            if exc is not None:
                raise exc
        if self._stop.is_set():
            with contextlib.suppress(aiomqtt.MqttError):
                await self._publish_reported(client, online=False)

    def _reported(self, *, online: bool, depth: int) -> BoxReported:
        extra = self.twin.next_fields() if self.twin is not None else {}
        return BoxReported(
            box_id=self.settings.box_id,
            online=online,
            software_version=self.software_version,
            readers=self._readers() if self._readers is not None else [],
            outbox_depth=depth,
            disk_state=self.outbox.disk.state.value,
            disk_free_bytes=self.outbox.disk.free,
            **(self._extras() if self._extras is not None else {}),
            **extra,
        )

    async def _heartbeat(self, client: aiomqtt.Client) -> None:
        """Re-publish reported state every heartbeat (health history, liveness, twin)."""
        while not self._closing:
            wait_s = self.twin.heartbeat_s if self.twin is not None else 60.0
            await asyncio.sleep(wait_s)
            await self._publish_reported(client, online=True)

    async def _publish_reported(self, client: aiomqtt.Client, *, online: bool) -> None:
        depth = await self.outbox.depth()
        payload = self._reported(online=online, depth=depth).model_dump_json()
        await client.publish(self.reported_topic, payload, qos=1, retain=True)

    # ---- events out ---------------------------------------------------------------------------

    async def _send_events(self, client: aiomqtt.Client) -> None:
        loop = asyncio.get_running_loop()
        self._acked = await self.outbox.acked_seq()
        sent_upto = self._acked
        self._last_ack_progress = loop.time()
        while not self._closing:
            self._wake.clear()
            if self._rewind:  # the cloud is missing an event: resend from the ack now
                self._rewind = False
                if sent_upto > self._acked:
                    self.resends += 1
                    sent_upto = self._acked
            sent_upto = max(sent_upto, self._acked)
            room = self.window - (sent_upto - self._acked)
            if room > 0:
                events = await self.outbox.unacked(after_seq=sent_upto, limit=room)
                if events:
                    if sent_upto == self._acked:
                        self._last_ack_progress = loop.time()  # the ack clock starts now
                    await asyncio.gather(
                        *(
                            client.publish(self.evt_topic, e.model_dump_json(), qos=1)
                            for e in events
                        )
                    )
                    sent_upto = events[-1].seq
                    continue
            wait_s = IDLE_POLL_S
            if sent_upto > self._acked:
                left = self.ack_timeout_s - (loop.time() - self._last_ack_progress)
                if left <= 0:
                    log.info(
                        "no ack for %.1fs; resending from seq %d",
                        self.ack_timeout_s,
                        self._acked + 1,
                    )
                    self.resends += 1
                    sent_upto = self._acked
                    self._last_ack_progress = loop.time()
                    continue
                wait_s = min(wait_s, left)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._wake.wait()

    # ---- commands in --------------------------------------------------------------------------

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | str):
                continue
            if str(message.topic) == self.desired_topic:
                await self._apply_desired(client, payload)
                continue
            try:
                command = parse_command(payload)
            except ValidationError as exc:
                log.warning("dropping unreadable command on %s: %s", message.topic, exc)
                continue
            if isinstance(command.body, OutboxAck):
                await self._apply_ack(command.body.upto_seq)
                if command.body.resend:
                    self._rewind = True
                    self._wake.set()
            else:
                self._accept(command)

    async def _apply_desired(self, client: aiomqtt.Client, payload: bytes | str) -> None:
        try:
            desired = BoxDesired.model_validate_json(payload)
        except ValidationError as exc:
            log.warning("dropping unreadable desired state: %s", exc)
            return
        mine = self.twin is not None and desired.box_id == self.settings.box_id
        if mine and self.twin is not None and await asyncio.to_thread(self.twin.apply, desired):
            await self._publish_reported(client, online=True)

    async def _apply_ack(self, upto_seq: int) -> None:
        try:
            await self.outbox.ack(upto_seq)
        except AckBeyondLastSeq as exc:
            log.error("cloud acknowledged beyond our last seq: %s", exc)
            return
        except OutboxDiskError as exc:  # the delete could not be written; a later ack retries
            log.error("outbox could not apply ack %d: %s", upto_seq, exc)
            return
        if self.twin is not None:
            self.twin.last_sync = datetime.now(UTC)
        if upto_seq > self._acked:
            self._acked = upto_seq
            self._last_ack_progress = asyncio.get_running_loop().time()
            self._wake.set()
            self._ack_progress.set()

    def _accept(self, command: Command) -> None:
        key = str(command.command_id)
        if key in self._commands:
            known = self._commands[key]
            if known is not None:  # finished before: answer again, do not run again
                self._queue_result(known)
            return
        self._commands[key] = None
        while len(self._commands) > REMEMBERED_COMMANDS:
            self._commands.popitem(last=False)
        task = asyncio.create_task(self._run_command(command))
        self._command_tasks.add(task)
        task.add_done_callback(self._command_tasks.discard)

    async def _run_command(self, command: Command) -> None:
        box_id = self.settings.box_id
        try:
            result = await self.on_command(command)
        except ClinicboxError as exc:
            result = CommandResult(
                command_id=command.command_id,
                box_id=box_id,
                ok=False,
                error_code=exc.message_key,
                detail=str(exc),
            )
        except Exception as exc:
            log.exception("command %s failed", command.command_id)
            result = CommandResult(
                command_id=command.command_id,
                box_id=box_id,
                ok=False,
                error_code="error.internal",
                detail=type(exc).__name__,
            )
        self._commands[str(command.command_id)] = result
        self._queue_result(result)

    def _queue_result(self, result: CommandResult) -> None:
        self._pending_results.append(result)
        self._results_ready.set()

    async def _send_results(self, client: aiomqtt.Client) -> None:
        while not self._closing:
            await self._results_ready.wait()
            self._results_ready.clear()
            while self._pending_results:
                result = self._pending_results[0]
                await client.publish(self.result_topic, result.model_dump_json(), qos=1)
                self._pending_results.popleft()
            self._results_sent.set()
