"""Front-desk day and online booking tables: doctor sessions, bookings, one-time codes, calling,
退掛 records and the daily close-out (日結).

    doctor_sessions    → Schedule + Slot template (a doctor's weekly 早/午/晚診 with its limits)
    bookings           → Appointment (kind "visit"; "refill_pickup" is reserved for pharmacies)
    booking_identities → a patient's proof (ID number + birthday + one-time code) for the public
                         pages; the cookie holds a random token whose SHA-256 is stored here
    queue_calls        → the number each doctor's session has called (叫號), one row per session
    visit_cancellations→ what a 退掛 did to the NHI 就醫序號 (returned, moved to a new visit)
    closeouts          → one 日結 per clinic day: expected and counted cash

Booking numbers come from the same counter as walk-in 看診號, so a booked number is the number
the visit gets at check-in. Reminder state lives on the booking row: the scheduler derives what
is due from the database, so it survives restarts.
"""

from __future__ import annotations

from sqlalchemy import (
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
from cloud_plane.db.types import UtcDateTime

BOOKING_KINDS = ("visit", "refill_pickup")
BOOKING_STATUSES = ("booked", "cancelled", "checked_in", "no_show")
REMINDER_STATES = ("pending", "sending", "sent", "failed", "none")
CHANNELS = ("email", "sms", "line")
SEQ_ACTIONS = ("none", "return_due", "moved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


doctor_sessions = Table(
    "doctor_sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("doctor_id", ForeignKey("staff.id"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday (date.weekday())
    Column("session", String(10), nullable=False),  # morning / afternoon / evening
    Column("starts_at", String(5), nullable=False),  # "08:30", Asia/Taipei
    Column("ends_at", String(5), nullable=False),  # "12:00"; after it unchecked bookings no-show
    Column("minutes_per_patient", Integer, nullable=False),  # for the estimated time
    Column("online_limit", Integer, nullable=False),  # bookings accepted online per session
    Column("active", Boolean, nullable=False, default=True),
    UniqueConstraint("tenant_id", "doctor_id", "weekday", "session", name="uq_doctor_sessions"),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    CheckConstraint(_in("session", ("morning", "afternoon", "evening")), name="session"),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("doctor_id", ForeignKey("staff.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("session", String(10), nullable=False),
    Column("number", Integer, nullable=False),  # the 看診號 reserved for this booking
    Column("national_id", String(10), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("name", String(64), nullable=False),
    Column("channel", String(8), nullable=False),  # how reminders reach the patient
    Column("contact", String(200), nullable=False),  # e-mail address, phone, LINE user id
    Column("expected_at", UtcDateTime, nullable=False),  # estimated time, shown and reminded
    Column("ends_at", UtcDateTime, nullable=False),  # session end: unchecked after it = no-show
    Column("status", String(12), nullable=False),
    Column("visit_id", ForeignKey("visits.id"), nullable=True),  # set at check-in
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("reminder_state", String(8), nullable=False),
    Column("reminder_claimed_at", UtcDateTime, nullable=True),  # a scheduler is sending it
    Column("reminder_sent_at", UtcDateTime, nullable=True),
    Column("reminder_attempts", Integer, nullable=False, default=0),
    Column("reminder_error", String(200), nullable=True),
    UniqueConstraint("tenant_id", "day", "doctor_id", "session", "number", name="uq_bookings_no"),
    CheckConstraint(_in("kind", BOOKING_KINDS), name="kind"),
    CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
    CheckConstraint(_in("reminder_state", REMINDER_STATES), name="reminder_state"),
    CheckConstraint(_in("channel", CHANNELS), name="channel"),
)
Index("ix_bookings_tenant_day", bookings.c.tenant_id, bookings.c.day)
Index("ix_bookings_patient", bookings.c.tenant_id, bookings.c.national_id)
Index("ix_bookings_reminder", bookings.c.reminder_state, bookings.c.expected_at)

booking_identities = Table(
    "booking_identities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("national_id", String(10), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("name", String(64), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("code_hash", String(64), nullable=False),  # SHA-256 of the one-time code
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 of the cookie
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("code_expires_at", UtcDateTime, nullable=False),
    Column("verified_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=False),  # the verified identity's lifetime
    CheckConstraint(_in("channel", CHANNELS), name="channel"),
)

queue_calls = Table(
    "queue_calls",
    metadata,
    Column("tenant_id", ForeignKey("tenants.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("doctor_id", ForeignKey("staff.id"), primary_key=True),
    Column("session", String(10), primary_key=True),
    Column("visit_id", ForeignKey("visits.id"), nullable=True),
    Column("number", Integer, nullable=False),
    Column("called_at", UtcDateTime, nullable=False),
)

visit_cancellations = Table(
    "visit_cancellations",
    metadata,
    Column("visit_id", ForeignKey("visits.id"), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("cancelled_by", ForeignKey("staff.id"), nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=False),
    Column("nhi_seq", String(4), nullable=True),  # the 就醫序號 the visit held
    Column("seq_action", String(12), nullable=False),
    Column("new_visit_id", ForeignKey("visits.id"), nullable=True),  # 改掛: the visit it became
    CheckConstraint(_in("seq_action", SEQ_ACTIONS), name="seq_action"),
)

closeouts = Table(
    "closeouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("visits", Integer, nullable=False),
    Column("registration_fees", Integer, nullable=False),
    Column("copay", Integer, nullable=False),
    Column("self_pay", Integer, nullable=False),
    Column("expected_cash", Integer, nullable=False),  # sum of what was paid at the counter
    Column("counted_cash", Integer, nullable=False),
    Column("difference", Integer, nullable=False),  # counted - expected
    Column("note", Text, nullable=False, default=""),
    Column("closed_by", ForeignKey("staff.id"), nullable=True),
    Column("closed_at", UtcDateTime, nullable=False),
    UniqueConstraint("tenant_id", "day", name="uq_closeouts_tenant_day"),
)
