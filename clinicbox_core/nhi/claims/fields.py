"""One declaration per claims field: the pydantic field *is* the spec row.

Each model field of the claims models (model.py, model_pharmacy.py) is declared with
:func:`spec`, which records the spec table's 中文名稱, 長度 (width, a maximum), 屬性 (``X`` text,
``9`` number; ``dec`` is a ``9`` field whose spec demands a decimal point), whether the row is
marked ``＊`` (always required), the text format (ROC date, ROC date-time, ROC year-month) and the
page of the spec. :func:`specs_of` reads them back in declaration order, which is the element
order of the XML. Writer, parser, validator and comparison all work from that one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["FieldSpec", "Fmt", "Kind", "spec", "specs_of"]

Kind = Literal["X", "9", "dec"]
Fmt = Literal["", "date", "birth", "datetime", "month", "id", "code"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One row of a spec table."""

    id: str  # element name, e.g. "d39"
    zh: str  # 資料名稱
    width: int  # 長度 (maximum; Big5 bytes for text)
    kind: Kind
    required: bool  # ＊ in the spec (△ = required when the service exists)
    decimals: int  # digits after the point for ``dec`` fields
    fmt: Fmt  # date YYYMMDD, birth (may be negative), datetime YYYMMDDHHMM, month YYYMM, id
    page: str  # where the row is in the spec text


def spec(
    zh: str,
    width: int,
    kind: Kind = "X",
    *,
    required: bool = False,
    decimals: int = 0,
    fmt: Fmt = "",
    page: str = "",
) -> Any:
    """A pydantic ``Field`` (default ``None``) carrying one spec row (see :class:`FieldSpec`)."""
    return Field(
        default=None,
        description=f"{zh} ({'＊' if required else '△'} {kind}{width}{', ' + page if page else ''})",  # noqa: E501
        json_schema_extra={
            "claims": {
                "zh": zh,
                "width": width,
                "kind": kind,
                "required": required,
                "decimals": decimals,
                "fmt": fmt,
                "page": page,
            }
        },
    )


@cache
def specs_of(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """The spec rows of ``model`` in declaration (= XML element) order."""
    rows: list[FieldSpec] = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra
        if not isinstance(extra, dict) or "claims" not in extra:
            continue
        row = extra["claims"]
        assert isinstance(row, dict)
        rows.append(
            FieldSpec(
                id=name,
                zh=str(row["zh"]),
                width=int(str(row["width"])),
                kind=row["kind"],  # type: ignore[arg-type]
                required=bool(row["required"]),
                decimals=int(str(row["decimals"])),
                fmt=row["fmt"],  # type: ignore[arg-type]
                page=str(row["page"]),
            )
        )
    return tuple(rows)
