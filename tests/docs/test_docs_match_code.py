"""Docs are checked against the code: every configuration field and every CLI command is
documented in docs/operations.md, and the README starts with the two commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from clinicbox.cli import build_parser
from clinicbox_core.settings_models import MqttSettings
from cloud_plane.config import CloudSettings, FleetSettings, FleetUpdateSettings
from cloud_plane.nhiops.settings import NhiCloudSettings
from cloud_plane.notify.settings import NotifySettings
from edge_agent.config import (
    BoxSettings,
    BundleSettings,
    CardSettings,
    ContinuitySettings,
    PrinterSettings,
    ProvisioningSettings,
    ScannerSettings,
    UpdateSettings,
)

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def _fields(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


@pytest.mark.parametrize(
    "model",
    [
        CloudSettings,
        BoxSettings,
        MqttSettings,
        CardSettings,
        PrinterSettings,
        ContinuitySettings,
        NotifySettings,
        FleetUpdateSettings,
        BundleSettings,
        UpdateSettings,
        NhiCloudSettings,
        FleetSettings,
        ProvisioningSettings,
        ScannerSettings,
    ],
)
def test_every_setting_is_documented(model: type[BaseModel]) -> None:
    missing = [
        name
        for name in _fields(model)
        if f"`{name}`" not in OPERATIONS
        and f".{name}`" not in OPERATIONS
        and f"{name}`" not in OPERATIONS
    ]
    assert not missing, f"{model.__name__} fields missing from docs/operations.md: {missing}"


def test_every_cli_command_is_documented() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = list(sub.choices)  # type: ignore[union-attr]
    assert {"cloud", "box", "demo"} <= set(commands)
    missing = [c for c in commands if f"`clinicbox {c}`" not in OPERATIONS]
    assert not missing, f"commands missing from docs/operations.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```", 2)[1]
    lines = [ln.split("#")[0].strip() for ln in block.splitlines()[1:] if ln.strip()]
    assert lines == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
