"""Typed configuration sections shared by the box and the cloud (no I/O: models only)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class MqttSettings(BaseModel):
    """How to reach the broker. TLS is on whenever ``ca_file`` is set."""

    host: str = "127.0.0.1"
    port: int = 8883
    ca_file: Path | None = Field(default=None, description="CA that signed the broker certificate")
    cert_file: Path | None = Field(default=None, description="client certificate (mTLS)")
    key_file: Path | None = Field(default=None, description="client private key (mTLS)")
    username: str | None = None
    password: str | None = None
    keepalive_s: int = Field(default=30, ge=5, le=600)
    reconnect_min_s: float = Field(default=0.5, gt=0)
    reconnect_max_s: float = Field(default=30.0, gt=0)
    probe_interval_s: float = Field(
        default=1.0, ge=0, description="box: TCP reachability probe while disconnected (0: off)"
    )
    probe_spread_s: float = Field(
        default=2.0, ge=0, description="box: random wait after a probe succeeds (fleet spread)"
    )
