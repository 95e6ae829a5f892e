"""Pure rules of a pharmacy (特約藥局) and of a clinic's own dispensary: 慢箋 refill windows and
their reminders, and first-expiry-first-out stock allocation. No I/O (tests/core/test_purity.py).
"""

from clinicbox_core.pharmacy.fefo import (
    InsufficientStock,
    LotBalance,
    LotTake,
    allocate_fefo,
)
from clinicbox_core.pharmacy.refill import (
    REFILL_RULE,
    RefillWindow,
    RefillWindowError,
    check_refill_date,
    refill_window,
)
from clinicbox_core.pharmacy.reminders import RefillDue, due_reminders

__all__ = [
    "REFILL_RULE",
    "InsufficientStock",
    "LotBalance",
    "LotTake",
    "RefillDue",
    "RefillWindow",
    "RefillWindowError",
    "allocate_fefo",
    "check_refill_date",
    "due_reminders",
    "refill_window",
]
