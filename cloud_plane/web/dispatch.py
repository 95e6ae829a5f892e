"""The port through which a created print job leaves the web process towards a box.

The production implementation publishes an MQTT command; tests use an in-process recorder.
``box_id`` is ``None`` when the visit names no box: the implementation picks the tenant's box.
A failure to hand the job over raises :class:`~clinicbox_core.errors.DeviceError`.
"""

from __future__ import annotations

from typing import Protocol

from clinicbox_core.contracts.messages import PrintJob


class PrintDispatcher(Protocol):
    async def dispatch(self, tenant_slug: str, job: PrintJob, box_id: str | None) -> None: ...
