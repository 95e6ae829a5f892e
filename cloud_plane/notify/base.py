"""The notifier port, the message it carries, and its errors.

    ClinicboxError
    └── Conflict
        └── NotifyError
            ├── NotifierNotConfigured   the channel has no URL configured (409)
            └── NotifyFailed            the server or gateway refused or was unreachable (409)

Both are ``Conflict`` so a public form that triggered the message is shown again with what the
person typed and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from clinicbox_core.errors import Conflict


@dataclass(frozen=True, slots=True)
class Notice:
    """One message to one person."""

    channel: str  # email / sms / line
    to: str  # address, phone number or LINE user id
    subject: str
    body: str


class Notifier(Protocol):
    async def send(self, notice: Notice) -> None:
        """Deliver ``notice`` or raise :class:`NotifyError`."""
        ...


class NotifyError(Conflict):
    default_key = "error.notify.failed"


class NotifierNotConfigured(NotifyError):
    default_key = "error.notify.not_configured"


class NotifyFailed(NotifyError):
    default_key = "error.notify.failed"
