"""Typed configuration of the box, read from a TOML file (``clinicbox box --config box.toml``).

Every field is documented here; docs/configuration.md is checked against this module by a test.
Environment variables ``CLINICBOX_BOX__<SECTION>__<FIELD>`` override the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinicbox_core.settings_models import MqttSettings


class CardSettings(BaseModel):
    """PC/SC card readers. All readers are watched unless ``reader_filter`` is set."""

    reader_filter: str | None = Field(
        default=None, description="only readers whose name contains this text"
    )
    poll_timeout_ms: int = Field(default=500, ge=50, le=10_000)


class PrinterSettings(BaseModel):
    """One attached printer and the document roles it serves (drugbag, receipt, slip)."""

    name: str
    roles: list[str] = Field(default_factory=lambda: ["drugbag", "receipt", "slip"])
    backend: Literal["network", "usb", "serial"] = "network"
    host: str = "127.0.0.1"
    port: int = 9100
    usb_vendor_id: int | None = None
    usb_product_id: int | None = None
    serial_device: str | None = None
    baudrate: int = 9600
    cjk_mode: Literal["big5", "raster"] = Field(
        default="big5",
        description="big5: text in the printer's Chinese mode; raster: every line as an image",
    )
    columns: int = Field(default=42, ge=24, le=64, description="characters per line, ASCII")
    timeout_s: float = Field(default=10.0, gt=0)


class ProvisioningSettings(BaseModel):
    """Zero-touch provisioning: the claim credential the box shipped with, and rotation."""

    claim_port: int | None = Field(default=None, description="the broker's claim listener port")
    claim_cert_file: Path | None = Field(default=None, description="claim certificate (PEM)")
    claim_key_file: Path | None = Field(default=None, description="claim private key (PEM)")
    retry_s: float = Field(default=5.0, gt=0, description="seconds between requests while pending")
    rotate_before_days: int = Field(
        default=30, ge=1, description="make a new key this long before the certificate expires"
    )


class ContinuitySettings(BaseModel):
    """Continuity mode: the box keeps a working set and serves the clinic's pages on the LAN
    when the cloud cannot be reached (docs/continuity.md)."""

    enabled: bool = Field(default=False, description="keep a working set and serve pages")
    http_host: str = Field(default="0.0.0.0", description="LAN address the pages listen on")
    http_port: int = Field(default=8090, ge=1, le=65535)
    public_url: str | None = Field(
        default=None,
        description="the URL clinic PCs use to reach the box (reported to the cloud); "
        "default http://<http_host>:<http_port>",
    )
    cloud_url: str | None = Field(
        default=None,
        description="the cloud's web address: health probe and where browsers go back to",
    )
    key_file: Path | None = Field(
        default=None,
        description="SQLCipher key of the working set (hex, created when absent); keep it "
        "outside data_dir; default <data_dir>/../continuity.key",
    )
    session_secret: str = Field(
        default="", description="signs the box pages' session cookies; empty = random per start"
    )
    probe_interval_s: float = Field(default=3.0, gt=0, description="cloud health probe period")
    probe_timeout_s: float = Field(default=2.0, gt=0)
    failures_to_switch: int = Field(
        default=2, ge=1, description="failed probes in a row before continuity mode starts"
    )
    report_interval_s: float = Field(
        default=10.0, gt=0, description="how often the working-set state is reported"
    )
    collect_interval_s: float = Field(
        default=1.0, gt=0, description="how often offline work is moved to the outbox"
    )
    offline_collect_interval_s: float = Field(
        default=30.0,
        gt=0,
        description="the same while the cloud is away (fewer, fuller records; the work is "
        "saved on the box as entered either way)",
    )


class BundleSettings(BaseModel):
    """Signed bundles (drug prices, fee schedule, rules, configuration) from the cloud."""

    trusted_keys: list[str] = Field(
        default_factory=list,
        description="Ed25519 public keys (base64, raw 32 bytes) whose bundles and software the"
        " box accepts; given at provisioning. Empty = every offer is refused.",
    )
    fetch_timeout_s: float = Field(default=60.0, gt=0, description="download timeout per bundle")


class UpdateSettings(BaseModel):
    """A/B software updates through firmware_scripts/ (see docs/fleet.md)."""

    enabled: bool = Field(default=False, description="accept software.update commands")
    scripts_dir: Path = Field(
        default=Path("/usr/lib/clinicbox/firmware"), description="where the A/B scripts live"
    )
    ab_config: Path = Field(
        default=Path("/etc/clinicbox/ab.conf"),
        description="the A/B layout (slots, boot environment) the scripts read",
    )
    health_grace_s: float = Field(
        default=120.0, gt=0, description="a new version must pass its health check within this"
    )


class ScannerSettings(BaseModel):
    """A barcode scanner on a serial port (RS-232 or USB-CDC, line protocol: each code ends
    with CR and/or LF). A keyboard-wedge scanner needs no setting: it types into the page."""

    name: str = Field(max_length=64)
    serial_device: str = Field(description="e.g. /dev/ttyACM0 or /dev/ttyUSB0")
    baudrate: int = 9600
    max_length: int = Field(default=2000, ge=16, le=2000, description="longer lines are dropped")
    retry_s: float = Field(default=2.0, gt=0, description="reopen an absent scanner this often")


class BoxSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLINICBOX_BOX__", env_nested_delimiter="__")

    box_id: str = Field(description="unique box identifier (serial number)")
    tenant: str | None = Field(
        default=None,
        description="the clinic this box serves (tenant slug); learned when provisioned",
    )
    data_dir: Path = Field(default=Path("var/box"), description="outbox and state live here")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    card: CardSettings = Field(default_factory=CardSettings)
    printers: list[PrinterSettings] = Field(default_factory=list)
    scanners: list[ScannerSettings] = Field(default_factory=list)
    disk_low_mb: int = Field(
        default=200,
        ge=1,
        description="below this much free space in data_dir the outbox refuses non-essential "
        "events and the box reports disk_state=low",
    )
    clock_offset_file: Path | None = Field(
        default=None,
        description="tests only: a file holding seconds added to the box's wall clock "
        "(see edge_agent.clock); unset in production",
    )
    continuity: ContinuitySettings = Field(default_factory=ContinuitySettings)
    bundles: BundleSettings = Field(default_factory=BundleSettings)
    update: UpdateSettings = Field(default_factory=UpdateSettings)
    provisioning: ProvisioningSettings = Field(default_factory=ProvisioningSettings)
    status_port: int = Field(
        default=0, ge=0, description="local status page on 127.0.0.1 (serial, claim code); 0=off"
    )
    heartbeat_s: float = Field(default=60.0, gt=0, description="reported-state heartbeat")
    reboot_command: list[str] = Field(
        default_factory=lambda: ["systemctl", "reboot"],
        description="run for the remote reboot command (after its result is sent)",
    )
    log_file: Path | None = Field(
        default=None, description="the agent's log file, for the remote collect-logs command"
    )

    @classmethod
    def from_file(cls, path: Path) -> BoxSettings:
        with path.open("rb") as fh:
            return cls(**tomllib.load(fh))
