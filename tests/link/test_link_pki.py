"""The link CA: idempotent issuing, names in certificates, reissue when the CA changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from clinicbox.runtime.pki import Pki
from clinicbox_core.errors import ValidationFailed


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_issuing_twice_reuses_the_files(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    first = [pki.ensure_ca(), pki.ensure_server(), pki.ensure_client("box-1")]
    before = [p.cert.read_bytes() + p.key.read_bytes() for p in first]
    again = [pki.ensure_ca(), pki.ensure_server(), pki.ensure_client("box-1")]
    assert [p.cert.read_bytes() + p.key.read_bytes() for p in again] == before
    assert oct(first[2].key.stat().st_mode & 0o777) == "0o600"


def test_certificates_carry_the_right_names_and_chain_to_the_ca(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    ca = _cert(pki.ensure_ca().cert)
    server = _cert(pki.ensure_server().cert)
    client = _cert(pki.ensure_client("cloud-1").cert)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1"}
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    cn = client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert cn == "cloud-1"
    server.verify_directly_issued_by(ca)
    client.verify_directly_issued_by(ca)


def test_a_new_ca_reissues_leaf_certificates(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    pki.ensure_ca()
    old_client = pki.ensure_client("box-1").cert.read_bytes()
    pki.ca.cert.unlink()  # CA lost: a new one is made, and old leaves no longer chain to it
    new_ca = _cert(pki.ensure_ca().cert)
    client = pki.ensure_client("box-1")
    assert client.cert.read_bytes() != old_client
    _cert(client.cert).verify_directly_issued_by(new_ca)


def test_server_certificate_is_reissued_for_new_host_names(tmp_path: Path) -> None:
    pki = Pki(tmp_path)
    before = pki.ensure_server().cert.read_bytes()
    after = pki.ensure_server(("127.0.0.1", "localhost", "broker.internal")).cert.read_bytes()
    assert before != after


def test_identity_must_be_a_topic_segment(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed):
        Pki(tmp_path).ensure_client("box/1")
