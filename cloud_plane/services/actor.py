"""Who is calling a service: tenant, staff member (or box) and roles, plus the role check."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from clinicbox_core.errors import Forbidden

__all__ = ["Actor", "Role", "require_role"]


class Role(StrEnum):
    FRONT_DESK = "front_desk"  # 櫃台: registration, billing, receipts
    DOCTOR = "doctor"  # 醫師: consultation
    PHARMACIST = "pharmacist"  # 藥師: dispensing, drug bags
    CLINIC_ADMIN = "clinic_admin"  # 院所管理者: settings, audit trail
    SYSTEM = "system"  # a box acting without a person (card check-in, print results)


STAFF_ROLES = frozenset({Role.FRONT_DESK, Role.DOCTOR, Role.PHARMACIST, Role.CLINIC_ADMIN})


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a service. ``staff_id`` is None for a box (then ``box_id`` is set)."""

    tenant_id: int
    staff_id: int | None
    roles: frozenset[Role] = field(default_factory=frozenset)
    box_id: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)


def require_role(actor: Actor, *allowed: Role) -> None:
    """Raise ``Forbidden`` unless the actor holds one of ``allowed``."""
    if not actor.has(*allowed):
        raise Forbidden("error.forbidden.role", required=[r.value for r in allowed])
