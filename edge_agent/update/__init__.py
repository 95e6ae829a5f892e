"""A/B software updates on the box: the agent's side of firmware_scripts/."""

from edge_agent.update.manager import REBOOT_EXIT_CODE, UpdateManager
from edge_agent.update.scripts import AbScripts, UpdateScriptFailed

__all__ = ["REBOOT_EXIT_CODE", "AbScripts", "UpdateManager", "UpdateScriptFailed"]
