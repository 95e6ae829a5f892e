"""The MQTT contract between boxes and the cloud: topics and versioned message models."""

from clinicbox_core.contracts.continuity import (
    ContinuityRecord,
    WorkingSetPart,
    WorkingSetResync,
    WorkingSetState,
)
from clinicbox_core.contracts.fleet_updates import (
    BundleAvailable,
    SoftwareUpdate,
    UpdateState,
)
from clinicbox_core.contracts.messages import (
    SCHEMA_VERSION,
    BoxReported,
    CardInserted,
    CardRemoved,
    Command,
    CommandResult,
    Event,
    OutboxAck,
    PrintJob,
    PrintResult,
    ScanRead,
    parse_command,
    parse_event,
)
from clinicbox_core.contracts.topics import Channel, Topic, cloud_shared_subscription

__all__ = [
    "SCHEMA_VERSION",
    "BoxReported",
    "BundleAvailable",
    "CardInserted",
    "CardRemoved",
    "Channel",
    "Command",
    "CommandResult",
    "ContinuityRecord",
    "Event",
    "OutboxAck",
    "PrintJob",
    "PrintResult",
    "ScanRead",
    "SoftwareUpdate",
    "Topic",
    "UpdateState",
    "WorkingSetPart",
    "WorkingSetResync",
    "WorkingSetState",
    "cloud_shared_subscription",
    "parse_command",
    "parse_event",
]
