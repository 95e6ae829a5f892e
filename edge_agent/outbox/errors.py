"""Typed outbox errors.

ClinicboxError
└── Conflict
    └── OutboxError
        ├── AckBeyondLastSeq          the cloud acknowledged a seq the box never created
        └── OutboxBelongsToOtherBox   the database file was created for another box id
"""

from __future__ import annotations

from clinicbox_core.errors import Conflict


class OutboxError(Conflict):
    default_key = "error.outbox"


class AckBeyondLastSeq(OutboxError):
    default_key = "error.outbox.ack_beyond_last_seq"


class OutboxBelongsToOtherBox(OutboxError):
    default_key = "error.outbox.other_box"
