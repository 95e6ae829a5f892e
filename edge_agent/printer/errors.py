"""Typed printer errors, each carrying the stable reason code a failed PrintResult reports.

Back ends translate socket, pyserial, pyusb and python-escpos errors into these at the boundary
(``raise PrinterOffline(...) from exc``); the service turns them into ``PrintResult.reason``.

    DeviceError (clinicbox_core.errors)
    └── PrinterError          reason: str, params: printer, detail
        ├── PrinterOffline    offline      cannot connect / open the device
        ├── PrinterTimeout    timeout      connected, but the device stopped taking data
        ├── PaperOut          paper_out    the paper roll sensor reports paper end
        ├── CoverOpen         cover_open   the cover is open
        └── RenderFailed      render_failed the document could not be turned into ESC/POS
"""

from __future__ import annotations

from typing import Any, ClassVar

from clinicbox_core.errors import DeviceError


class PrinterError(DeviceError):
    """A printer could not print; ``reason`` is the code reported in ``PrintResult.reason``."""

    reason: ClassVar[str] = "device"
    default_key = "error.printer.device"

    def __init__(self, printer: str, detail: str, **params: Any) -> None:
        super().__init__(self.default_key, printer=printer, detail=detail, **params)
        self.printer = printer
        self.detail = detail


class PrinterOffline(PrinterError):
    reason = "offline"
    default_key = "error.printer.offline"


class PrinterTimeout(PrinterError):
    reason = "timeout"
    default_key = "error.printer.timeout"


class PaperOut(PrinterError):
    reason = "paper_out"
    default_key = "error.printer.paper_out"


class CoverOpen(PrinterError):
    reason = "cover_open"
    default_key = "error.printer.cover_open"


class RenderFailed(PrinterError):
    reason = "render_failed"
    default_key = "error.printer.render_failed"
