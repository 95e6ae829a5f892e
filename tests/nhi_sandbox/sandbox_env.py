"""A real NHI sandbox process on a free port, and adapters pointed at it (shared by the tests)."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicbox.runtime.ports import free_port
from clinicbox.runtime.processes import ProcessGroup
from cloud_plane.nhi.settings import NhiSettings
from cloud_plane.nhi.signer import CardIdentity

HOSP_A = ("3501200000", "000035012000", "secret-of-clinic-a")
HOSP_B = ("3501209999", "000035012099", "secret-of-clinic-b")
SEED = 20240301


@dataclass
class Sandbox:
    group: ProcessGroup
    data_dir: Path
    port: int
    seed: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, hosp: tuple[str, str, str] = HOSP_A) -> NhiSettings:
        return NhiSettings.for_base_url(
            self.url, hospital_id=hosp[0], sam_id=hosp[1], sam_secret=hosp[2]
        )

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + path, timeout=10) as resp:
            data: dict[str, Any] = json.loads(resp.read())
            return data

    def post(self, path: str, body: object) -> tuple[int, dict[str, Any]]:
        """Raw POST (for fuzzing and advancing the clock): HTTP status and JSON answer."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=raw, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def patients(self, status: str | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("/sandbox/v1/Patients")["patients"]
        return [r for r in rows if status is None or r["status"] == status]

    def card(self, status: str = "active", index: int = 0) -> CardIdentity:
        row = self.patients(status)[index]
        return CardIdentity(card_no=row["card_no"], id_no=row["id_no"])

    def advance(self, seconds: int) -> None:
        status, body = self.post("/sandbox/v1/Clock/Advance", {"seconds": seconds})
        assert status == 200, body


def start(group: ProcessGroup, data_dir: Path, *, seed: int = SEED) -> Sandbox:
    port = free_port()
    args = ["--port", str(port), "--data-dir", str(data_dir), "--seed", str(seed)]
    for h in (HOSP_A, HOSP_B):
        args += ["--hospital", ":".join(h)]
    group.python(
        f"nhi-sandbox-{port}",
        "nhi_sandbox",
        *args,
        "--allow-clock",
        ready_port=("127.0.0.1", port),
    )
    return Sandbox(group, data_dir, port, seed)


def stop(sbx: Sandbox) -> None:
    sbx.group.stop(f"nhi-sandbox-{sbx.port}")
