"""The box's bundle store: every kind's current and previous version, in one SQLite file.

Applying a version is one ``BEGIN IMMEDIATE`` transaction: check it is newer than the current
version and (for a delta) based on it, compute the new row set, check it against the signed
target digest, insert it, make it current, demote the old current to previous and drop anything
older. A crash at any point leaves either the old or the new version current, never a mixture.

Lookups read the current version only; effective dates are honoured at lookup time
(``price(code, on)``), so a price that takes effect on the 1st is used from the 1st even if the
box has been offline since the bundle arrived.

Blocking (sqlite3): call from a thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from clinicbox_core.bundles import (
    BundleBaseMismatch,
    BundleDelta,
    BundleDigestMismatch,
    BundleHeader,
    BundleKind,
    BundleOutdated,
    BundleRow,
    in_force_row,
)
from clinicbox_core.bundles.models import canonical_line, data_json, digest_lines

SCHEMA = """
CREATE TABLE IF NOT EXISTS bundle_version (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,          -- SHA-256 of the canonical row set (signed by the cloud)
    row_count INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('current', 'previous')),
    applied_at TEXT NOT NULL,      -- box clock, for the operator only
    PRIMARY KEY (kind, version)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS bundle_version_role ON bundle_version (kind, role);
CREATE TABLE IF NOT EXISTS bundle_row (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    code TEXT NOT NULL,
    effective_from TEXT NOT NULL,  -- ISO date, inclusive
    effective_to TEXT,             -- ISO date, inclusive; NULL = until further notice
    data TEXT NOT NULL,            -- JSON object of scalars
    PRIMARY KEY (kind, version, code, effective_from)
) STRICT, WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class StoredVersion:
    kind: BundleKind
    version: int
    digest: str
    row_count: int
    role: str


class BundleStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    # ---- versions -----------------------------------------------------------------------------

    def version(self, kind: BundleKind, role: str = "current") -> StoredVersion | None:
        row = self._db.execute(
            "SELECT version, digest, row_count FROM bundle_version WHERE kind = ? AND role = ?",
            (kind.value, role),
        ).fetchone()
        return StoredVersion(kind, row[0], row[1], row[2], role) if row else None

    def versions(self) -> dict[str, int]:
        """Current version of every kind the box holds (for the reported state)."""
        rows = self._db.execute(
            "SELECT kind, version FROM bundle_version WHERE role = 'current' ORDER BY kind"
        ).fetchall()
        return {kind: version for kind, version in rows}

    def rows(self, kind: BundleKind, version: int) -> list[BundleRow]:
        cur = self._db.execute(
            "SELECT code, effective_from, effective_to, data FROM bundle_row"
            " WHERE kind = ? AND version = ? ORDER BY code, effective_from",
            (kind.value, version),
        )
        return [_row(r) for r in cur]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` transaction under the store's lock; rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def apply(self, header: BundleHeader, delta: BundleDelta) -> StoredVersion:
        """Make ``header.version`` current (see the module docstring); refusals are typed."""
        kind = header.kind
        with self._transaction():
            current = self.version(kind)
            if current is not None and header.version <= current.version:
                raise BundleOutdated(
                    kind=kind.value, version=header.version, current=current.version
                )
            if header.is_delta and (
                current is None
                or current.version != header.base_version
                or current.digest != header.base_digest
            ):
                raise BundleBaseMismatch(
                    kind=kind.value,
                    base=header.base_version,
                    current=current.version if current else 0,
                )
            self._write_version(header, delta, current if header.is_delta else None)
            found, count = self._digest(kind, header.version)
            if found != header.target_digest or count != header.row_count:
                raise BundleDigestMismatch(kind=kind.value, version=header.version)
            self._swap(header, count)
        stored = self.version(kind)
        assert stored is not None
        return stored

    def _write_version(
        self, header: BundleHeader, delta: BundleDelta, base: StoredVersion | None
    ) -> None:
        """Rows of the new version: a copy of ``base`` inside SQLite, minus the delta's deleted
        and replaced keys, plus its upserts (no row of the base passes through Python)."""
        kind, version, db = header.kind.value, header.version, self._db
        db.execute("DELETE FROM bundle_row WHERE kind = ? AND version = ?", (kind, version))
        if base is not None:
            db.execute(
                "INSERT INTO bundle_row SELECT kind, ?, code, effective_from, effective_to, data"
                " FROM bundle_row WHERE kind = ? AND version = ?",
                (version, kind, base.version),
            )
            gone = [*delta.deletes, *(r.key for r in delta.upserts)]
            db.executemany(
                "DELETE FROM bundle_row WHERE kind = ? AND version = ? AND code = ?"
                " AND effective_from = ?",
                [(kind, version, code, start.isoformat()) for code, start in gone],
            )
        db.executemany(
            "INSERT INTO bundle_row VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    kind,
                    version,
                    r.code,
                    r.effective_from.isoformat(),
                    r.effective_to.isoformat() if r.effective_to else None,
                    data_json(r.data),
                )
                for r in delta.upserts
            ],
        )

    def _digest(self, kind: BundleKind, version: int) -> tuple[str, int]:
        cur = self._db.execute(
            "SELECT code, effective_from, effective_to, data FROM bundle_row"
            " WHERE kind = ? AND version = ? ORDER BY code, effective_from",
            (kind.value, version),
        )
        count = 0

        def lines() -> Iterator[bytes]:
            nonlocal count
            for code, start, end, data in cur:
                count += 1
                yield canonical_line(code, start, end, data)

        return digest_lines(lines()), count

    def _swap(self, header: BundleHeader, count: int) -> None:
        kind = header.kind.value
        db = self._db
        db.execute(
            "DELETE FROM bundle_row WHERE kind = ? AND version IN"
            " (SELECT version FROM bundle_version WHERE kind = ? AND role = 'previous')",
            (kind, kind),
        )
        db.execute("DELETE FROM bundle_version WHERE kind = ? AND role = 'previous'", (kind,))
        db.execute(
            "UPDATE bundle_version SET role = 'previous' WHERE kind = ? AND role = 'current'",
            (kind,),
        )
        db.execute(
            "INSERT INTO bundle_version VALUES (?, ?, ?, ?, 'current', ?)",
            (kind, header.version, header.target_digest, count, datetime.now(UTC).isoformat()),
        )

    def revert(self, kind: BundleKind) -> StoredVersion:
        """Make the previous version current again (operator action); one transaction."""
        with self._transaction():
            previous = self.version(kind, "previous")
            if previous is None:
                raise BundleBaseMismatch(kind=kind.value, base=None, current=0)
            # Swap the two roles: delete both rows and insert them back swapped (the
            # unique (kind, role) index is checked per row, so an UPDATE cannot swap).
            k = kind.value
            rows = self._db.execute(
                "SELECT kind, version, digest, row_count, role, applied_at"
                " FROM bundle_version WHERE kind = ?",
                (k,),
            ).fetchall()
            self._db.execute("DELETE FROM bundle_version WHERE kind = ?", (k,))
            swap = {"current": "previous", "previous": "current"}
            self._db.executemany(
                "INSERT INTO bundle_version VALUES (?, ?, ?, ?, ?, ?)",
                [(*r[:4], swap[r[4]], r[5]) for r in rows],
            )
        stored = self.version(kind)
        assert stored is not None
        return stored

    # ---- lookups ------------------------------------------------------------------------------

    def editions(self, kind: BundleKind, code: str) -> list[BundleRow]:
        """Every effective-dated row of ``code`` in the current version of ``kind``."""
        cur = self._db.execute(
            "SELECT r.code, r.effective_from, r.effective_to, r.data FROM bundle_row r"
            " JOIN bundle_version v ON v.kind = r.kind AND v.version = r.version"
            " WHERE r.kind = ? AND v.role = 'current' AND r.code = ? ORDER BY r.effective_from",
            (kind.value, code),
        )
        return [_row(r) for r in cur]

    def lookup(self, kind: BundleKind, code: str, on: date) -> BundleRow:
        """The row of ``code`` in force on ``on``; ``NoRuleInForce`` when none is."""
        return in_force_row(self.editions(kind, code), on, rule=f"{kind.value}:{code}")

    def price(self, code: str, on: date) -> Decimal:
        """The NHI drug price of ``code`` on ``on`` from the current drug-price bundle."""
        return Decimal(str(self.lookup(BundleKind.DRUG_PRICES, code, on).data["price"]))


def _row(r: tuple[str, str, str | None, str]) -> BundleRow:
    return BundleRow(
        code=r[0],
        effective_from=date.fromisoformat(r[1]),
        effective_to=date.fromisoformat(r[2]) if r[2] else None,
        data=json.loads(r[3]),
    )
