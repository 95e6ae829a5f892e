"""The box's bundle store and manager: atomic apply, previous version kept, effective dates
honoured offline, and every refusal typed and remembered for the reported state. Bundles are
served by a real HTTP server (the far side), not injected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from bundles_helpers import price_row, rows_st, signed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicbox.runtime.ports import free_port
from clinicbox_core.bundles import (
    BundleBaseMismatch,
    BundleDigestMismatch,
    BundleKind,
    BundleOutdated,
    BundleRow,
    BundleSignatureInvalid,
    BundleUntrustedKey,
    SigningKey,
    TrustedKeys,
    decode,
    digest,
)
from clinicbox_core.contracts import BundleAvailable
from clinicbox_core.nhi.errors import NoRuleInForce
from edge_agent.bundles import BundleFetchFailed, BundleManager, BundleStore

KEY = SigningKey.generate()
TRUST = TrustedKeys([KEY.public_b64])
DP = BundleKind.DRUG_PRICES
V1 = [
    price_row("A0001", "10.00", date(2026, 1, 1), date(2026, 12, 31)),
    price_row("A0002", "5.00", date(2026, 1, 1)),
]
V2 = [*V1, price_row("A0001", "9.10", date(2027, 1, 1))]


@pytest.fixture
def store(tmp_path: Path) -> BundleStore:
    return BundleStore(tmp_path / "bundles.db")


def test_apply_full_then_delta_keeps_previous_and_prices_by_date(store: BundleStore) -> None:
    store.apply(*decode(signed(KEY, 1, V1), TRUST))
    store.apply(*decode(signed(KEY, 2, V2, base=(1, V1)), TRUST))
    assert store.versions() == {"drug_prices": 2}
    assert store.version(DP, "previous").version == 1  # type: ignore[union-attr]
    # The new price is in the box before the 1st and used from the 1st, with no network.
    assert store.price("A0001", date(2026, 12, 31)) == Decimal("10.00")
    assert store.price("A0001", date(2027, 1, 1)) == Decimal("9.10")
    store.revert(DP)
    assert store.versions() == {"drug_prices": 1}
    with pytest.raises(NoRuleInForce):
        store.price("A0001", date(2027, 1, 1))


def test_old_and_mismatched_bundles_are_refused_and_change_nothing(store: BundleStore) -> None:
    store.apply(*decode(signed(KEY, 2, V2), TRUST))
    with pytest.raises(BundleOutdated):
        store.apply(*decode(signed(KEY, 1, V1), TRUST))
    with pytest.raises(BundleOutdated):
        store.apply(*decode(signed(KEY, 2, V1), TRUST))
    with pytest.raises(BundleBaseMismatch):
        store.apply(*decode(signed(KEY, 3, V1, base=(1, V1)), TRUST))
    header, delta = decode(signed(KEY, 3, V1, base=(2, V2)), TRUST)
    with pytest.raises(BundleDigestMismatch):
        store.apply(header.model_copy(update={"row_count": 99}), delta)
    assert store.versions() == {"drug_prices": 2}
    assert store.price("A0001", date(2027, 1, 1)) == Decimal("9.10")


@pytest.fixture
async def server() -> AsyncIterator[dict[str, bytes]]:
    files: dict[str, bytes] = {}

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"] + (
            "@" + request.query["have"] if "have" in request.query else ""
        )
        body = files.get(name) or files.get(request.match_info["name"])
        return web.Response(body=body) if body else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/b/{name}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    files["port"] = str(port).encode()
    yield files
    await runner.cleanup()


def _offer(files: dict[str, bytes], name: str, version: int) -> BundleAvailable:
    port = files["port"].decode()
    return BundleAvailable(kind=DP, version=version, url=f"http://127.0.0.1:{port}/b/{name}")


async def test_manager_fetches_verifies_and_remembers_refusals(
    store: BundleStore, server: dict[str, bytes]
) -> None:
    manager = BundleManager(store, TRUST)
    server["v1"] = signed(KEY, 1, V1)
    server["v2@1"] = signed(KEY, 2, V2, base=(1, V1))
    server["v2"] = signed(KEY, 2, V2)
    assert (await manager.offer(_offer(server, "v1", 1))).version == 1
    assert (await manager.offer(_offer(server, "v2", 2))).version == 2  # delta (have=1)
    assert (await manager.offer(_offer(server, "v2", 2))).version == 2  # same: no-op
    # Tampered: one price changed after signing.
    blob = signed(KEY, 3, [*V2, price_row("A0003", "1.00", date(2027, 1, 1))])
    server["v3"] = blob.replace(b"1.00", b"0.01") if b"1.00" in blob else blob[:-1] + b"\0"
    with pytest.raises((BundleSignatureInvalid,)):
        await manager.offer(_offer(server, "v3", 3))
    assert manager.refusals == {"drug_prices": "error.bundle.bad_signature"}
    server["v4"] = signed(SigningKey.generate(), 4, V1)
    with pytest.raises(BundleUntrustedKey):
        await manager.offer(_offer(server, "v4", 4))
    with pytest.raises(BundleOutdated):  # announced older than what the box holds
        await manager.offer(_offer(server, "v1", 1))
    server["v5"] = signed(KEY, 1, V1)  # the server answers v5 with a (validly signed) v1
    with pytest.raises(BundleOutdated):
        await manager.offer(_offer(server, "v5", 5))
    with pytest.raises(BundleFetchFailed):
        await manager.offer(_offer(server, "missing", 6))
    assert manager.refusals == {"drug_prices": "error.bundle.fetch_failed"}
    assert store.versions() == {"drug_prices": 2}
    server["v6@2"] = signed(KEY, 6, V1, base=(2, V2))
    assert (await manager.offer(_offer(server, "v6", 6))).version == 6
    assert manager.refusals == {}


@given(st.lists(rows_st, min_size=1, max_size=4))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_store_follows_any_sequence_of_versions(
    tmp_path: Path, versions: list[list[BundleRow]]
) -> None:
    """Full bundle, then deltas: the store's current rows are always the published rows."""
    db = tmp_path / f"h{abs(hash(str(versions))) % 10**9}.db"
    store = BundleStore(db)
    try:
        store.apply(*decode(signed(KEY, 1, versions[0]), TRUST))
        for n, rows in enumerate(versions[1:], start=2):
            store.apply(*decode(signed(KEY, n, rows, base=(n - 1, versions[n - 2])), TRUST))
            assert digest(store.rows(DP, n)) == digest(rows)
            assert digest(store.rows(DP, n - 1)) == digest(versions[n - 2])  # previous kept
    finally:
        store.close()
        db.unlink()
