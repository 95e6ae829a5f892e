"""Talk to a real printer over TCP 9100, a serial port or USB (blocking; run in a thread).

Each transport is a python-escpos printer class (``Network``, ``Serial``, ``Usb``) wrapped in a
``Link`` that adds what the agent needs beyond ``_raw``: reading one status byte with a short
timeout, and a close that makes sure the printer has taken every byte. ``send_job`` asks the
printer's real-time status first (DLE EOT 1, 2, 4) and refuses to send when it reports paper out or
cover open; a printer that does not answer status requests within ``STATUS_TIMEOUT_S`` (one-way
links, some cheap printers) gets the job anyway. Library errors become edge_agent.printer.errors.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any, Protocol

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network, Serial, Usb

from edge_agent.config import PrinterSettings
from edge_agent.printer import status as st
from edge_agent.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterTimeout,
)

STATUS_TIMEOUT_S = 1.0
CLOSE_TIMEOUT_S = 2.0


class Link(Protocol):
    """One open connection to a printer."""

    def write(self, data: bytes) -> None: ...

    def read_byte(self, timeout: float) -> int | None: ...

    def discard_input(self) -> None: ...

    def close(self) -> None: ...


class NetworkLink:
    def __init__(self, settings: PrinterSettings) -> None:
        self._name = settings.name
        self._printer = Network(settings.host, settings.port, timeout=settings.timeout_s)
        where = f"{settings.host}:{settings.port}"
        # Connect here rather than with Network.open(), which leaks the socket when the connect
        # fails (python-escpos 3.1); the connected socket becomes the Network printer's device.
        try:
            sock = socket.create_connection((settings.host, settings.port), settings.timeout_s)
        except TimeoutError as exc:
            raise PrinterTimeout(self._name, f"connect to {where} timed out") from exc
        except OSError as exc:
            raise PrinterOffline(self._name, f"cannot connect to {where}: {exc}") from exc
        self._printer.device = sock
        self._sock = sock
        self._timeout = settings.timeout_s

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except TimeoutError as exc:
            raise PrinterTimeout(self._name, "printer stopped taking data") from exc
        except OSError as exc:
            raise PrinterOffline(self._name, f"connection lost: {exc}") from exc

    def read_byte(self, timeout: float) -> int | None:
        self._sock.settimeout(timeout)
        try:
            data = self._sock.recv(1)
        except TimeoutError:
            return None
        except OSError as exc:
            raise PrinterOffline(self._name, f"connection lost: {exc}") from exc
        finally:
            self._sock.settimeout(self._timeout)
        return data[0] if data else None

    def discard_input(self) -> None:
        self._sock.setblocking(False)
        try:
            while self._sock.recv(256):
                pass
        except OSError:
            pass
        finally:
            self._sock.settimeout(self._timeout)

    def close(self) -> None:
        """Half-close and wait for the printer to close: then it has read every byte we sent."""
        try:
            self._sock.shutdown(socket.SHUT_WR)
            self._sock.settimeout(CLOSE_TIMEOUT_S)
            while self._sock.recv(256):
                pass
        except OSError:
            pass
        finally:
            self._printer.close()


class SerialLink:
    def __init__(self, settings: PrinterSettings) -> None:
        import serial

        self._serial_errors: tuple[type[Exception], ...] = (serial.SerialException, OSError)
        self._write_timeout: type[Exception] = serial.SerialTimeoutException
        self._name = settings.name
        if not settings.serial_device:
            raise PrinterOffline(self._name, "serial_device is not configured")
        self._printer = Serial(
            settings.serial_device, settings.baudrate, timeout=STATUS_TIMEOUT_S, dsrdtr=False
        )
        try:
            self._printer.open()
        except DeviceNotFoundError as exc:
            raise PrinterOffline(self._name, f"cannot open {settings.serial_device}") from exc
        self._port: Any = self._printer.device
        self._port.write_timeout = settings.timeout_s

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
            self._port.flush()
        except self._write_timeout as exc:
            raise PrinterTimeout(self._name, "printer stopped taking data") from exc
        except self._serial_errors as exc:
            raise PrinterOffline(self._name, f"serial port failed: {exc}") from exc

    def read_byte(self, timeout: float) -> int | None:
        try:
            self._port.timeout = timeout
            data = self._port.read(1)
        except self._serial_errors as exc:
            raise PrinterOffline(self._name, f"serial port failed: {exc}") from exc
        return data[0] if data else None

    def discard_input(self) -> None:
        with contextlib.suppress(*self._serial_errors):
            self._port.reset_input_buffer()

    def close(self) -> None:
        with contextlib.suppress(*self._serial_errors):
            self._printer.close()


class UsbLink:
    """USB printer class device; bulk endpoints are found from the interface descriptor."""

    def __init__(self, settings: PrinterSettings) -> None:
        import usb.core
        import usb.util

        self._usb_error: type[Exception] = usb.core.USBError
        self._usb_timeout: type[Exception] = usb.core.USBTimeoutError
        self._name = settings.name
        if settings.usb_vendor_id is None or settings.usb_product_id is None:
            raise PrinterOffline(self._name, "usb_vendor_id / usb_product_id are not configured")
        self._timeout_ms = int(settings.timeout_s * 1000)
        self._printer = Usb(
            settings.usb_vendor_id, settings.usb_product_id, timeout=self._timeout_ms
        )
        try:
            self._printer.open()
            interface = self._printer.device.get_active_configuration()[(0, 0)]
            out_ep = usb.util.find_descriptor(
                interface, custom_match=_direction(usb.util.ENDPOINT_OUT)
            )
            in_ep = usb.util.find_descriptor(
                interface, custom_match=_direction(usb.util.ENDPOINT_IN)
            )
        except (DeviceNotFoundError, self._usb_error) as exc:
            ids = f"{settings.usb_vendor_id:04x}:{settings.usb_product_id:04x}"
            raise PrinterOffline(self._name, f"USB printer {ids} not found or busy") from exc
        if out_ep is None:
            raise PrinterOffline(self._name, "USB device has no bulk OUT endpoint")
        self._printer.out_ep = out_ep.bEndpointAddress
        self._in_ep: int | None = in_ep.bEndpointAddress if in_ep is not None else None

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except self._usb_timeout as exc:
            raise PrinterTimeout(self._name, "printer stopped taking data") from exc
        except self._usb_error as exc:
            raise PrinterOffline(self._name, f"USB write failed: {exc}") from exc

    def read_byte(self, timeout: float) -> int | None:
        if self._in_ep is None:
            return None  # one-way device: no status
        try:
            data = self._printer.device.read(self._in_ep, 64, int(timeout * 1000))
        except self._usb_timeout:
            return None
        except self._usb_error as exc:
            raise PrinterOffline(self._name, f"USB read failed: {exc}") from exc
        return int(data[-1]) if len(data) else None

    def discard_input(self) -> None:
        while self.read_byte(0.01) is not None:
            pass

    def close(self) -> None:
        with contextlib.suppress(self._usb_error):
            self._printer.close()


def _direction(direction: int) -> Any:
    import usb.util

    def match(endpoint: Any) -> bool:
        return bool(usb.util.endpoint_direction(endpoint.bEndpointAddress) == direction)

    return match


def open_link(settings: PrinterSettings) -> Link:
    """Connect to the printer ``settings`` describes (raises PrinterOffline / PrinterTimeout)."""
    if settings.backend == "network":
        return NetworkLink(settings)
    if settings.backend == "serial":
        return SerialLink(settings)
    return UsbLink(settings)


def query_status(link: Link, timeout: float = STATUS_TIMEOUT_S) -> st.PrinterStatus:
    """Ask DLE EOT 1, then 2 and 4; UNKNOWN when the printer does not answer the first."""
    link.discard_input()
    replies: dict[int, int | None] = {}
    for n in (st.PRINTER, st.OFFLINE_CAUSE, st.PAPER_SENSOR):
        link.write(st.request(n))
        reply = link.read_byte(timeout)
        if reply is None or not st.is_status_byte(reply):
            break
        replies[n] = reply
    return st.from_replies(
        replies.get(st.PRINTER), replies.get(st.OFFLINE_CAUSE), replies.get(st.PAPER_SENSOR)
    )


def send_job(settings: PrinterSettings, data: bytes) -> st.PrinterStatus:
    """Check the printer, then send ``data``; returns the status seen before sending."""
    link = open_link(settings)
    try:
        found = query_status(link)
        if found is st.PrinterStatus.PAPER_OUT:
            raise PaperOut(settings.name, "the printer reports paper out")
        if found is st.PrinterStatus.COVER_OPEN:
            raise CoverOpen(settings.name, "the printer cover is open")
        if found is st.PrinterStatus.OFFLINE:
            raise PrinterOffline(settings.name, "the printer reports it is offline")
        link.write(data)
        return found
    finally:
        link.close()


def probe(settings: PrinterSettings) -> st.PrinterStatus:
    """The printer's status right now, without printing."""
    try:
        link = open_link(settings)
    except PrinterTimeout:
        return st.PrinterStatus.TIMEOUT
    except PrinterError:
        return st.PrinterStatus.OFFLINE
    try:
        return query_status(link)
    except PrinterTimeout:
        return st.PrinterStatus.TIMEOUT
    except PrinterError:
        return st.PrinterStatus.OFFLINE
    finally:
        link.close()
