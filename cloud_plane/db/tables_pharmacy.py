"""Pharmacy tables: received prescriptions and their fills, drug stock by lot, refill reminders.

pharmacy_rx        → MedicationRequest group (the slip as received: 原處方 institution, date,
                     doctor, 案件分類, chronic fills allowed); ``slip_key`` makes a second scan
                     of the same slip find the first
pharmacy_rx_items  → MedicationRequest (one drug line of the slip, quantity per fill)
pharmacy_fills     → MedicationDispense (fill n of a slip; its visit row carries the orders,
                     the bill and the print jobs, so billing, printing, reports and claims
                     reuse the clinic path)
stock_lots         → one lot of one drug: lot number, expiry, quantity on hand, unit cost
stock_moves        → append-only ledger: receipt (+), dispense (−), adjust (±, with reason);
                     on_hand of a lot always equals the sum of its moves
stock_levels       → the reorder level of a drug (low-stock list)
refill_reminders   → one row per (slip, fill) reminded, so a restart never reminds twice
pharmacy_hours     → Schedule: a weekday's opening period, cut into pick-up slots with a limit
pickup_bookings    → Appointment: a patient's chosen pick-up slot for the next fill of a slip
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cloud_plane.db.metadata import metadata
from cloud_plane.db.types import DecimalText, UtcDateTime

RX_SOURCES = ("qr", "card", "typed")
MOVE_KINDS = ("receipt", "dispense", "adjust")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


pharmacy_rx = Table(
    "pharmacy_rx",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("patient_id", ForeignKey("patients.id"), nullable=False),
    Column("slip_key", String(80), nullable=False),
    Column("source", String(8), nullable=False),
    Column("origin_nhi_code", String(10), nullable=False),  # d21 原處方服務機構代號
    Column("origin_case_type", String(2), nullable=False),  # d22 原處方服務機構之案件分類
    Column("origin_seq", String(4), nullable=True),  # d43 原處方就醫序號
    Column("department", String(2), nullable=True),  # d13 就醫科別
    Column("prescribed_on", Date, nullable=False),  # d14 就醫(處方)日期
    Column("doctor_id_no", String(10), nullable=True),  # d24 診治醫師代號
    Column("diagnoses", JSON, nullable=False),  # d8-d12, ICD-10-CM without the dot
    Column("chronic", Boolean, nullable=False),
    Column("fills_allowed", Integer, nullable=False),  # d36 連續處方可調劑次數 (1 when not chronic)
    Column("days", Integer, nullable=False),  # 給藥日份 of one fill
    Column("created_by", ForeignKey("staff.id"), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "slip_key", name="uq_pharmacy_rx_slip"),
    CheckConstraint(_in("source", RX_SOURCES), name="source"),
    CheckConstraint("fills_allowed BETWEEN 1 AND 3", name="fills_allowed"),
)
Index("ix_pharmacy_rx_patient", pharmacy_rx.c.patient_id)

pharmacy_rx_items = Table(
    "pharmacy_rx_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("rx_id", ForeignKey("pharmacy_rx.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("code", String(12), nullable=False),
    Column("dose", DecimalText, nullable=True),
    Column("frequency", String(12), nullable=True),
    Column("route", String(12), nullable=True),
    Column("days", Integer, nullable=False),
    Column("total_quantity", DecimalText, nullable=False),  # per fill
    UniqueConstraint("rx_id", "ordinal", name="uq_pharmacy_rx_items_ordinal"),
)

pharmacy_fills = Table(
    "pharmacy_fills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("rx_id", ForeignKey("pharmacy_rx.id"), nullable=False),
    Column("fill_no", Integer, nullable=False),  # d35 連續處方箋調劑序號
    Column("visit_id", ForeignKey("visits.id"), nullable=False, unique=True),
    Column("dispensed_on", Date, nullable=False),  # d23 調劑日期 (Asia/Taipei day)
    Column("pharmacist_id", ForeignKey("staff.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("rx_id", "fill_no", name="uq_pharmacy_fills_fill"),
)
Index("ix_pharmacy_fills_tenant_day", pharmacy_fills.c.tenant_id, pharmacy_fills.c.dispensed_on)

stock_lots = Table(
    "stock_lots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("code", String(12), nullable=False),
    Column("lot_no", String(40), nullable=False),
    Column("expiry", Date, nullable=False),
    Column("on_hand", DecimalText, nullable=False),
    Column("unit_cost", DecimalText, nullable=False),  # 元 per unit, as invoiced
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "code", "lot_no", name="uq_stock_lots_lot"),
)
Index("ix_stock_lots_tenant_code", stock_lots.c.tenant_id, stock_lots.c.code)

stock_moves = Table(
    "stock_moves",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("lot_id", ForeignKey("stock_lots.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("quantity", DecimalText, nullable=False),  # signed: + in, − out
    Column("reason", Text, nullable=False, default=""),
    Column("override", Boolean, nullable=False, default=False),  # allowed below zero
    Column("visit_id", ForeignKey("visits.id"), nullable=True),
    Column("staff_id", ForeignKey("staff.id"), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint(_in("kind", MOVE_KINDS), name="kind"),
)
Index("ix_stock_moves_lot", stock_moves.c.lot_id)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("tenant_id", ForeignKey("tenants.id"), primary_key=True),
    Column("code", String(12), primary_key=True),
    Column("reorder_level", DecimalText, nullable=False),
)

refill_reminders = Table(
    "refill_reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("rx_id", ForeignKey("pharmacy_rx.id"), nullable=False),
    Column("fill_no", Integer, nullable=False),
    Column("channel", String(8), nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
    UniqueConstraint("rx_id", "fill_no", name="uq_refill_reminders_fill"),
)

PICKUP_STATUSES = ("booked", "cancelled")

pharmacy_hours = Table(
    "pharmacy_hours",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday (date.weekday())
    Column("opens", String(5), nullable=False),  # "09:00", Asia/Taipei
    Column("closes", String(5), nullable=False),  # "12:00"
    Column("slot_minutes", Integer, nullable=False),
    Column("slot_limit", Integer, nullable=False),  # pick-ups accepted per slot
    UniqueConstraint("tenant_id", "weekday", "opens", name="uq_pharmacy_hours_period"),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
)

pickup_bookings = Table(
    "pickup_bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("rx_id", ForeignKey("pharmacy_rx.id"), nullable=False),
    Column("fill_no", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("at", String(5), nullable=False),  # slot start, "09:30"
    Column("national_id", String(10), nullable=False),
    Column("name", String(64), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    CheckConstraint(_in("status", PICKUP_STATUSES), name="status"),
)
Index("ix_pickup_bookings_tenant_day", pickup_bookings.c.tenant_id, pickup_bookings.c.day)
Index("ix_pickup_bookings_rx", pickup_bookings.c.rx_id, pickup_bookings.c.fill_no)
