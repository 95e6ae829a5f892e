"""An in-process print dispatcher for the web tests: it records every job handed to it.

This stands in for the MQTT boundary (the box link), not for our own code under test. Set
``fail_with`` to make the next dispatch fail the way the real one does (a ``DeviceError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clinicbox_core.contracts.messages import PrintJob
from clinicbox_core.errors import DeviceError


@dataclass(frozen=True)
class Dispatched:
    tenant_slug: str
    job: PrintJob
    box_id: str | None


@dataclass
class RecordingDispatcher:
    jobs: list[Dispatched] = field(default_factory=list)
    fail_with: DeviceError | None = None

    async def dispatch(self, tenant_slug: str, job: PrintJob, box_id: str | None) -> None:
        if self.fail_with is not None:
            err, self.fail_with = self.fail_with, None
            raise err
        self.jobs.append(Dispatched(tenant_slug, job, box_id))
