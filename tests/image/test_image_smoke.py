"""The appliance root filesystem: image/build.sh assembles it from the cached debootstrap base
(built once per package list, outside the repository) and image/smoke.sh passes inside it
(chroot): units valid and enabled, pcscd and watchdog present, first boot makes the box key, the
A/B scripts roll back on the image's own shell. The full build with the agent is `make image`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("debootstrap") is None,
    reason="needs root (chroot) and debootstrap, which scripts/bootstrap.sh installs",
)


@pytest.mark.timeout(900)  # the first run on a machine builds the cached base (minutes)
def test_rootfs_smoke(tmp_path: Path) -> None:
    out = tmp_path / "rootfs"
    result = subprocess.run(
        [str(REPO / "image" / "build.sh"), "--out", str(out), "--smoke"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "smoke: ok" in result.stdout
    unit = out / "etc/systemd/system/multi-user.target.wants/clinicbox-agent.service"
    assert unit.is_symlink()
    shutil.rmtree(out, ignore_errors=True)
