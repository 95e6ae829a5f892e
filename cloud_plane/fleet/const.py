"""States and kinds of the fleet, as documented string enums (stored in the database)."""

from __future__ import annotations

from enum import StrEnum


class BoxState(StrEnum):
    """Life of one box serial in ``fleet_boxes``."""

    UNCLAIMED = "unclaimed"  # it asked for a certificate; nobody assigned it to a clinic yet
    ASSIGNED = "assigned"  # bound to a clinic (by serial or code); certificate not yet issued
    PROVISIONED = "provisioned"  # certificate issued; listed in the broker ACL
    REVOKED = "revoked"  # every certificate in the CRL, removed from the ACL; never re-issued


class CommandStatus(StrEnum):
    SENT = "sent"  # published to the box's persistent session; no result yet
    OK = "ok"
    FAILED = "failed"
    TIMED_OUT = "timed_out"  # no result before the deadline (a late result is kept in detail)


class CommandKind(StrEnum):
    """Remote actions the console offers (the MQTT body ``type`` of each)."""

    RESTART_AGENT = "agent.restart"
    RESYNC = "ws.resync"  # continuity rebuilds the working set (edge_agent/continuity)
    PRINT_TEST_PAGE = "printer.test_page"
    COLLECT_LOGS = "logs.collect"
    ROTATE_CERT = "cert.rotate"
    REBOOT = "system.reboot"
