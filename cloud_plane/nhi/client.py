"""The shared HTTP part of every NHI adapter: sign, POST JSON, translate the answer.

One call = one POST of ``{envelope..., params...}`` with per-phase timeouts. An answer with
``statusCode`` ``"0"`` (or ``0``) and HTTP 2xx is returned as a dict; anything else becomes a
typed error (cloud_plane.nhi.errors) carrying the NHI code. Network failures, timeouts and
unreadable answers become :class:`NhiUnavailable`.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from cloud_plane.nhi.errors import NhiUnavailable, error_for_status
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhi.signer import CardIdentity, HmacSigner, Signer

__all__ = ["NhiClient"]

M = TypeVar("M", bound=BaseModel)


class NhiClient:
    """Base of the per-service adapters; subclasses name their ``service`` and URL setting."""

    service: ClassVar[str] = "nhi"
    url_setting: ClassVar[str] = "card_service_url"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: NhiSettings,
        *,
        signer: Signer | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.base_url = str(getattr(settings, self.url_setting)).rstrip("/")
        self.signer: Signer = signer or HmacSigner(
            settings.hospital_id, settings.sam_id, settings.sam_secret.get_secret_value()
        )

    def _timeout(self, upload: bool) -> aiohttp.ClientTimeout:
        t = self.settings.timeouts
        return aiohttp.ClientTimeout(
            total=t.upload_total_s if upload else t.total_s,
            sock_connect=t.connect_s,
            sock_read=t.read_s,
        )

    async def call(
        self,
        path: str,
        service_type: str,
        params: dict[str, Any],
        *,
        card: CardIdentity | None = None,
        upload: bool = False,
    ) -> dict[str, Any]:
        envelope = await self.signer.sign(service_type, path, params, card)
        body = {**envelope, **params}
        try:
            async with self.session.post(
                self.base_url + path,
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self._timeout(upload),
            ) as resp:
                status = resp.status
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise NhiUnavailable(service=self.service, reason=type(exc).__name__) from exc
        try:
            answer = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise NhiUnavailable(service=self.service, reason="not_json", http=status) from exc
        if not isinstance(answer, dict):
            raise NhiUnavailable(service=self.service, reason="not_object", http=status)
        code = str(answer.get("statusCode", ""))
        if 200 <= status < 300 and code == "0":
            return answer
        error = error_for_status(status if status >= 400 else 422)
        raise error(
            service=self.service,
            nhi_code=code or None,
            nhi_message=answer.get("message"),
            field=answer.get("field"),
            details=answer.get("details"),
            http=status,
        )

    def parse(self, model: type[M], answer: dict[str, Any]) -> M:
        """The answer as ``model``; a missing or malformed field is the service's fault."""
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            raise NhiUnavailable(
                service=self.service, reason="bad_answer", detail=str(exc.errors()[:3])
            ) from exc
