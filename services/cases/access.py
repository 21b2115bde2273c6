"""Who may read and write a case's documentation: pure rules over the caller and the people
the directory puts on the case.

- managers: the manager the trigger named, and whoever manages the workplace now (a new manager
  takes the case over). Not the deputy: the documentation is health data, and the sources
  name the nearest manager for these talks.
- HR: the department's HR specialist (the directory), or an HR token whose departments claim
  holds the case's department.
- rehab: the rehab coordinator on the case: its owner once one took it; before that the
  coordinators the directory names for the department (or for everyone), and only when the
  trigger named rehab among its recipients (an omtankesamtal is the manager's and the
  employee's, not the rehab coordinator's).
- everyone else (nurses, crisis team, admins): no case at all.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from halsosupport.auth import Principal, Role
from schemas.cases import OwnerRole


@dataclass(frozen=True)
class CasePeople:
    department_id: str
    managers: frozenset[str]
    hr_specialist_id: str | None
    rehab_coordinators: frozenset[str]


def rehab_on_case(
    *, owner_role: str, owner_id: str | None, rehab_named: bool, in_scope: Iterable[str]
) -> frozenset[str]:
    """The rehab coordinators who may read the case: `in_scope` are those the directory names
    for its department or for everyone."""
    if owner_role == OwnerRole.REHAB_COORDINATOR.value and owner_id:
        return frozenset({owner_id})
    return frozenset(in_scope) if rehab_named else frozenset()


def may_access(principal: Principal, people: CasePeople) -> bool:
    """May the caller read and write this case?"""
    match principal.role:
        case Role.MANAGER:
            return principal.subject in people.managers
        case Role.HR:
            return (
                people.department_id in principal.departments
                or principal.subject == people.hr_specialist_id
            )
        case Role.REHAB:
            return principal.subject in people.rehab_coordinators
        case _:
            return False


CASE_ROLES = (Role.MANAGER, Role.HR, Role.REHAB)
