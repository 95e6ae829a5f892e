"""A simulated A/B layout under a temp root: two slot directories, a boot environment file and
an ab.conf pointing at them; artifacts are tar.gz files of a slot."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "firmware_scripts"


@dataclass
class Layout:
    root: Path

    @property
    def conf(self) -> Path:
        return self.root / "ab.conf"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def bootenv(self) -> Path:
        return self.root / "bootenv"

    def slot(self, name: str) -> Path:
        return self.root / "slots" / name

    def env(self) -> dict[str, str]:
        return {**os.environ, "AB_CONFIG": str(self.conf)}

    def run(self, script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPTS / script), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def status(self) -> dict[str, str]:
        out = self.run("ab-status.sh").stdout
        return dict(line.split("=", 1) for line in out.splitlines())


def make_layout(
    root: Path, launcher: str, *, version: str = "1.0.0", boot_limit: int = 3
) -> Layout:
    """Slot a holds ``version`` with ``launcher`` as bin/clinicbox-agent; slot b is empty."""
    layout = Layout(root)
    layout.data_dir.mkdir(parents=True)
    write_slot(layout.slot("a"), version, launcher)
    layout.slot("b").mkdir(parents=True)
    layout.conf.write_text(
        "\n".join(
            [
                "AB_MODE=dir",
                f"AB_SLOT_A={layout.slot('a')}",
                f"AB_SLOT_B={layout.slot('b')}",
                f"AB_BOOTENV={layout.bootenv}",
                "AB_BOOTENV_TOOL=file",
                f"AB_BOOT_LIMIT={boot_limit}",
                f"AB_DATA_DIR={layout.data_dir}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return layout


def write_slot(slot: Path, version: str, launcher: str) -> None:
    (slot / "bin").mkdir(parents=True, exist_ok=True)
    (slot / "VERSION").write_text(version + "\n", encoding="utf-8")
    agent = slot / "bin" / "clinicbox-agent"
    agent.write_text(launcher, encoding="utf-8")
    agent.chmod(0o755)


def artifact(version: str, launcher: str) -> bytes:
    """A dir-mode artifact: tar.gz with VERSION and bin/clinicbox-agent."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text, mode in (
            ("VERSION", version + "\n", 0o644),
            ("bin/clinicbox-agent", launcher, 0o755),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
