"""The fleet across real processes: Mosquitto with TLS, the cloud process, box daemons.

One stack for the module (started once, like ``clinicbox demo`` minus the card reader): the
demo box provisions itself from its claim credential; a second box is claimed in the vendor
console with the code its status page shows; remote commands go round trip with their audit
rows; the twin converges; a revoked box's certificate no longer opens the broker.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from fleet_helpers import Console, cloud_rows, start_claim_box, tls, wait_for
from playwright.async_api import Browser

from clinicbox.demo import DEMO_BOX, DEMO_TENANT, VENDOR_LOGIN, DemoStack
from clinicbox.runtime.pki import CertPair
from clinicbox.runtime.ports import free_port
from edge_agent.link import TlsRejected, diagnose

NEW_BOX = "SN-E2E-0002"
SHOTS = Path(tempfile.gettempdir()) / "clinicbox-screenshots"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    demo = DemoStack(tmp_path_factory.mktemp("fleet"))
    try:
        demo.start_broker()
        demo.group.python(
            "printer",
            "devsim.escpos_printer",
            "--port",
            str(demo.printer_port),
            "--out",
            str(demo.workdir / "printer"),
            "--http-port",
            str(demo.printer_http_port),
            ready_port=("127.0.0.1", demo.printer_http_port),
        )
        demo.prepare_database()
        demo.start_cloud()
        demo.start_box()  # returns once the box provisioned itself and runs
        yield demo
    finally:
        demo.stop_all()


@pytest.fixture
async def console(stack: DemoStack) -> Iterator[Console]:
    c = Console(stack.url)
    await c.login(*VENDOR_LOGIN)
    try:
        yield c  # type: ignore[misc]
    finally:
        await c.close()


def _status(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=5) as reply:
        data: dict[str, object] = json.loads(reply.read())
    return data


def _command(stack: DemoStack, box: str, kind: str) -> tuple[str, str | None, str | None]:
    rows = cloud_rows(
        stack.db_path,
        "SELECT status, error_code, output FROM fleet_commands WHERE box_id=? AND kind=? "
        "ORDER BY issued_at DESC LIMIT 1",
        box,
        kind,
    )
    return rows[0] if rows else ("", None, None)


def test_the_demo_box_provisions_itself(stack: DemoStack) -> None:
    box_cfg = tomllib.loads(stack.box_config().read_text(encoding="utf-8"))
    assert "cert_file" not in box_cfg["mqtt"] and "tenant" not in box_cfg  # nothing by hand
    identity = stack.workdir / "box" / "identity"
    cert = x509.load_pem_x509_certificate((identity / "device.crt").read_bytes())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == DEMO_BOX
    assert (identity / "device.key").stat().st_mode & 0o077 == 0
    assert stack.broker is not None
    acl = stack.broker.acl_file.read_text(encoding="utf-8")
    assert f"user {DEMO_BOX}\ntopic write clinicbox/v1/{DEMO_TENANT}/{DEMO_BOX}/evt" in acl
    state = cloud_rows(stack.db_path, "SELECT state FROM fleet_boxes WHERE box_id=?", DEMO_BOX)
    assert state == [("provisioned",)]
    wait_for(
        "the box's reported twin",
        lambda: cloud_rows(stack.db_path, "SELECT 1 FROM box_twin WHERE box_id=?", DEMO_BOX),
    )


async def test_claim_by_code_commands_twin_and_revocation(
    stack: DemoStack, console: Console
) -> None:
    port = free_port()
    marker = stack.workdir / "rebooted"
    data_dir = start_claim_box(stack, NEW_BOX, port, {"reboot_command": ["touch", str(marker)]})
    # the cloud answers "pending" until someone assigns the box; its page shows the code
    status = wait_for("pending", lambda: (s := _status(port))["state"] == "pending" and s)
    assert isinstance(status["claim_code"], str) and len(status["claim_code"]) == 8
    # a wrong code names the field and keeps the typed value
    _, page = await console.post("/vendor/assign", claim_code="ZZZZZZZZ", clinic=DEMO_TENANT)
    assert "ZZZZZZZZ" in page and 'aria-invalid="true"' in page
    url, page = await console.post(
        "/vendor/assign", claim_code=str(status["claim_code"]), clinic=DEMO_TENANT
    )
    assert url.endswith(f"/vendor/boxes/{NEW_BOX}")
    wait_for("provisioning", lambda: _status(port)["state"] == "running")
    assert (data_dir / "identity" / "device.crt").exists()
    wait_for(
        "the new box online",
        lambda: cloud_rows(
            stack.db_path, "SELECT 1 FROM box_status WHERE box_id=? AND online", NEW_BOX
        ),
    )

    # remote commands, each with its result and audit row
    for box, kind, want in [
        (DEMO_BOX, "printer.test_page", "ok"),
        (DEMO_BOX, "logs.collect", "ok"),
        (DEMO_BOX, "ws.resync", "ok"),  # the demo box keeps a working set (continuity)
        (NEW_BOX, "ws.resync", "failed"),  # this one does not: no handler
        (NEW_BOX, "system.reboot", "ok"),
    ]:
        await console.post(f"/vendor/boxes/{box}/commands", command_kind=kind)
        got = wait_for(
            f"{kind} result",
            lambda b=box, k=kind: _command(stack, b, k)[0] != "sent" and _command(stack, b, k),
        )  # type: ignore[misc]
        assert got[0] == want, (kind, got)
    assert _command(stack, NEW_BOX, "ws.resync")[1] == "error.command.no_handler"
    assert _command(stack, DEMO_BOX, "logs.collect")[2]  # the gzipped log came back
    wait_for("the reboot command ran", marker.exists)
    audit = cloud_rows(
        stack.db_path,
        "SELECT actor, action, result FROM fleet_audit WHERE box_id=? ORDER BY id",
        DEMO_BOX,
    )
    assert ("vendor:vendor", "printer.test_page", "sent") in audit
    assert ("vendor:vendor", "printer.test_page", "ok") in audit
    assert ("vendor:vendor", "ws.resync", "ok") in audit
    page = await console.get(f"/vendor/boxes/{DEMO_BOX}")
    assert 'data-kind="printer.test_page" data-status="ok"' in page

    # twin: the box converges on a desired value and reports it
    await console.post(
        f"/vendor/boxes/{NEW_BOX}/desired", config_key="log_level", config_value="DEBUG"
    )

    def converged() -> bool:
        rows = cloud_rows(
            stack.db_path, "SELECT reported, delta FROM box_twin WHERE box_id=?", NEW_BOX
        )
        if not rows:
            return False
        reported, delta = json.loads(rows[0][0]), json.loads(rows[0][1])
        return reported.get("config", {}).get("log_level") == "DEBUG" and delta == {}

    wait_for("the twin to converge", converged)

    # revoke: the box's certificate no longer opens the device listener
    pair = CertPair(data_dir / "identity" / "device.crt", data_dir / "identity" / "device.key")
    assert stack.broker is not None
    await console.post(f"/vendor/boxes/{NEW_BOX}/revoke")

    def refused() -> bool:
        error = diagnose(stack.broker.host, stack.broker.port, tls(stack.broker, pair))  # type: ignore[union-attr]
        return isinstance(error, TlsRejected)

    wait_for("the revoked certificate to be refused", refused)
    acl = stack.broker.acl_file.read_text(encoding="utf-8")
    assert f"user {NEW_BOX}" not in acl
    state = cloud_rows(stack.db_path, "SELECT state FROM fleet_boxes WHERE box_id=?", NEW_BOX)
    assert state == [("revoked",)]


async def test_rotation_and_restart_keep_the_box_working(
    stack: DemoStack, console: Console
) -> None:
    crt = stack.workdir / "box" / "identity" / "device.crt"
    before = x509.load_pem_x509_certificate(crt.read_bytes()).serial_number
    await console.post(f"/vendor/boxes/{DEMO_BOX}/commands", command_kind="cert.rotate")
    # the box sends a CSR over its new key; the cloud answers with cert.install
    installed = wait_for(
        "the new certificate installed",
        lambda: _command(stack, DEMO_BOX, "cert.install")[0] == "ok",
    )
    assert installed
    after = x509.load_pem_x509_certificate(crt.read_bytes()).serial_number
    assert after != before
    recorded = cloud_rows(
        stack.db_path, "SELECT cert_serial FROM fleet_boxes WHERE box_id=?", DEMO_BOX
    )
    assert recorded == [(format(after, "x"),)]
    assert not (stack.workdir / "box" / "identity" / "next.key").exists()

    log = stack.group.log_dir / "box.log"
    runs = log.read_text(encoding="utf-8").count(f"box {DEMO_BOX} of {DEMO_TENANT} running")
    await console.post(f"/vendor/boxes/{DEMO_BOX}/commands", command_kind="agent.restart")
    wait_for(
        "the agent to come back",
        lambda: (
            log.read_text(encoding="utf-8").count(f"box {DEMO_BOX} of {DEMO_TENANT} running") > runs
        ),
    )
    assert _command(stack, DEMO_BOX, "agent.restart")[0] == "ok"
    # and the restarted box (on its rotated certificate) still answers commands
    await console.post(f"/vendor/boxes/{DEMO_BOX}/commands", command_kind="printer.test_page")
    wait_for(
        "a command after the restart",
        lambda: (
            cloud_rows(
                stack.db_path,
                "SELECT count(*) FROM fleet_commands WHERE box_id=? AND kind=? AND status='ok'",
                DEMO_BOX,
                "printer.test_page",
            )[0][0]
            >= 2
        ),
    )


@pytest.mark.browser
async def test_vendor_console_in_a_browser(stack: DemoStack, chromium: Browser) -> None:
    page = await (await chromium.new_context(locale="zh-TW")).new_page()
    await page.goto(stack.url + "/vendor")
    await page.wait_for_url(re.compile(r".*/vendor/login.*"))
    await page.fill("#vendor_login-username", VENDOR_LOGIN[0])
    await page.fill("#vendor_login-password", VENDOR_LOGIN[1])
    await page.click("button[type=submit].primary")
    await page.wait_for_url(re.compile(r".*/vendor$"))
    assert await page.locator(f'tr[data-box="{DEMO_BOX}"]').count() == 1
    # filters: the demo box is online, so "offline" hides it
    await page.select_option("#filter-online", "no")
    await page.click("form[aria-label] button[type=submit]")
    await page.wait_for_url(re.compile(r".*online=no.*"))
    assert await page.locator(f'tr[data-box="{DEMO_BOX}"]').count() == 0
    await page.select_option("#filter-online", "yes")
    await page.select_option("#filter-clinic", DEMO_TENANT)
    await page.click("form[aria-label] button[type=submit]")
    await page.wait_for_url(re.compile(r".*online=yes.*"))
    await page.click(f'tr[data-box="{DEMO_BOX}"] a')
    await page.wait_for_url(re.compile(rf".*/vendor/boxes/{DEMO_BOX}$"))
    assert "裝置雙生狀態" in await page.content()
    done = await page.locator('tr[data-kind="printer.test_page"][data-status="ok"]').count()
    await page.select_option("#command-command_kind", "printer.test_page")
    await page.click("#send-command")
    rows = page.locator('tr[data-kind="printer.test_page"][data-status="ok"]')
    for _ in range(600):
        if await rows.count() > done:
            break
        await page.wait_for_timeout(100)
        await page.reload()
    assert await rows.count() > done
    await page.screenshot(path=str(SHOTS / "vendor-box.png"), full_page=True)


async def test_clinic_and_vendor_logins_do_not_cross(stack: DemoStack, console: Console) -> None:
    assert stack.info is not None
    clinic = stack.info.clinic(DEMO_TENANT)
    staff = clinic.logins[0]
    desk = Console(stack.url)
    try:
        await desk.get("/login")
        url, _ = await desk.post(
            "/login",
            institution_code=clinic.nhi_code,
            username=staff.username,
            password=staff.password,
        )
        assert "/login" not in url  # the clinic login worked
        async with desk.http.get(f"{stack.url}/vendor", allow_redirects=False) as reply:
            assert reply.status == 303
            assert reply.headers["Location"].startswith("/vendor/login")
        async with desk.http.post(
            f"{stack.url}/vendor/boxes/{DEMO_BOX}/revoke",
            data={"_csrf": desk.csrf},
            allow_redirects=False,
        ) as reply:
            assert reply.status == 303 and reply.headers["Location"].startswith("/vendor/login")
    finally:
        await desk.close()
    # and the vendor's session opens no clinic page
    async with console.http.get(f"{stack.url}/desk", allow_redirects=False) as reply:
        assert reply.status == 303 and reply.headers["Location"].startswith("/login")
    state = cloud_rows(stack.db_path, "SELECT state FROM fleet_boxes WHERE box_id=?", DEMO_BOX)
    assert state == [("provisioned",)]
