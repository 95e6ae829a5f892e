"""The box's local status page (127.0.0.1:``status_port``): serial, provisioning state and the
one-time claim code a clinic types into the cloud to claim this box. JSON at ``/status.json``
for installers' tools and tests."""

from __future__ import annotations

from aiohttp import web

from edge_agent.config import BoxSettings


class StatusPage:
    def __init__(self, settings: BoxSettings) -> None:
        self.settings = settings
        self.state = "starting"
        self.detail: str | None = None
        self.code: str | None = None
        self._runner: web.AppRunner | None = None

    def update(self, state: str, detail: str | None) -> None:
        self.state = state
        self.detail = detail

    async def start(self) -> None:
        if self.settings.status_port == 0:
            return
        app = web.Application()
        app.router.add_get("/status.json", self._status)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.settings.status_port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _status(self, request: web.Request) -> web.Response:
        claimed = self.state in ("provisioned", "running")
        return web.json_response(
            {
                "serial": self.settings.box_id,
                "state": self.state,
                "detail": self.detail,
                "claim_code": None if claimed else self.code,
            }
        )
