"""The box's clinic database encrypted at rest with SQLCipher 4 (``sqlcipher3-binary``).

Why SQLCipher rather than field-level AES-GCM: the box runs the cloud's own services against
its copy (same schema, same queries), and those search on names, ID numbers, phones and
birthdays, and enforce unique keys; encrypted columns would break every one of them or need a
second set of queries. SQLCipher encrypts every page (AES-256, HMAC per page) below SQLite, so
the services see plain SQLite. The key is a random 32-byte value kept in its own file
(:func:`load_or_create_key`, mode 0600, outside the data directory by default), never in the
database; losing it makes the working set unreadable, which only costs a rebuild from the
cloud. Offline records not yet sent also live in the outbox (not encrypted: see
docs/continuity.md, limits).

SQLAlchemy has an async SQLite dialect (aiosqlite) and a sync SQLCipher one (pysqlcipher), but
no async SQLCipher one: :class:`SQLiteDialect_aiosqlcipher` is the aiosqlite dialect whose
connections are opened by ``sqlcipher3`` (key set before any other statement) and whose DB-API
error classes are ``sqlcipher3``'s, so ``IntegrityError`` and friends are translated as usual.
URLs: ``sqlite+aiosqlcipher:///path?cipher_key_file=/path/key`` (async, the services) and
``sqlite+pysqlcipher://:<key>@/path`` (sync, Alembic).
"""

from __future__ import annotations

import os
import secrets
import types
from pathlib import Path
from typing import Any

import aiosqlite
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

KEY_BYTES = 32
_ERRORS = (
    "DatabaseError",
    "Error",
    "IntegrityError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "InterfaceError",
    "InternalError",
    "DataError",
    "Warning",
)


def load_or_create_key(path: Path) -> str:
    """The hex key in ``path``; a new random one (file mode 0600) when the file is absent."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key


def open_raw(database: str, key: str, **kwargs: Any) -> Any:
    """A ``sqlcipher3`` connection with the key applied (the first statement on it)."""
    conn = sqlcipher.connect(database, **kwargs)
    conn.execute(f"PRAGMA key = \"x'{_checked(key)}'\"")
    return conn


def _checked(key: str) -> str:
    if len(key) != 2 * KEY_BYTES or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("the continuity key must be 64 lower-case hex digits")
    return key


def _connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
    key_file = kwargs.pop("cipher_key_file")
    key = Path(key_file).read_text(encoding="ascii").strip()
    kwargs.setdefault("check_same_thread", False)
    return aiosqlite.Connection(lambda: open_raw(database, key, **kwargs), iter_chunk_size=64)


def _module() -> types.ModuleType:
    """aiosqlite's API with sqlcipher3's error classes (what the SQLAlchemy adapter reads)."""
    mod = types.ModuleType("aiosqlcipher")
    mod.Connection = aiosqlite.Connection  # type: ignore[attr-defined]
    mod.connect = _connect  # type: ignore[attr-defined]
    mod.__version__ = aiosqlite.__version__  # type: ignore[attr-defined]
    for name in (*_ERRORS, "sqlite_version", "sqlite_version_info"):
        setattr(mod, name, getattr(sqlcipher, name))
    return mod


class SQLiteDialect_aiosqlcipher(SQLiteDialect_aiosqlite):
    driver = "aiosqlcipher"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return AsyncAdapt_aiosqlite_dbapi(_module(), sqlcipher)

    def create_connect_args(self, url: Any) -> Any:
        key_file = url.query.get("cipher_key_file")
        args, opts = super().create_connect_args(url.difference_update_query(["cipher_key_file"]))
        if key_file:
            opts["cipher_key_file"] = key_file
        return args, opts


registry.register("sqlite.aiosqlcipher", __name__, "SQLiteDialect_aiosqlcipher")


def async_url(path: Path, key_file: Path) -> str:
    return f"sqlite+aiosqlcipher:///{path}?cipher_key_file={key_file}"


def sync_url(path: Path, key: str) -> str:
    return f"sqlite+pysqlcipher://:x'{_checked(key)}'@/{path}"
