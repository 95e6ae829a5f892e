"""Global reference data (not per tenant): NHI drug codes with prices, fee codes, ICD-10-CM, ATC.

Rows carry their effective dates because NHI prices and points change over time: a lookup is
always "as of" a date. ``demo_value`` marks values that are not from a published NHI source.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, String, Table

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import DecimalText

# NHI drug codes (健保用藥品項). The public source has code + English name only; price and
# Chinese name come from the demo seed and are flagged demo_value.
drugs = Table(
    "drugs",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("effective_to", Date, nullable=True),  # inclusive; NULL = still valid
    Column("name_en", String(300), nullable=False),
    Column("name_zh", String(200), nullable=True),
    Column("price_points", DecimalText, nullable=True),  # 支付價 in points per unit
    Column("source_note", String(200), nullable=False),
    Column("demo_value", Boolean, nullable=False, default=False),
    Column("atc_code", String(8), nullable=True),  # from the 20-column price list (ATC代碼)
)

# ATC codes used in Taiwan (TFDA list as published in TW Core), with English names.
atc_codes = Table(
    "atc_codes",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("name_en", String(300), nullable=False),
    Column("code_system", String(200), nullable=False),
)

# NHI medical service fee schedule (支付標準). ``schedule`` names the edition, e.g. 106.05.01.
fee_codes = Table(
    "fee_codes",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("effective_to", Date, nullable=True),
    Column("points", Integer, nullable=False),
    Column("name_zh", String(500), nullable=False),
    Column("name_en", String(300), nullable=True),
    Column("schedule", String(20), nullable=False),
)

# ICD-10-CM 2023 Taiwan edition; only billable (leaf) codes may be put on a claim.
icd10 = Table(
    "icd10",
    metadata,
    Column("code", String(10), primary_key=True),  # with the dot, e.g. E11.9
    Column("name_en", String(300), nullable=False),
    Column("name_zh", String(300), nullable=False),
    Column("billable", Boolean, nullable=False),
)

# NHI Chinese herbal medicine codes (中藥用藥品項, 單方 113.06.01 / 複方 113.04.01): code and
# zh name only. TCM clinics claim herbs through the 每日藥費 (A21), so no price is needed.
herbs = Table(
    "herbs",
    metadata,
    Column("code", String(12), primary_key=True),
    Column("name_zh", String(200), nullable=False),
)
