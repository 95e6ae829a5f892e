"""Base of every typed clinicbox error.

Errors carry a ``message_key`` into the translation catalogue (cloud_plane/locale/*.json), the
``params`` the message needs, and the HTTP ``status`` a web handler should answer with. Code never
decides anything on message text, only on the key.

    ClinicboxError
    ├── ValidationFailed     bad input from a person or a device (400)
    ├── NotFound             the thing does not exist *for this tenant* (404)
    ├── Forbidden            logged in, but the role may not do this (403)
    ├── Conflict             state does not allow it (409)
    └── DeviceError          a card reader, printer or broker failed (503)
"""

from __future__ import annotations

from typing import Any


class ClinicboxError(Exception):
    """An error a person can act on: a catalogue key plus the values it names."""

    status = 500
    default_key = "error.internal"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        self.message_key = message_key or self.default_key
        self.params = params
        super().__init__(f"{self.message_key} {params}" if params else self.message_key)


class ValidationFailed(ClinicboxError):
    """Input failed a rule; ``params['field']`` names the field when there is one."""

    status = 400
    default_key = "error.validation"


class NotFound(ClinicboxError):
    status = 404
    default_key = "error.not_found"


class Forbidden(ClinicboxError):
    status = 403
    default_key = "error.forbidden"


class Conflict(ClinicboxError):
    status = 409
    default_key = "error.conflict"


class DeviceError(ClinicboxError):
    status = 503
    default_key = "error.device"
