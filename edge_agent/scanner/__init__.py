"""Barcode scanners on the box (serial, line protocol): each scanned line becomes a durable
``scan.read`` event (a pharmacy's prescription slip QR code)."""

from edge_agent.scanner.lines import LineSplitter
from edge_agent.scanner.service import ScannerService

__all__ = ["LineSplitter", "ScannerService"]
