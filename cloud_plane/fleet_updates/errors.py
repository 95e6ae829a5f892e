"""Errors of publishing and rolling out.

ClinicboxError
├── NotFound        rollout / bundle version / software version unknown (404)
├── Conflict        rollout state does not allow the action (409)
└── SigningKeyMissing (ValidationFailed)  no signing key configured (400)
"""

from __future__ import annotations

from clinicbox_core.errors import ValidationFailed


class SigningKeyMissing(ValidationFailed):
    default_key = "error.fleet.no_signing_key"
