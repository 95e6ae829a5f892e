"""Printing on the box: PrintDocument → ESC/POS → a receipt printer on TCP, serial or USB.

``PrinterService`` is the port the agent uses; ``render`` turns a document into bytes; the back
ends in ``backends`` talk to devices; ``errors`` holds the typed failures and their reason codes.
"""

from __future__ import annotations

from edge_agent.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterTimeout,
    RenderFailed,
)
from edge_agent.printer.render import render
from edge_agent.printer.service import REASONS, PrinterService
from edge_agent.printer.status import PrinterStatus

__all__ = [
    "REASONS",
    "CoverOpen",
    "PaperOut",
    "PrinterError",
    "PrinterOffline",
    "PrinterService",
    "PrinterStatus",
    "PrinterTimeout",
    "RenderFailed",
    "render",
]
