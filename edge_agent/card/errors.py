"""Typed errors of the card path; pyscard and card status words are translated into these.

    DeviceError (clinicbox_core.errors)
    ├── CardReadError        one card could not be read; ``reason`` says why (CardReadReason)
    └── PcscUnavailable      no PC/SC service to talk to (pcscd stopped or not installed)

Decisions read ``reason`` (or ``message_key``, which is ``error.card.<reason>``), never the text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from clinicbox_core.errors import DeviceError


class CardReadReason(StrEnum):
    """Why a card produced no CardInserted."""

    NOT_NHI_CARD = "not_nhi_card"
    """The card has no NHI application (a bank card, a staff badge...)."""
    READ_FAILED = "read_failed"
    """An NHI card that answered with an error or malformed data, or the reader failed."""
    REMOVED_DURING_READ = "removed_during_read"
    """The card left the reader before the basic data was read."""


class CardReadError(DeviceError):
    """A card in ``params['reader']`` could not be read; ``sw`` is the status word if any."""

    def __init__(self, reason: CardReadReason, /, **params: Any) -> None:
        self.reason = reason
        super().__init__(f"error.card.{reason.value}", **params)


class PcscUnavailable(DeviceError):
    """The PC/SC service does not answer; the monitor keeps retrying."""

    default_key = "error.card.pcsc_unavailable"
