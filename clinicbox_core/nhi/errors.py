"""Typed errors raised by the NHI rule modules.

Every error is a :class:`clinicbox_core.errors.ValidationFailed` (HTTP 400) so a web handler can
show it next to the field named in ``params['field']``.

    ValidationFailed
    ├── InvalidIdNumber     a national ID / resident certificate number fails a check
    ├── UnknownCode         a code is not in the NHI code table it should come from
    └── NoRuleInForce       no row of an effective-dated rule table covers the date asked
"""

from __future__ import annotations

from clinicbox_core.errors import ValidationFailed

__all__ = ["InvalidIdNumber", "NoRuleInForce", "UnknownCode"]


class InvalidIdNumber(ValidationFailed):
    """``params``: ``field``, ``reason`` (format | sex_digit | check_digit)."""

    default_key = "error.nhi.invalid_id_number"


class UnknownCode(ValidationFailed):
    """``params``: ``field`` and ``code``: the value that is not in the table."""

    default_key = "error.nhi.unknown_code"


class NoRuleInForce(ValidationFailed):
    """``params``: ``rule`` (the table's name) and ``on`` (ISO date) that no row covers."""

    default_key = "error.nhi.no_rule_in_force"
