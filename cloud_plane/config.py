"""Typed configuration of a cloud process (``clinicbox cloud --config cloud.toml``).

Environment variables ``CLINICBOX_CLOUD__<FIELD>`` (nested with ``__``) override the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from clinicbox_core.settings_models import MqttSettings
from cloud_plane.nhiops.settings import NhiCloudSettings
from cloud_plane.notify.settings import NotifySettings


class FleetUpdateSettings(BaseModel):
    """Signed bundles, software artifacts and staged rollouts (docs/fleet.md)."""

    signing_key: str = Field(
        default="",
        description="Ed25519 private key (base64 of the raw 32 bytes) that signs bundles and"
        " software; empty = publishing is refused. Boxes trust its public key.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8080",
        description="base URL boxes download bundles and software from (HTTPS in production)",
    )
    rollout_tick_s: float = Field(default=2.0, gt=0, description="how often rollouts advance")
    box_timeout_s: float = Field(
        default=900.0, gt=0, description="a rollout box with no outcome after this has failed"
    )


class FleetSettings(BaseModel):
    """The fleet service: device CA, the broker files it owns, certificate and command times.

    Provisioning runs when ``ca_dir`` is set; the ACL and CRL are rewritten (and the broker told
    to reload) when ``acl_file``/``crl_file`` are set.
    """

    ca_dir: Path | None = Field(
        default=None, description="directory with the device CA (ca.crt, ca.key) that signs boxes"
    )
    acl_file: Path | None = Field(default=None, description="the broker's device-listener ACL")
    crl_file: Path | None = Field(default=None, description="the broker's CRL (crlfile)")
    broker_pid_file: Path | None = Field(
        default=None, description="SIGHUP this pid after rewriting ACL/CRL (mosquitto reloads)"
    )
    cloud_identities: list[str] = Field(
        default_factory=lambda: ["cloud-1", "cloud-2"],
        description="certificate CNs of cloud processes (full access in the ACL)",
    )
    cert_days: int = Field(default=90, ge=1, le=825, description="device certificate lifetime")
    command_timeout_s: int = Field(
        default=600, ge=5, description="a remote command without result by then is timed_out"
    )
    health_keep: int = Field(
        default=2000, ge=10, description="health-history rows kept per box (oldest pruned)"
    )


class CloudSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLINICBOX_CLOUD__", env_nested_delimiter="__")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/cloud/clinicbox.db",
        description=(
            "SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://..."
            " (postgresql+psycopg also works)"
        ),
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    session_secret: str = Field(
        default="", description="32+ random bytes, base64; empty = random per process start"
    )
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    mqtt_client_id: str = Field(default="cloud-1", description="unique per cloud process")
    notify: NotifySettings = Field(default_factory=NotifySettings)
    fleet_updates: FleetUpdateSettings = Field(default_factory=FleetUpdateSettings)
    nhi: NhiCloudSettings = Field(default_factory=NhiCloudSettings)
    fleet: FleetSettings = Field(default_factory=FleetSettings)

    @classmethod
    def from_file(cls, path: Path) -> CloudSettings:
        with path.open("rb") as fh:
            return cls(**tomllib.load(fh))
