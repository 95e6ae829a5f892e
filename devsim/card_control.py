"""A small HTTP control process that holds the demo's virtual NHI card slot.

``python -m devsim.card_control --control-port N [--vpcd-port P]`` keeps one
:class:`~devsim.vpcd_slot.VirtualCardSlot` and lets the demo, ``clinicbox card insert/remove``
and the tests move a card in and out of pcscd's virtual reader:

- ``POST /insert`` JSON ``{card_no, name, id_no, birth_date, sex, issue_date, kind}``; every
  field is optional (the demo card fills the gaps). ``kind``: ``nhi`` (default), ``nhi_t0``
  (answers 61xx, needs GET RESPONSE), ``nhi_slj52g`` (new 114/12 card refusing SELECT with
  6D00), ``foreign`` (not an NHI card). Inserting while a card is in swaps it.
- ``POST /remove``; ``GET /state``.

Errors are JSON ``{"error": {"message_key", "params"}}`` with the error's HTTP status.
:func:`control` is the matching client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, Literal

import aiohttp
from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clinicbox.runtime.pcscd import ensure_pcscd
from clinicbox_core.errors import ClinicboxError, DeviceError, ValidationFailed
from clinicbox_core.nhi.card import NhiCardBasic
from clinicbox_core.nhi.roc_date import format_roc_date
from devsim.nhi_card import ATR_NHI_SLJ52G, ForeignCard, VirtualNhiCard, demo_card
from devsim.vpcd_protocol import VirtualCard
from devsim.vpcd_slot import VirtualCardSlot

log = logging.getLogger(__name__)

CardKind = Literal["nhi", "nhi_t0", "nhi_slj52g", "foreign"]
Action = Literal["insert", "remove", "state"]
_DEMO = demo_card()


class InsertRequest(BaseModel):
    """The body of ``POST /insert``; defaults are the demo card."""

    model_config = ConfigDict(extra="forbid")

    card_no: str = Field(default=_DEMO.card_no, pattern=r"^[0-9]{12}$")
    name: str = Field(default=_DEMO.name, min_length=1, max_length=10)
    id_no: str = Field(default=_DEMO.id_no, pattern=r"^[A-Z][0-9A-D][0-9]{8}$")
    birth_date: date = _DEMO.birth_date
    sex: Literal["M", "F"] = "M"
    issue_date: date = _DEMO.issue_date
    kind: CardKind = "nhi"

    @field_validator("name")
    @classmethod
    def _big5_name(cls, value: str) -> str:
        try:
            encoded = value.encode("big5")
        except UnicodeEncodeError as exc:
            raise ValueError(f"character {value[exc.start]!r} has no Big5 code") from exc
        if len(encoded) > 20:
            raise ValueError("name is longer than 20 Big5 bytes (10 Chinese characters)")
        return value

    @field_validator("birth_date", "issue_date")
    @classmethod
    def _roc_range(cls, value: date) -> date:
        format_roc_date(value)  # raises ValueError outside ROC years 1-999
        return value

    @model_validator(mode="after")
    def _issued_after_birth(self) -> InsertRequest:
        if self.issue_date < self.birth_date:
            raise ValueError("issue_date is before birth_date")
        return self

    def basic(self) -> NhiCardBasic:
        return NhiCardBasic(
            card_no=self.card_no,
            name=self.name,
            id_no=self.id_no,
            birth_date=self.birth_date,
            sex=self.sex,
            issue_date=self.issue_date,
        )

    def virtual_card(self) -> VirtualCard:
        if self.kind == "foreign":
            return ForeignCard()
        if self.kind == "nhi_slj52g":
            return VirtualNhiCard(self.basic(), ATR_NHI_SLJ52G, select_answers_6d00=True)
        return VirtualNhiCard(self.basic(), t0_get_response=self.kind == "nhi_t0")


class CardControlError(DeviceError):
    """The control process refused or failed a request (``params`` hold its answer)."""

    default_key = "error.card_control"


class CardControl:
    """The slot plus what was last inserted, behind the HTTP handlers."""

    def __init__(self, slot: VirtualCardSlot) -> None:
        self.slot = slot
        self.request: InsertRequest | None = None

    def state(self) -> dict[str, Any]:
        inserted = self.slot.inserted and self.request is not None
        return {
            "inserted": inserted,
            "kind": self.request.kind if inserted and self.request else None,
            "card": self.request.model_dump(mode="json", exclude={"kind"})
            if inserted and self.request
            else None,
            "vpcd": {"host": self.slot.host, "port": self.slot.port},
        }

    async def insert(self, request: InsertRequest) -> dict[str, Any]:
        await asyncio.to_thread(ensure_pcscd)
        await self.slot.insert(request.virtual_card())
        self.request = request
        log.info("inserted %s card %s (%s)", request.kind, request.card_no, request.name)
        return self.state()

    async def remove(self) -> dict[str, Any]:
        await self.slot.remove()
        self.request = None
        log.info("card removed")
        return self.state()


def _parse_insert(body: Any) -> InsertRequest:
    if not isinstance(body, dict):
        raise ValidationFailed(field="body", detail="expected a JSON object")
    try:
        return InsertRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise ValidationFailed(field=field, detail=first["msg"]) from exc


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ClinicboxError as exc:
        body = {"error": {"message_key": exc.message_key, "params": exc.params}}
        return web.json_response(body, status=exc.status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def build_app(control: CardControl) -> web.Application:
    """The aiohttp application serving ``control``."""

    async def insert(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise ValidationFailed(field="body", detail=f"invalid JSON: {exc}") from exc
        return web.json_response(await control.insert(_parse_insert(body)), dumps=_dumps)

    async def remove(_: web.Request) -> web.Response:
        return web.json_response(await control.remove(), dumps=_dumps)

    async def state(_: web.Request) -> web.Response:
        return web.json_response(control.state(), dumps=_dumps)

    app = web.Application(middlewares=[_errors_as_json])
    app.router.add_post("/insert", insert)
    app.router.add_post("/remove", remove)
    app.router.add_get("/state", state)
    return app


async def control(
    base_url: str, action: Action, card: dict[str, Any] | None = None, http_timeout: float = 15.0
) -> dict[str, Any]:
    """Ask a running card_control process to ``insert`` (``card`` fields), ``remove`` or
    report its ``state``; returns the JSON state it answers with."""
    url = f"{base_url.rstrip('/')}/{action}"
    client_timeout = aiohttp.ClientTimeout(total=http_timeout)
    try:
        async with aiohttp.ClientSession(timeout=client_timeout) as session:
            if action == "state":
                response_cm = session.get(url)
            elif action == "insert":
                response_cm = session.post(url, json=card or {})
            elif action == "remove":
                response_cm = session.post(url)
            else:
                raise ValueError(f"unknown card control action {action!r}")
            async with response_cm as response:
                reply: Any = await response.json(content_type=None)
                if response.status >= 400:
                    error = reply.get("error", {}) if isinstance(reply, dict) else {}
                    failure = CardControlError(error.get("message_key"), **error.get("params", {}))
                    failure.status = response.status
                    raise failure
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CardControlError(url=url, detail=str(exc)) from exc
    if not isinstance(reply, dict):
        raise CardControlError(url=url, detail=f"unexpected answer {reply!r}")
    return reply


async def serve(host: str, port: int, vpcd_host: str, vpcd_port: int | None) -> None:
    """Run the control API until SIGINT/SIGTERM; the card is removed on the way out."""
    slot = VirtualCardSlot(vpcd_host, vpcd_port)
    runner = web.AppRunner(build_app(CardControl(slot)))
    await runner.setup()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("card control on http://%s:%d (vpcd %s:%d)", host, port, vpcd_host, slot.port)
        await stopping.wait()
    finally:
        with contextlib.suppress(Exception):
            await slot.remove()
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devsim.card_control", description=__doc__)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--vpcd-host", default="127.0.0.1")
    parser.add_argument(
        "--vpcd-port", type=int, default=None, help="default: $CLINICBOX_VPCD_PORT or 35963"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(serve(args.host, args.control_port, args.vpcd_host, args.vpcd_port))


if __name__ == "__main__":
    main()
