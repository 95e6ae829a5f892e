"""NHI cards in PC/SC readers: watch the readers, read the basic data, report events.

``CardService(settings, on_event, on_error=None)`` is the entry point; ``run()`` until
``stop()``. Everything under it: ``monitor`` (reader thread), ``reader`` (pyscard boundary),
``apdu`` (the pure NHI exchange), ``errors``.
"""

from __future__ import annotations

from edge_agent.card.errors import CardReadError, CardReadReason, PcscUnavailable
from edge_agent.card.service import CardEvent, CardService, OnError, OnEvent

__all__ = [
    "CardEvent",
    "CardReadError",
    "CardReadReason",
    "CardService",
    "OnError",
    "OnEvent",
    "PcscUnavailable",
]
