"""Typed outbox errors.

ClinicboxError
└── Conflict
    └── OutboxError
        ├── AckBeyondLastSeq          the cloud acknowledged a seq the box never created
        ├── OutboxBelongsToOtherBox   the database file was created for another box id
        └── OutboxDiskError           the box's disk is (nearly) full
            ├── DiskNearlyFull        below the low-space mark: non-essential events refused
            └── DiskFull              SQLite could not write: nothing was written
"""

from __future__ import annotations

from clinicbox_core.errors import Conflict


class OutboxError(Conflict):
    default_key = "error.outbox"


class AckBeyondLastSeq(OutboxError):
    default_key = "error.outbox.ack_beyond_last_seq"


class OutboxBelongsToOtherBox(OutboxError):
    default_key = "error.outbox.other_box"


class OutboxDiskError(OutboxError):
    default_key = "error.box.disk"


class DiskNearlyFull(OutboxDiskError):
    default_key = "error.box.disk_low"


class DiskFull(OutboxDiskError):
    default_key = "error.box.disk_full"
