"""Staff roles and what each may do: agents, supervisors, technicians, managers.

Every person who logs in to the back end's pages has an account in the
``agents`` table (one login, one password policy, one lockout) and one or more
roles. A page or socket asks for a :class:`Permission`, never for a role, so
the table below is the single place that says who may do what, and each role
gets what its work needs and nothing more:

- an **agent** takes calls at the console;
- a **supervisor** takes calls too, watches the fleet and reads the figures
  (to staff the queues), but changes nothing on a kiosk;
- a **technician** watches the fleet, sends kiosks commands and revokes a
  stolen kiosk's credential, but sees no calls and no figures;
- a **manager** reads the figures and sets the cost inputs, and nothing else;
- supervisors and managers read the audit log (they answer for the staff).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """A staff member's job."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    TECHNICIAN = "technician"
    MANAGER = "manager"


class Permission(StrEnum):
    """One thing a page or socket lets its user do."""

    TAKE_CALLS = "take_calls"
    VIEW_FLEET = "view_fleet"
    COMMAND_KIOSKS = "command_kiosks"
    VIEW_ANALYTICS = "view_analytics"
    SET_COSTS = "set_costs"
    # Security (issue #8): cutting a kiosk off, and reading who did what.
    REVOKE_KIOSKS = "revoke_kiosks"
    READ_AUDIT = "read_audit"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({Permission.TAKE_CALLS}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.TAKE_CALLS,
            Permission.VIEW_FLEET,
            Permission.VIEW_ANALYTICS,
            Permission.READ_AUDIT,
        }
    ),
    Role.TECHNICIAN: frozenset(
        {Permission.VIEW_FLEET, Permission.COMMAND_KIOSKS, Permission.REVOKE_KIOSKS}
    ),
    Role.MANAGER: frozenset(
        {Permission.VIEW_ANALYTICS, Permission.SET_COSTS, Permission.READ_AUDIT}
    ),
}

# Where a form login lands, by the first permission the account has.
HOME_PAGES: tuple[tuple[Permission, str], ...] = (
    (Permission.TAKE_CALLS, "/console/"),
    (Permission.VIEW_FLEET, "/fleet/"),
    (Permission.VIEW_ANALYTICS, "/analytics/"),
)


def parse_roles(text: str) -> frozenset[Role]:
    """Roles from their comma-separated names; :class:`ValueError` names a bad one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError("at least one role is needed (agent, supervisor, technician, manager)")
    roles = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise ValueError(f"unknown role {name!r}: use {known}") from None
    return frozenset(roles)


def format_roles(roles: Iterable[Role]) -> str:
    """The stored form of ``roles``: names in a fixed order, comma-separated."""
    chosen = set(roles)
    return ",".join(role.value for role in Role if role in chosen)
