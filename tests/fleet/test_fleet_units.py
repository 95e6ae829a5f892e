"""The fleet's pieces on their own: CSR signing and the CRL, the provisioning rules (pinning,
assignment, revocation) on a real SQLite database, the twin delta, the command registry and
time-outs, and the box's identity files."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

import cloud_plane.db.tables_boxlink
import cloud_plane.db.tables_fleet  # noqa: F401  (registers the tables)
from clinicbox.runtime.pki import Pki
from clinicbox_core.contracts import Command, CommandResult, PrintTestPage, RestartAgent
from clinicbox_core.contracts.provisioning import ProvisionRequest
from clinicbox_core.errors import Conflict, ValidationFailed
from cloud_plane.db.engine import create_engine
from cloud_plane.db.metadata import metadata
from cloud_plane.db.tables_clinic import tenants
from cloud_plane.db.tables_fleet import fleet_audit, fleet_boxes, fleet_commands
from cloud_plane.fleet import commands, provisioning
from cloud_plane.fleet.twin import compute_delta
from edge_agent.provisioning.identity import DeviceIdentity
from edge_agent.remote import CommandRegistry

DAYS = dt.timedelta(days=90)


def _csr(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, cn: str = "whatever") -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# ---- CA -------------------------------------------------------------------------------------


def test_sign_csr_names_the_assigned_serial_and_checks_the_request(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    key = _p256()
    cert = pki.sign_csr(_csr(key, cn="someone-else").encode(), "SN-1", DAYS)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "SN-1"
    ca = x509.load_pem_x509_certificate(pki.ca.cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    with pytest.raises(ValidationFailed) as bad:
        pki.sign_csr(b"not a csr", "SN-1", DAYS)
    assert bad.value.params["reason"] == "unreadable"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ValidationFailed) as wrong:
        pki.sign_csr(_csr(rsa_key).encode(), "SN-1", DAYS)
    assert wrong.value.params["reason"] == "key_type"
    with pytest.raises(ValidationFailed):
        pki.sign_csr(_csr(key).encode(), "SN/1", DAYS)


def test_the_crl_lists_revoked_serials(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    cert = pki.sign_csr(_csr(_p256()).encode(), "SN-1", DAYS)
    path = pki.write_crl([(cert.serial_number, dt.datetime.now(dt.UTC))], tmp_path / "crl.pem")
    crl = x509.load_pem_x509_crl(path.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert crl.is_signature_valid(
        x509.load_pem_x509_certificate(pki.ca.cert.read_bytes()).public_key()
    )  # type: ignore[arg-type]


# ---- provisioning rules ---------------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fleet.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            insert(tenants).values(
                slug="clinic-1",
                nhi_code="3501200000",
                name="一號診所",
                clinic_type="western",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    try:
        yield engine
    finally:
        await engine.dispose()


def _request(serial: str, key: ec.EllipticCurvePrivateKey, code: str) -> ProvisionRequest:
    return ProvisionRequest(serial=serial, csr_pem=_csr(key), claim_code=code)


async def test_pending_until_claimed_by_code_then_issued_and_pinned(
    db: AsyncEngine, tmp_path: Path
) -> None:
    pki = Pki(tmp_path / "ca")
    key = _p256()
    async with db.begin() as conn:
        first = await provisioning.handle_request(
            conn, pki, _request("SN-1", key, "ABCDEFGH"), DAYS
        )
    assert first.response.status == "pending" and not first.policy_changed
    async with db.begin() as conn:
        with pytest.raises(ValidationFailed):
            await provisioning.claim_by_code(conn, "HGFEDCBA", "clinic-1", "vendor:t")
        assert await provisioning.claim_by_code(conn, "abcdefgh", "clinic-1", "vendor:t") == "SN-1"
    async with db.begin() as conn:
        issued = await provisioning.handle_request(
            conn, pki, _request("SN-1", key, "ABCDEFGH"), DAYS
        )
        again = await provisioning.handle_request(
            conn, pki, _request("SN-1", key, "ABCDEFGH"), DAYS
        )
        thief = await provisioning.handle_request(
            conn, pki, _request("SN-1", _p256(), "ABCDEFGH"), DAYS
        )
        guess = await provisioning.handle_request(
            conn, pki, _request("SN-1", key, "ZZZZZZZZ"), DAYS
        )
        boxes = await provisioning.acl_boxes(conn)
    assert issued.response.status == "issued" and issued.policy_changed
    assert issued.response.tenant == "clinic-1"
    assert again.response.cert_pem == issued.response.cert_pem and not again.policy_changed
    assert (thief.response.status, thief.response.reason) == ("refused", "key_mismatch")
    assert (guess.response.status, guess.response.reason) == ("refused", "code_mismatch")
    assert boxes == [("SN-1", "clinic-1")]
    async with db.begin() as conn:
        await provisioning.revoke(conn, "SN-1", "vendor:t")
        after = await provisioning.handle_request(
            conn, pki, _request("SN-1", key, "ABCDEFGH"), DAYS
        )
        revoked = await provisioning.revoked_serials(conn)
        assert await provisioning.acl_boxes(conn) == []
        with pytest.raises(Conflict):
            await provisioning.assign(conn, "SN-1", "clinic-1", "vendor:t")
        actions = (await conn.execute(select(fleet_audit.c.action))).scalars().all()
    assert (after.response.status, after.response.reason) == ("refused", "revoked")
    assert len(revoked) == 1
    assert {"provision.request", "box.assign", "cert.issue", "box.revoke"} <= set(actions)


async def test_assignment_refuses_unknown_clinics_and_bad_serials(db: AsyncEngine) -> None:
    async with db.begin() as conn:
        with pytest.raises(ValidationFailed) as clinic:
            await provisioning.assign(conn, "SN-2", "nowhere", "vendor:t")
        assert clinic.value.params["field"] == "clinic"
        with pytest.raises(ValidationFailed) as serial:
            await provisioning.assign(conn, "SN 2/x", "clinic-1", "vendor:t")
        assert serial.value.params["field"] == "serial"


async def test_a_command_without_result_times_out_and_a_late_result_is_kept(
    db: AsyncEngine,
) -> None:
    async with db.begin() as conn:
        await conn.execute(
            insert(fleet_boxes).values(box_id="SN-3", tenant_slug="clinic-1", state="provisioned")
        )
        _, command = await commands.create(
            conn, "SN-3", "printer.test_page", "vendor:t", dt.timedelta(seconds=5)
        )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    assert await commands.sweep(db, later) == 1
    assert await commands.sweep(db, later) == 0
    late = CommandResult(command_id=command.command_id, box_id="SN-3", ok=True)
    await commands.record_result(db, late)
    async with db.connect() as conn:
        row = (await conn.execute(select(fleet_commands))).one()
        audit_rows = (await conn.execute(select(fleet_audit.c.result))).scalars().all()
    assert row.status == "timed_out" and row.detail and "late result" in row.detail
    assert audit_rows == ["sent", "timed_out"]


# ---- twin delta -----------------------------------------------------------------------------

_values = st.one_of(st.integers(0, 5), st.sampled_from(["a", "b"]), st.booleans())
_configs = st.dictionaries(st.sampled_from(["k1", "k2", "k3"]), _values, max_size=3)


@given(want=_configs, have=_configs)
def test_the_delta_lists_exactly_the_desired_keys_not_yet_reported(
    want: dict[str, object], have: dict[str, object]
) -> None:
    delta = compute_delta({"config": want}, {"config": have})
    expected = {f"config.{k}" for k, v in want.items() if k not in have or have[k] != v}
    assert set(delta) == expected
    assert compute_delta({"config": want}, {"config": {**have, **want}}) == {}


# ---- box side -------------------------------------------------------------------------------


async def test_the_registry_refuses_expired_and_unknown_commands() -> None:
    registry = CommandRegistry("SN-4")

    async def ok(command: Command) -> CommandResult:
        return CommandResult(command_id=command.command_id, box_id="SN-4", ok=True)

    registry.register("agent.restart", ok)
    with pytest.raises(ValueError):
        registry.register("agent.restart", ok)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    expired = await registry.dispatch(Command(body=RestartAgent(), expires_at=past))
    unknown = await registry.dispatch(Command(body=PrintTestPage()))
    fine = await registry.dispatch(Command(body=RestartAgent(), command_id=uuid.uuid4()))
    assert expired.error_code == "error.command.expired"
    assert unknown.error_code == "error.command.no_handler"
    assert fine.ok


def test_the_box_keeps_only_certificates_for_its_own_keys(tmp_path: Path) -> None:
    pki = Pki(tmp_path / "ca")
    identity = DeviceIdentity(tmp_path / "box", "SN-5")
    code = identity.claim_code()
    assert code == identity.claim_code() and len(code) == 8  # made once, kept
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()  # noqa: E731
    stranger = pki.sign_csr(_csr(_p256()).encode(), "SN-5", DAYS)
    with pytest.raises(ValidationFailed):
        identity.install(pem(stranger), "clinic-1")
    assert not identity.provisioned
    mine = pki.sign_csr(identity.csr_pem().encode(), "SN-5", DAYS)
    identity.install(pem(mine), "clinic-1")
    assert identity.provisioned and identity.tenant == "clinic-1"
    assert identity.key_file.stat().st_mode & 0o077 == 0
    old_key = identity.key_file.read_bytes()
    rotated = pki.sign_csr(identity.csr_pem(next_key=True).encode(), "SN-5", DAYS)
    identity.install(pem(rotated))
    assert identity.key_file.read_bytes() != old_key and not identity.next_key_file.exists()
    assert identity.certificate() == rotated
