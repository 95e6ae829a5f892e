"""First-boot provisioning and certificate rotation on the box (keys never leave it)."""

from edge_agent.provisioning.client import provision
from edge_agent.provisioning.identity import DeviceIdentity

__all__ = ["DeviceIdentity", "provision"]
