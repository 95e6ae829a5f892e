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

    @classmethod
    def from_file(cls, path: Path) -> CloudSettings:
        with path.open("rb") as fh:
            return cls(**tomllib.load(fh))
