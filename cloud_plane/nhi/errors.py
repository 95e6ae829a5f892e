"""Typed errors of the NHI adapters, each carrying the NHI code of the answer.

``params``: ``service`` (adapter name), ``nhi_code`` (e.g. ``"5002"``, ``"C001"``, ``"SBX04"``),
``nhi_message`` (the service's zh-TW text), ``field`` when one input is at fault, ``details``
(e.g. validator findings). Which class is raised depends on the kind of failure, not the code:

    ValidationFailed → NhiRejected      the service refused the request (HTTP 400/413/422)
    Forbidden        → NhiAuthFailed    signature / SAM / rights (HTTP 401/403)
    NotFound         → NhiNotFound      no such card, token, prescription … (HTTP 404)
    Conflict         → NhiConflict      duplicate or already done (HTTP 409)
    DeviceError      → NhiUnavailable   unreachable, timed out, 5xx or an unreadable answer
"""

from __future__ import annotations

from typing import Any

from clinicbox_core.errors import Conflict, DeviceError, Forbidden, NotFound, ValidationFailed

__all__ = [
    "NHI_ERRORS",
    "NhiAuthFailed",
    "NhiConflict",
    "NhiError",
    "NhiNotFound",
    "NhiRejected",
    "NhiUnavailable",
    "error_for_status",
]


class NhiError:
    """Mixin: the NHI code and message of the answer (``None`` when there was no answer)."""

    params: dict[str, Any]

    @property
    def nhi_code(self) -> str | None:
        code = self.params.get("nhi_code")
        return None if code is None else str(code)

    @property
    def details(self) -> Any:
        return self.params.get("details")


class NhiRejected(NhiError, ValidationFailed):
    default_key = "error.nhi.rejected"


class NhiAuthFailed(NhiError, Forbidden):
    default_key = "error.nhi.auth_failed"


class NhiNotFound(NhiError, NotFound):
    default_key = "error.nhi.not_found"


class NhiConflict(NhiError, Conflict):
    default_key = "error.nhi.conflict"


class NhiUnavailable(NhiError, DeviceError):
    default_key = "error.nhi.unavailable"


# Every adapter error, for ``except NHI_ERRORS`` (NhiError is a mixin, not an exception class).
NHI_ERRORS = (NhiRejected, NhiAuthFailed, NhiNotFound, NhiConflict, NhiUnavailable)


def error_for_status(
    status: int,
) -> type[NhiRejected | NhiAuthFailed | NhiNotFound | NhiConflict | NhiUnavailable]:
    if status in (401, 403):
        return NhiAuthFailed
    if status == 404:
        return NhiNotFound
    if status == 409:
        return NhiConflict
    if 400 <= status < 500:
        return NhiRejected
    return NhiUnavailable
