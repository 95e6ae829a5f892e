"""``clinicbox demo`` as a user runs it: it comes up, prints the URL and the logins, serves the
login page, lets ``clinicbox card insert`` put a card in, and Ctrl-C (SIGINT) stops every child
process it started."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from clinicbox.runtime.ports import free_port

pytestmark = pytest.mark.hardware


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    pairs = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in pairs if pp == parent]
        found += kids
        frontier += kids
    return found


def test_demo_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    workdir = tmp_path / "demo"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clinicbox.cli",
            "demo",
            "--workdir",
            str(workdir),
            "--http-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any("Ctrl-C" in ln for ln in lines):
            assert time.monotonic() < deadline, "".join(lines)
            line = proc.stdout.readline()
            assert line, "demo exited early:\n" + "".join(lines)
            lines.append(line)
        banner = "".join(lines)
        assert f"http://127.0.0.1:{port}" in banner
        assert re.search(r"3501200000 / frontdesk / \S+", banner)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as resp:
            assert resp.status == 200
            assert "登入" in resp.read().decode("utf-8")

        card = subprocess.run(
            [
                sys.executable,
                "-m",
                "clinicbox.cli",
                "card",
                "insert",
                "--workdir",
                str(workdir),
                "--name",
                "陳美玲",
                "--id",
                "B223456781",
                "--birth",
                "1988-03-02",
                "--sex",
                "F",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert card.returncode == 0, card.stderr
        assert json.loads(card.stdout.splitlines()[-1])["card"]["name"] == "陳美玲"
        subprocess.run(
            [sys.executable, "-m", "clinicbox.cli", "card", "remove", "--workdir", str(workdir)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        children = _children_of(proc.pid)
        assert len(children) >= 4  # card, printer, cloud, box (+ mosquitto)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)  # drains and closes the output pipe
    alive = [pid for pid in children if _alive(pid)]
    assert proc.returncode == 0
    assert alive == [], f"children left running after Ctrl-C: {alive}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not running; reaped by init eventually
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and ") Z " not in stat.read_text()
