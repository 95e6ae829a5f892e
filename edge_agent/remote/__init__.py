"""Remote commands on the box: a registry of one handler per command type."""

from edge_agent.remote.registry import CommandRegistry, Handler

__all__ = ["CommandRegistry", "Handler"]
