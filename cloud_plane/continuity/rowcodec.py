"""Table rows to JSON objects and back, for the working set and continuity records.

Rows travel as ``{column: value}`` with dates and instants as ISO 8601 text and decimals as
text; :func:`decode` turns such an object back into the Python values the table's column types
take, ignoring columns the table does not have (a newer sender) and leaving absent ones out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Table

from cloud_plane.db.types import DecimalText, UtcDateTime

JsonRow = dict[str, Any]


def encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def encode(row: Mapping[Any, Any]) -> JsonRow:
    return {str(key): encode_value(value) for key, value in row.items()}


def _decode_value(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, UtcDateTime | DateTime):
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(column_type, Date):
        return date.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(column_type, DecimalText):
        return Decimal(str(value))
    if isinstance(column_type, Boolean):
        return bool(value)
    if isinstance(column_type, Integer) and isinstance(value, str):
        return int(value)
    return value


def decode(table: Table, data: Mapping[str, Any]) -> JsonRow:
    """``data`` as bind values for ``table`` (unknown keys dropped)."""
    out: JsonRow = {}
    for column in table.columns:
        if column.name in data:
            out[column.name] = _decode_value(column.type, data[column.name])
    return out


#: Keys left out of digests: ids and links differ between the box and the cloud by design.
DIGEST_SKIP = frozenset({"id", "visit_id", "tenant_id", "patient_id", "updated_at"})


def digest(*parts: JsonRow | list[JsonRow] | None) -> str:
    """A stable digest of rows in JSON form (ids, links and ``updated_at`` left out)."""

    def strip(row: JsonRow) -> JsonRow:
        return {k: v for k, v in row.items() if k not in DIGEST_SKIP}

    body: list[Any] = []
    for part in parts:
        if part is None:
            body.append(None)
        elif isinstance(part, list):
            body.append(
                sorted((strip(r) for r in part), key=lambda r: json.dumps(r, sort_keys=True))
            )
        else:
            body.append(strip(part))
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
