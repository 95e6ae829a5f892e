"""Online booking (public, no staff login): a clinic's doctor sessions, a patient's identity by
ID number + birthday + one-time code, booking a number with an estimated time, cancelling, the
front desk's check-in, and no-show tracking.

Extension point for pharmacies (chronic-refill pick-up, issue 6 §4): ``bookings.kind`` already
admits ``"refill_pickup"``; a pharmacy flow adds its own slot source next to :mod:`.slots` and
books with ``kind="refill_pickup"``; identity, reminders (:mod:`cloud_plane.notify.scheduler`),
cancelling and no-show tracking work on every kind unchanged.
"""
