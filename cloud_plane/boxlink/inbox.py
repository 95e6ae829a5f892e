"""The cloud's consumer of box messages: idempotent inbox for ``evt``, ``reported`` → box_status,
``cmd-result`` → a callback, and the gap-free :class:`OutboxAck` back to each box.

Several cloud processes run one ``BoxInbox`` each with the same shared subscription
(``$share/cloud/...``), so the broker splits boxes' messages among them; correctness never
depends on which one gets a message, because the database decides (unique (box_id, seq)).

Per event: one transaction inserts the ``box_inbox`` row and runs the handler registered for the
event body's ``type``; a duplicate skips the handler. A handler exception rolls back, is counted
in ``box_dead_letter``, and is not acknowledged, so the box resends; after ``max_attempts`` the
event is parked (dead-lettered and recorded as stored) so one poison event cannot block the box.
A database outage (connection-level error) is not counted against the event. An event type
without a registered handler is stored (and so acknowledged) with a warning.

Events of one box are applied in seq order: one whose predecessor is not stored is refused as a
gap (after a short wait, in case another consumer is committing the predecessor) and the box is
asked to resend from its last ack (``OutboxAck(resend=True)``, at most twice a second per box).

Events already queued when one arrives are taken as a burst (at most ``batch_max``): each box's
run of consecutive seqs in it is applied in one transaction (:mod:`cloud_plane.boxlink.batch`);
a run that cannot be applied whole (gap, duplicate, failing handler, database error) falls back
to one transaction per event, with every rule above.

Acknowledgements are coalesced: after a burst (the local queue is empty, or every ``ack_every``
messages) each box that sent something gets one ``OutboxAck(upto_seq=watermark)``.

The cloud session is clean (no persistent session): if this process goes away the broker hands
the shared subscription's messages to the others at once, and anything it had taken but not yet
committed is resent by the box after its ack timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

import aiomqtt
from paho.mqtt.reasoncodes import ReasonCode
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox_core.contracts import (
    BoxReported,
    Channel,
    Command,
    CommandResult,
    Event,
    OutboxAck,
    Topic,
    cloud_shared_subscription,
    parse_event,
)
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.boxlink.batch import apply_run
from cloud_plane.boxlink.errors import (
    BoxLinkConnectFailed,
    BoxLinkError,
    BoxLinkLost,
    BoxLinkUnavailable,
)
from cloud_plane.boxlink.mqtt import Backoff, connect, tls_context
from cloud_plane.boxlink.store import (
    Applied,
    EventHandler,
    advance_watermark,
    apply_event,
    record_failure,
    save_reported,
)

log = logging.getLogger(__name__)

CommandResultHandler = Callable[[str, CommandResult], Awaitable[None]]
ReportedHandler = Callable[[str, BoxReported], Awaitable[None]]
RawHandler = Callable[[str, bytes], Awaitable[None]]
SUBSCRIBED_CHANNELS = (Channel.EVT, Channel.CMD_RESULT, Channel.REPORTED)
GAP_RETRY_S = (0.01, 0.03)  # waits for a predecessor another consumer is committing
RESEND_ASK_INTERVAL_S = 0.5


class BoxInbox:
    """``await inbox.run()`` until ``await inbox.stop()``; ``stats`` counts outcomes."""

    def __init__(
        self,
        engine: AsyncEngine,
        mqtt: MqttSettings,
        client_id: str,
        handlers: Mapping[str, EventHandler],
        *,
        on_command_result: CommandResultHandler | None = None,
        on_reported: ReportedHandler | None = None,
        extra_subscriptions: Mapping[str, RawHandler] | None = None,
        max_attempts: int = 5,
        ack_every: int = 64,
        batch_max: int = 64,
        connect_timeout_s: float = 10.0,
    ) -> None:
        self.engine = engine
        self.mqtt = mqtt
        self.client_id = client_id
        self.handlers = dict(handlers)
        self.on_command_result = on_command_result
        self.on_reported = on_reported
        # Plain (not shared) subscriptions of this process, e.g. the live-update bridge between
        # cloud processes; they ride on the same connection (one identity per process).
        self.extra_subscriptions = dict(extra_subscriptions or {})
        self.max_attempts = max_attempts
        self.ack_every = ack_every
        self.batch_max = batch_max
        self.connect_timeout_s = connect_timeout_s
        self.stats: Counter[str] = Counter()
        self.last_error: BoxLinkError | None = None
        self._backoff = Backoff(mqtt.reconnect_min_s, mqtt.reconnect_max_s)
        self._stop = asyncio.Event()
        self._connected = asyncio.Event()
        self._client: aiomqtt.Client | None = None
        self._dirty: dict[tuple[str, str], bool] = {}
        self._last_ack: dict[str, int] = {}
        self._warned_types: set[str] = set()
        self._gapped: set[str] = set()
        self._resend_wanted: set[tuple[str, str]] = set()
        self._resend_asked: dict[str, float] = {}

    # ---- public -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def stop(self) -> None:
        self._stop.set()

    async def send_command(self, tenant: str, box_id: str, command: Command) -> None:
        """Publish ``command`` (QoS 1) on the box's ``cmd`` topic; waits for the broker's PUBACK.

        Raises :class:`BoxLinkUnavailable` when not connected. The box answers on ``cmd-result``
        (see ``on_command_result``); a box that is offline gets it when it reconnects.
        """
        client = self._client
        if client is None or not self.connected:
            raise BoxLinkUnavailable(box_id=box_id)
        topic = str(Topic(tenant, box_id, Channel.CMD))
        try:
            await client.publish(topic, command.model_dump_json(), qos=1)
        except aiomqtt.MqttError as exc:
            raise BoxLinkUnavailable(box_id=box_id, reason=str(exc)) from exc

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self._session()
            except BoxLinkError as exc:
                self.last_error = exc
                log.warning("cloud box link %s failed: %s", self.client_id, exc)
            except Exception:  # a bug or a database fault: keep consuming after a back-off
                log.exception("cloud box link %s session crashed; reconnecting", self.client_id)
            if self._stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._backoff.next()):
                    await self._stop.wait()

    # ---- connection ---------------------------------------------------------------------------

    async def _session(self) -> None:
        ctx = await asyncio.to_thread(tls_context, self.mqtt)
        client = aiomqtt.Client(
            self.mqtt.host,
            self.mqtt.port,
            identifier=self.client_id,
            username=self.mqtt.username,
            password=self.mqtt.password,
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=True,
            keepalive=self.mqtt.keepalive_s,
            tls_context=ctx,
            timeout=self.connect_timeout_s,
        )
        async with contextlib.AsyncExitStack() as stack:
            await connect(stack, client, self.mqtt, ctx)
            self._backoff.reset()
            self.last_error = None
            try:
                for channel in SUBSCRIBED_CHANNELS:
                    codes = await client.subscribe(cloud_shared_subscription(channel), qos=1)
                    if any(_failed_code(c) for c in codes):
                        raise BoxLinkConnectFailed(reason="subscribe_denied", channel=channel.value)
                for topic_filter in self.extra_subscriptions:
                    codes = await client.subscribe(topic_filter, qos=0)
                    if any(_failed_code(c) for c in codes):
                        raise BoxLinkConnectFailed(reason="subscribe_denied", channel=topic_filter)
                self._client = client
                self._connected.set()
                log.info("cloud box link %s connected", self.client_id)
                receiver = asyncio.create_task(self._receive(client))
                stopper = asyncio.create_task(self._stop.wait())
                try:
                    done, _ = await asyncio.wait(
                        {receiver, stopper}, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    receiver.cancel()
                    stopper.cancel()
                    await asyncio.gather(receiver, stopper, return_exceptions=True)
                if receiver in done and receiver.exception() is not None:
                    raise receiver.exception()  # type: ignore[misc]
            except aiomqtt.MqttError as exc:
                raise BoxLinkLost(reason=str(exc)) from exc
            finally:
                self._connected.clear()
                self._client = None

    async def _receive(self, client: aiomqtt.Client) -> None:
        since_flush = 0
        messages = client.messages
        while True:
            # A burst: whatever is already queued (up to ``batch_max``), so a box's backlog is
            # applied in runs of consecutive seqs, one transaction per run.
            burst = [await anext(messages)]
            while len(messages) > 0 and len(burst) < self.batch_max:
                burst.append(await anext(messages))
            await self._dispatch_burst(burst)
            since_flush += len(burst)
            if (self._dirty or self._resend_wanted) and (
                len(client.messages) == 0 or since_flush >= self.ack_every
            ):
                try:
                    await self._flush_acks(client)
                    await self._ask_resends(client)
                except SQLAlchemyError as exc:
                    log.error("database unavailable computing acks: %s", exc)
                    self.stats["db_error"] += 1
                since_flush = 0

    # ---- dispatch -----------------------------------------------------------------------------

    async def publish(
        self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False
    ) -> None:
        """Publish on any topic this cloud identity may use; ``BoxLinkUnavailable`` if offline."""
        client = self._client
        if client is None or not self.connected:
            raise BoxLinkUnavailable(topic=topic)
        try:
            await client.publish(topic, payload, qos=qos, retain=retain)
        except aiomqtt.MqttError as exc:
            raise BoxLinkUnavailable(topic=topic, reason=str(exc)) from exc

    async def _dispatch_burst(self, burst: list[aiomqtt.Message]) -> None:
        """Events grouped per box (order kept) and applied in runs; the rest one by one."""
        runs: dict[tuple[str, str], list[tuple[Event, str]]] = {}
        for message in burst:
            parsed = self._as_event(message)
            if parsed is None:
                await self._dispatch(message)
                continue
            topic, event, text = parsed
            runs.setdefault((topic.tenant, topic.box), []).append((event, text))
        for (tenant, box_id), items in runs.items():
            topic = Topic(tenant, box_id, Channel.EVT)
            start = 0
            while start < len(items):
                end = start + 1
                while end < len(items) and items[end][0].seq == items[end - 1][0].seq + 1:
                    end += 1
                chunk = items[start:end]
                start = end
                if len(chunk) >= 2:
                    done = await apply_run(
                        self.engine, tenant, [e for e, _ in chunk], self.handlers
                    )
                    if done:
                        self.stats["runs"] += 1
                        for _ in chunk:
                            self._count(topic, Applied.APPLIED)
                        continue
                    self.stats["runs_split"] += 1
                for event, text in chunk:
                    await self._on_event(topic, text, event)

    def _as_event(self, message: aiomqtt.Message) -> tuple[Topic, Event, str] | None:
        """A well-formed event of the box its topic names, else ``None`` (dispatched alone)."""
        if any(message.topic.matches(f) for f in self.extra_subscriptions):
            return None
        try:
            topic = Topic.parse(str(message.topic))
        except ValueError:
            return None
        if topic.channel is not Channel.EVT:
            return None
        raw = message.payload
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
        try:
            event = parse_event(text)
        except ValidationError:
            return None
        return (topic, event, text) if event.box_id == topic.box else None

    async def _dispatch(self, message: aiomqtt.Message) -> None:
        for topic_filter, raw_handler in self.extra_subscriptions.items():
            if message.topic.matches(topic_filter):
                payload = message.payload
                data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
                try:
                    await raw_handler(str(message.topic), data)
                except Exception:
                    log.exception("handler of %s failed", topic_filter)
                return
        try:
            topic = Topic.parse(str(message.topic))
        except ValueError:
            log.warning("ignoring message on unexpected topic %s", message.topic)
            return
        raw = message.payload
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
        if topic.channel is Channel.EVT:
            await self._on_event(topic, text)
        elif topic.channel is Channel.REPORTED:
            await self._on_reported(topic, text)
        elif topic.channel is Channel.CMD_RESULT:
            await self._on_command_result(topic, text)

    async def _on_event(self, topic: Topic, text: str, parsed: Event | None = None) -> None:
        try:
            event = parsed or parse_event(text)
        except ValidationError as exc:
            seq = _loose_seq(text)
            if seq is None:
                log.error("dropping unreadable event without seq from %s: %s", topic.box, exc)
                return
            await self._failed(topic, seq, text, f"unreadable event: {exc}", None)
            return
        if event.box_id != topic.box:
            await self._failed(topic, event.seq, text, f"box_id {event.box_id} on topic", None)
            return
        handler = self.handlers.get(event.body.type)
        if handler is None and event.body.type not in self._warned_types:
            self._warned_types.add(event.body.type)
            log.warning("no handler for box event type %s: stored without effect", event.body.type)
        try:
            outcome = await apply_event(self.engine, topic.tenant, event, handler)
            # Another consumer may be committing the predecessor right now: wait for it briefly,
            # unless this box is already known to have a real gap (then every event behind it
            # would wait for nothing).
            for pause in GAP_RETRY_S:
                if outcome is not Applied.GAP or topic.box in self._gapped:
                    break
                await asyncio.sleep(pause)
                outcome = await apply_event(self.engine, topic.tenant, event, handler)
        except (OperationalError, InterfaceError) as exc:
            log.error("database unavailable for %s/%d: %s", event.box_id, event.seq, exc)
            self.stats["db_error"] += 1
            return
        except Exception as exc:
            log.warning("handler failed for %s/%d: %r", event.box_id, event.seq, exc)
            await self._failed(topic, event.seq, text, repr(exc), event)
            return
        self._count(topic, outcome)

    async def _failed(
        self, topic: Topic, seq: int, text: str, error: str, event: Event | None
    ) -> None:
        try:
            outcome = await record_failure(
                self.engine,
                tenant=topic.tenant,
                box_id=topic.box,
                seq=seq,
                payload=text,
                error=error,
                max_attempts=self.max_attempts,
                event=event,
            )
        except (OperationalError, InterfaceError) as exc:
            log.error("database unavailable recording a failure: %s", exc)
            self.stats["db_error"] += 1
            return
        self._count(topic, outcome)

    def _count(self, topic: Topic, outcome: Applied) -> None:
        self.stats[outcome.value] += 1
        if outcome is Applied.GAP:
            self._gapped.add(topic.box)
            self._resend_wanted.add((topic.tenant, topic.box))
            return
        self._gapped.discard(topic.box)
        if outcome is not Applied.FAILED:
            key = (topic.tenant, topic.box)
            self._dirty[key] = self._dirty.get(key, False) or outcome is Applied.DUPLICATE

    async def _ask_resends(self, client: aiomqtt.Client) -> None:
        """Tell each box with a gap to resend from its last ack now (at most once per box per
        :data:`RESEND_ASK_INTERVAL_S`), instead of after its ack timeout."""
        wanted, self._resend_wanted = self._resend_wanted, set()
        now = asyncio.get_running_loop().time()
        for tenant, box_id in wanted:
            if now - self._resend_asked.get(box_id, -RESEND_ASK_INTERVAL_S) < RESEND_ASK_INTERVAL_S:
                continue
            mark = await advance_watermark(self.engine, tenant, box_id)
            ask = Command(body=OutboxAck(upto_seq=mark, resend=True))
            await client.publish(
                str(Topic(tenant, box_id, Channel.CMD)), ask.model_dump_json(), qos=1
            )
            self._resend_asked[box_id] = now
            self._last_ack[box_id] = max(mark, self._last_ack.get(box_id, 0))
            self.stats["resends_asked"] += 1

    async def _flush_acks(self, client: aiomqtt.Client) -> None:
        dirty, self._dirty = self._dirty, {}
        for (tenant, box_id), force in dirty.items():
            try:
                mark = await advance_watermark(self.engine, tenant, box_id)
            except SQLAlchemyError:
                self._dirty[(tenant, box_id)] = force  # try again after the next message
                raise
            if mark == 0 or (mark <= self._last_ack.get(box_id, 0) and not force):
                continue
            ack = Command(body=OutboxAck(upto_seq=mark))
            await client.publish(
                str(Topic(tenant, box_id, Channel.CMD)), ack.model_dump_json(), qos=1
            )
            self._last_ack[box_id] = mark
            self.stats["acks_sent"] += 1

    async def _on_reported(self, topic: Topic, text: str) -> None:
        try:
            reported = BoxReported.model_validate_json(text)
        except ValidationError as exc:
            log.warning("unreadable reported state from %s: %s", topic.box, exc)
            return
        if reported.box_id != topic.box:
            log.warning("reported state for %s arrived on %s's topic", reported.box_id, topic.box)
            return
        try:
            await save_reported(self.engine, topic.tenant, reported)
        except SQLAlchemyError as exc:
            log.error("could not save reported state of %s: %s", topic.box, exc)
            self.stats["db_error"] += 1
            return
        self.stats["reported"] += 1
        if self.on_reported is not None:
            try:
                await self.on_reported(topic.tenant, reported)
            except Exception:
                log.exception("on_reported failed for %s", reported.box_id)

    async def _on_command_result(self, topic: Topic, text: str) -> None:
        try:
            result = CommandResult.model_validate_json(text)
        except ValidationError as exc:
            log.warning("unreadable command result from %s: %s", topic.box, exc)
            return
        if result.box_id != topic.box:
            log.warning("command result for %s arrived on %s's topic", result.box_id, topic.box)
            return
        self.stats["command_results"] += 1
        if self.on_command_result is not None:
            try:
                await self.on_command_result(topic.tenant, result)
            except Exception:
                log.exception("on_command_result failed for %s", result.command_id)


def _loose_seq(text: str) -> int | None:
    """The ``seq`` of an event that does not validate, if it has a usable one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    seq = data.get("seq") if isinstance(data, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1 else None


def _failed_code(code: int | ReasonCode) -> bool:
    return code.is_failure if isinstance(code, ReasonCode) else code >= 0x80
