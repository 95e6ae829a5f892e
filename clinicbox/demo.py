"""``clinicbox demo``: the whole system on one machine, with a demo clinic.

Starts, in order: certificates, a Mosquitto with TLS on a free port, a private pcscd whose
virtual reader listens on a free port (so a test run on the same machine keeps its own reader),
the virtual NHI card (vpcd), the virtual ESC/POS printer (TCP 9100 when free), the NHI sandbox
(every demo clinic registered with its own SAM id and secret), the cloud on SQLite migrated and
seeded with the demo clinics and connected to the sandbox (``[nhi]``: 就醫序號 at check-in, the
daily IC upload), and the demo clinic's box. Prints the URL and
the logins, writes ``<workdir>/demo.json`` for ``clinicbox card ...``, and on Ctrl-C stops every
child cleanly (reverse order).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from clinicbox.runtime.mailsink import MailSink
from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox.runtime.pcscd_private import PrivatePcscd
from clinicbox.runtime.ports import free_port, port_open
from clinicbox.runtime.processes import ProcessGroup
from cloud_plane.seed.demo import DemoInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEMO_TENANT = "demo-west"
DEMO_BOX = "box-demo-1"
CLOUD_CLIENT = "cloud-1"
CLAIM_BATCH = "claim-demo"
VENDOR_LOGIN = ("vendor", "vendor-demo-1234")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


Table = dict[str, object]


def write_toml(
    path: Path, sections: dict[str, Table | list[Table]], top: dict[str, object]
) -> None:
    """A tiny TOML writer for our flat configs: top-level keys, tables, and arrays of tables
    (a list value, or a ``[name]`` key for a single element)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in top.items()]
    for name, value in sections.items():
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            if isinstance(value, list):
                lines.append(f"\n[[{name}]]")
            elif name.startswith("[["):
                lines.append(f"\n{name}")
            else:
                lines.append(f"\n[{name}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class DemoStack:
    """Every process of the demo; also used by the end-to-end tests and the benchmarks."""

    def __init__(
        self, workdir: Path, *, http_port: int | None = None, data_dir: Path | None = None
    ) -> None:
        self.workdir = workdir.resolve()
        self.data_dir = (data_dir or DEFAULT_DATA_DIR).resolve()
        self.http_port = http_port or free_port()
        self.group = ProcessGroup(self.workdir / "logs")
        self.broker: MosquittoBroker | None = None
        self.card_control_port = free_port()
        self.printer_port = 9100 if not port_open("127.0.0.1", 9100) else free_port()
        self.printer_http_port = free_port()
        self.box_status_port = free_port()
        self.db_path = self.workdir / "cloud" / "clinicbox.db"
        self.info: DemoInfo | None = None
        self._db_url: str | None = None
        self.pcscd: PrivatePcscd | None = None
        self.mail: MailSink | None = None
        self.box_http_port = free_port()  # the box's continuity pages
        self.nhi_port = free_port()
        self.nhi_hospitals: list[tuple[str, str, str]] = []  # (nhi_code, SAM id, secret)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def box_url(self) -> str:
        """The box's own pages (continuity mode)."""
        return f"http://127.0.0.1:{self.box_http_port}"

    @property
    def printer_url(self) -> str:
        return f"http://127.0.0.1:{self.printer_http_port}"

    @property
    def card_control_url(self) -> str:
        return f"http://127.0.0.1:{self.card_control_port}"

    @property
    def nhi_url(self) -> str:
        return f"http://127.0.0.1:{self.nhi_port}"

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.db_path}"

    # -- steps ---------------------------------------------------------------------------------

    def start_broker(self) -> None:
        # the cloud owns the ACL and CRL (fleet provisioning); the broker only starts with them
        broker = MosquittoBroker(self.workdir / "mqtt", external_acl=True)
        broker.start()
        self.broker = broker

    def start_devices(self) -> None:
        from clinicbox.runtime.pcscd import SOCKET_ENV, PcscdUnavailable, ensure_pcscd
        from clinicbox.runtime.pcscd_private import start_private_pcscd

        if not os.environ.get(SOCKET_ENV):  # tests bring their own; a lone demo starts one
            try:
                self.pcscd = start_private_pcscd(self.workdir / "pcscd")
            except PcscdUnavailable as exc:
                print(f"demo: using the system pcscd ({exc})", file=sys.stderr)
        ensure_pcscd()
        self.group.python(
            "card",
            "devsim.card_control",
            "--control-port",
            str(self.card_control_port),
            ready_port=("127.0.0.1", self.card_control_port),
        )
        self.group.python(
            "printer",
            "devsim.escpos_printer",
            "--port",
            str(self.printer_port),
            "--out",
            str(self.workdir / "printer"),
            "--http-port",
            str(self.printer_http_port),
            ready_port=("127.0.0.1", self.printer_http_port),
        )

    def start_nhi_sandbox(self) -> None:
        """The NHI sandbox with every demo clinic as a hospital (SAM id from the 醫事機構代碼,
        a secret kept in the workdir so a restarted demo keeps its sandbox data valid)."""
        from cloud_plane.seed.demo import CLINICS

        secrets_file = self.workdir / "nhi-secrets.json"
        known: dict[str, str] = (
            json.loads(secrets_file.read_text(encoding="utf-8")) if secrets_file.exists() else {}
        )
        self.nhi_hospitals = []
        for spec in CLINICS:
            code = str(spec[1])
            known.setdefault(code, secrets.token_hex(24))
            self.nhi_hospitals.append((code, "00" + code, known[code]))
        secrets_file.write_text(json.dumps(known), encoding="utf-8")
        secrets_file.chmod(0o600)
        args = ["--port", str(self.nhi_port), "--data-dir", str(self.workdir / "nhi-sandbox")]
        for hospital in self.nhi_hospitals:
            args += ["--hospital", ":".join(hospital)]
        self.group.python(
            "nhi-sandbox", "nhi_sandbox", *args, ready_port=("127.0.0.1", self.nhi_port)
        )

    def _nhi_sections(self) -> dict[str, Table | list[Table]]:
        if not self.nhi_hospitals:
            return {}
        return {
            "nhi": {"base_url": self.nhi_url},
            "nhi.hospitals": [
                {"nhi_code": code, "sam_id": sam, "sam_secret": secret}
                for code, sam, secret in self.nhi_hospitals
            ],
        }

    def prepare_database(self, database_url: str | None = None) -> DemoInfo:
        from cloud_plane.db.engine import create_engine, upgrade
        from cloud_plane.seed.demo import seed_demo

        url = database_url or self.database_url
        self._db_url = url
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        upgrade(url)

        async def _seed() -> DemoInfo:
            from cloud_plane.fleet.provisioning import assign, known
            from cloud_plane.fleet.vendors import add_vendor

            engine = create_engine(url)
            try:
                info = await seed_demo(engine, self.data_dir)
                async with engine.begin() as conn:
                    # the vendor registered the demo box's serial for the demo clinic before
                    # shipping it (pre-assignment): the box provisions itself on first boot
                    if not await known(conn, DEMO_BOX):
                        await assign(conn, DEMO_BOX, DEMO_TENANT, "vendor:seed")
                    await add_vendor(conn, *VENDOR_LOGIN, display_name="Demo vendor")
                return info
            finally:
                await engine.dispose()

        self.info = asyncio.run(_seed())
        return self.info

    def logins(self) -> list[dict[str, str]]:
        """Every demo login: clinic, institution code, username, password, role."""
        if self.info is None:
            return []
        return [
            {
                "clinic": clinic.name,
                "slug": clinic.slug,
                "institution_code": clinic.nhi_code,
                "username": login.username,
                "password": login.password,
                "role": ",".join(login.roles),
            }
            for clinic in self.info.clinics
            for login in clinic.logins
        ]

    def _mqtt_section(self, client: str) -> dict[str, object]:
        assert self.broker is not None, "start_broker() first"
        creds = self.broker.client_cert(client)
        return {
            "host": self.broker.host,
            "port": self.broker.port,
            "ca_file": str(self.broker.ca_file),
            "cert_file": str(creds.cert),
            "key_file": str(creds.key),
        }

    def _fleet_section(self) -> dict[str, object]:
        assert self.broker is not None, "start_broker() first"
        return {
            "ca_dir": str(self.broker.pki.directory),
            "acl_file": str(self.broker.acl_file),
            "crl_file": str(self.broker.crl_file),
            "broker_pid_file": str(self.broker.pid_file),
            "cloud_identities": list(self.broker.cloud_identities),
        }

    def start_cloud(
        self,
        name: str = "cloud",
        *,
        client: str = CLOUD_CLIENT,
        http_port: int | None = None,
        database_url: str | None = None,
        fleet_updates: dict[str, object] | None = None,
        fleet: bool = True,
    ) -> None:
        """One cloud process; a second one needs another ``client`` (cloud-2) and port.

        ``fleet=False``: the process does not own the broker's ACL and CRL (tests that list
        their boxes in the ACL by hand with ``MosquittoBroker.bind_box``).
        """
        port = http_port or self.http_port
        cfg = self.workdir / f"{name}.toml"
        sections: dict[str, Table | list[Table]] = {
            "mqtt": self._mqtt_section(client),
            "notify": self._notify_section(port),
        }
        if fleet:
            sections["fleet"] = self._fleet_section()
        if fleet_updates:
            sections["fleet_updates"] = fleet_updates
        write_toml(
            cfg,
            {**sections, **self._nhi_sections()},
            {
                "database_url": database_url or self.database_url,
                "http_host": "127.0.0.1",
                "http_port": port,
                "mqtt_client_id": client,
            },
        )
        self.group.start(
            name,
            [sys.executable, "-m", "clinicbox.cli", "cloud", "--config", str(cfg)],
            ready_port=("127.0.0.1", port),
            cwd=REPO_ROOT,
        )

    def start_mail(self) -> None:
        """A local SMTP server keeping the demo's e-mails to patients (one-time codes,
        reminders) in a Maildir, when aiosmtpd is installed (it is with the dev extras)."""
        if importlib.util.find_spec("aiosmtpd") is not None:
            self.mail = MailSink(self.group, self.workdir / "mail")
            self.mail.start()

    def _notify_section(self, port: int) -> dict[str, object]:
        section: dict[str, object] = {"public_base_url": f"http://127.0.0.1:{port}"}
        if self.mail is not None:
            section["smtp_url"] = self.mail.url
        return section

    def _box_mqtt_section(self) -> dict[str, object]:
        """Broker and CA only: the box makes its own key and gets its certificate itself."""
        assert self.broker is not None, "start_broker() first"
        return {
            "host": self.broker.host,
            "port": self.broker.port,
            "ca_file": str(self.broker.ca_file),
        }

    def _provisioning_section(self) -> dict[str, object]:
        """The claim credential the box ships with (one per manufacturing batch)."""
        assert self.broker is not None and self.broker.claim_port is not None
        claim = self.broker.claim_cert(CLAIM_BATCH)
        return {
            "claim_port": self.broker.claim_port,
            "claim_cert_file": str(claim.cert),
            "claim_key_file": str(claim.key),
            "retry_s": 1.0,
        }

    def box_link_sections(self) -> dict[str, dict[str, object]]:
        """``[mqtt]`` and ``[provisioning]`` of a box that provisions itself (no key by hand)."""
        return {"mqtt": self._box_mqtt_section(), "provisioning": self._provisioning_section()}

    def preassign(self, serial: str, tenant: str = DEMO_TENANT) -> None:
        """The vendor assigns ``serial`` to ``tenant`` before the box first asks (blocking)."""
        from cloud_plane.db.engine import create_engine
        from cloud_plane.fleet.provisioning import assign

        async def run() -> None:
            engine = create_engine(self._db_url or self.database_url)
            try:
                async with engine.begin() as conn:
                    await assign(conn, serial, tenant, "vendor:demo")
            finally:
                await engine.dispose()

        asyncio.run(run())

    def box_config(self) -> Path:
        cfg = self.workdir / "box.toml"
        write_toml(
            cfg,
            {
                "mqtt": self._box_mqtt_section(),
                "provisioning": self._provisioning_section(),
                "card": {"reader_filter": "Virtual PCD"},
                "continuity": {
                    "enabled": True,
                    "http_host": "127.0.0.1",
                    "http_port": self.box_http_port,
                    "cloud_url": self.url,
                    "key_file": str(self.workdir / "box.continuity.key"),
                    "probe_interval_s": 1.0,
                    # a refused connection fails at once, so switching still takes ~3 s when the
                    # cloud is down; a cloud merely slow under load (CI on 2 cores) is not "down"
                    "probe_timeout_s": 5.0,
                    "failures_to_switch": 3,
                    "report_interval_s": 2.0,
                    "offline_collect_interval_s": 2.0,
                },
                "[printers]": {
                    "name": "virtual-escpos",
                    "backend": "network",
                    "host": "127.0.0.1",
                    "port": self.printer_port,
                },
            },
            {
                "box_id": DEMO_BOX,
                "data_dir": str(self.workdir / "box"),
                "status_port": self.box_status_port,
                "log_file": str(self.group.log_dir / "box.log"),
            },
        )
        return cfg

    def start_box(self) -> None:
        # A box killed with SIGKILL leaves its ready marker behind; readiness must be fresh.
        (self.workdir / "box" / "ready").unlink(missing_ok=True)
        self.group.start(
            "box",
            [sys.executable, "-m", "clinicbox.cli", "box", "--config", str(self.box_config())],
            ready=lambda: (self.workdir / "box" / "ready").exists(),
            cwd=REPO_ROOT,
        )

    def write_state(self) -> None:
        state = {
            "url": self.url,
            "card_control_url": self.card_control_url,
            "printer_url": self.printer_url,
            "printer_port": self.printer_port,
            "box_url": self.box_url,
            "nhi_sandbox_url": self.nhi_url if self.nhi_hospitals else None,
            "logins": self.logins(),
        }
        (self.workdir / "demo.json").write_text(
            json.dumps(state, ensure_ascii=False, indent=2), encoding="utf-8"
        )

    def start_all(self) -> None:
        """Start everything; if any step fails, stop what already runs and re-raise."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_broker()
            self.start_devices()
            self.start_nhi_sandbox()
            self.prepare_database()
            self.start_mail()
            self.start_cloud()
            self.start_box()
            self.write_state()
        except BaseException:
            self.stop_all()
            raise

    def stop_all(self) -> None:
        self.group.stop_all()
        if self.broker is not None:
            self.broker.stop()
        if self.pcscd is not None:
            self.pcscd.stop()
            self.pcscd = None


def _banner(stack: DemoStack) -> str:
    lines = [
        "",
        "clinicbox demo is running",
        f"  HIS (front desk, doctor, billing): {stack.url}",
        f"  virtual printer (printed jobs):    {stack.printer_url}/jobs",
        f"  online booking (patients):         {stack.url}/book",
        f"  waiting-room screen:               {stack.url}/display/demo-west",
        "  e-mails to patients (codes):       "
        + (str(stack.mail.maildir / "new") if stack.mail else "no local SMTP server (aiosmtpd)"),
        f"  box pages (continuity mode):       {stack.box_url}",
        f"  NHI sandbox (patients):            {stack.nhi_url}/sandbox/v1/Patients",
        f"  vendor fleet console:              {stack.url}/vendor  "
        f"({VENDOR_LOGIN[0]} / {VENDOR_LOGIN[1]})",
        f"  box status page (claim code):      http://127.0.0.1:{stack.box_status_port}/status.json",
        "  logins (機構代碼 / 帳號 / 密碼):",
    ]
    for login in stack.logins():
        lines.append(
            "    {institution_code} / {username} / {password}  ({role}, {clinic})".format(**login)
        )
    lines += [
        "  insert a demo NHI card:  .venv/bin/clinicbox card insert [--name 陳美玲 ...]",
        "  an NHI-insured person's: .venv/bin/clinicbox card insert --sandbox-patient 0",
        "  remove it:               .venv/bin/clinicbox card remove",
        "  logs:                    " + str(stack.group.log_dir),
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)


def run_demo(workdir: Path, *, http_port: int = 8080, data_dir: Path | None = None) -> int:
    stack = DemoStack(workdir, http_port=http_port, data_dir=data_dir)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stack.start_all()
        print(_banner(stack), flush=True)
        while not stop.wait(1.0):
            for name, proc in stack.group.procs.items():
                if not proc.alive:
                    print(f"{name} stopped unexpectedly:\n{proc.log_tail()}", flush=True)
                    stop.set()
    finally:
        print("stopping ...", flush=True)
        stack.stop_all()
    return 0
