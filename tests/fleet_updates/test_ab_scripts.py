"""The A/B scripts run for real on a simulated slot layout: a healthy update commits, a broken
one is rolled back by the boot counter with nobody's help, the health check refuses an agent
that is not up, and the scripts are shellcheck-clean."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from firmware_helpers import REPO, SCRIPTS, artifact, make_layout

# A "good" agent for the boot loop: records which version booted, then ends the loop (exit 0).
GOOD = '#!/bin/sh\necho "$(cat "$(dirname "$0")/../VERSION")" >> "$BOOT_LOG"\nexit 0\n'
# A broken version: dies at start every time (think: a missing dependency).
BROKEN = '#!/bin/sh\necho broken >> "$BOOT_LOG"\nexit 1\n'


def test_scripts_are_shellcheck_clean() -> None:
    scripts = sorted(str(p) for p in SCRIPTS.glob("*.sh"))
    assert scripts
    subprocess.run(
        ["shellcheck", "-x", "-s", "sh", *scripts], check=True, capture_output=True, cwd=REPO
    )


def _healthy(data_dir: Path) -> None:
    (data_dir / "agent.pid").write_text(str(os.getpid()))
    (data_dir / "ready").write_text("ok")
    (data_dir / "link").write_text("connected")


def test_good_update_commits(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    art = tmp_path / "new.tar.gz"
    art.write_bytes(artifact("1.1.0", GOOD))
    layout.run("ab-install.sh", str(art), "1.1.0", "7")
    st = layout.status()
    assert st["active"] == "b" and st["upgrade_available"] == "1" and st["trying_rollout"] == "7"
    assert layout.run("ab-boot.sh").stdout.strip() == str(layout.slot("b"))
    # Not healthy yet: the commit refuses and nothing changes.
    assert layout.run("ab-commit.sh", check=False).returncode != 0
    assert layout.status()["upgrade_available"] == "1"
    _healthy(layout.data_dir)
    layout.run("ab-commit.sh")
    st = layout.status()
    assert st == {**st, "active": "b", "version": "1.1.0", "upgrade_available": "0"}
    assert st["last_result"] == "committed"
    # Committed: later boots stay on b and count nothing.
    for _ in range(5):
        assert layout.run("ab-boot.sh").stdout.strip() == str(layout.slot("b"))
    assert layout.status()["active"] == "b"


def test_broken_update_rolls_back_by_itself(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD, boot_limit=3)
    art = tmp_path / "broken.tar.gz"
    art.write_bytes(artifact("2.0.0", BROKEN))
    layout.run("ab-install.sh", str(art), "2.0.0", "9")
    boot_log = tmp_path / "boots.log"
    env = {**layout.env(), "BOOT_LOG": str(boot_log), "AB_REBOOT_DELAY": "0"}
    subprocess.run([str(SCRIPTS / "ab-run.sh")], env=env, check=True, timeout=60)
    # Three crashing boots of 2.0.0, then slot a (1.0.0) again, which ends the loop.
    assert boot_log.read_text().split() == ["broken", "broken", "broken", "1.0.0"]
    st = layout.status()
    assert st["active"] == "a" and st["version"] == "1.0.0"
    assert st["last_result"] == "rolled_back" and st["upgrade_available"] == "0"
    assert st["trying_version"] == "2.0.0" and st["trying_rollout"] == "9"


def test_health_check_names_what_is_missing(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    result = layout.run("ab-health.sh", check=False)
    assert result.returncode == 1 and "no agent pid file" in result.stderr
    _healthy(layout.data_dir)
    (layout.data_dir / "link").write_text("disconnected")
    result = layout.run("ab-health.sh", check=False)
    assert result.returncode == 1 and "not connected" in result.stderr
    (layout.data_dir / "agent.pid").write_text("999999")
    assert "agent not running" in layout.run("ab-health.sh", check=False).stderr


def test_install_refuses_a_wrong_version_and_a_second_try(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    art = tmp_path / "a.tar.gz"
    art.write_bytes(artifact("1.1.0", GOOD))
    bad = layout.run("ab-install.sh", str(art), "9.9.9", check=False)
    assert bad.returncode == 4 and layout.status()["active"] == "a"
    layout.run("ab-install.sh", str(art), "1.1.0")
    again = layout.run("ab-install.sh", str(art), "1.1.0", check=False)
    assert again.returncode == 3


def test_manual_rollback_returns_to_the_previous_slot(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    art = tmp_path / "a.tar.gz"
    art.write_bytes(artifact("1.1.0", GOOD))
    layout.run("ab-install.sh", str(art), "1.1.0")
    _healthy(layout.data_dir)
    layout.run("ab-commit.sh")
    layout.run("ab-rollback.sh")
    st = layout.status()
    assert st["active"] == "a" and st["version"] == "1.0.0" and st["last_result"] == "rolled_back"


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash is Debian's /bin/sh")
def test_scripts_run_under_dash(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    out = subprocess.run(
        ["dash", str(SCRIPTS / "ab-status.sh")], env=layout.env(), capture_output=True, text=True
    )
    assert "active=a" in out.stdout


def test_watchdog_commits_when_healthy_and_rolls_back_after_the_grace(tmp_path: Path) -> None:
    layout = make_layout(tmp_path, GOOD)
    art = tmp_path / "a.tar.gz"
    art.write_bytes(artifact("1.1.0", GOOD))
    restarted = tmp_path / "restarted"
    env_extra = {"AB_RESTART_CMD": f"touch {restarted}"}

    def watchdog(grace: str) -> None:
        subprocess.run(
            [str(SCRIPTS / "ab-watchdog.sh")],
            env={**layout.env(), **env_extra, "AB_GRACE_S": grace},
            check=True,
            capture_output=True,
            timeout=60,
        )

    layout.run("ab-install.sh", str(art), "1.1.0")
    watchdog("300")  # unhealthy but within the grace: nothing happens
    assert layout.status()["upgrade_available"] == "1" and not restarted.exists()
    watchdog("-1")  # past the grace: back to slot a, agent restarted
    st = layout.status()
    assert st["active"] == "a" and st["last_result"] == "rolled_back" and restarted.exists()
    layout.run("ab-install.sh", str(art), "1.1.0")
    _healthy(layout.data_dir)
    watchdog("300")
    assert layout.status()["last_result"] == "committed"
