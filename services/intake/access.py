"""Who may see or change one employee's data: pure rules over the caller and the directory.

- nurses: every employee (they are the line); the spells with reasons and notes.
- admins: every employee (they keep the directory) and exemptions; not the line's details.
- managers: employees of the workplaces where the directory names them manager or deputy
  manager (`Workplace.manager_id` / `deputy_manager_id` = the token's subject). The directory
  decides, not the token's `workplaces` claim: the HR export is the truth about who manages whom,
  and a token outlives a reorganisation.
- HR: employees of the departments in the token's departments claim; their exemptions too.
- rehab and crisis: no employee at all (rehab cases do not exist yet; crisis sees aggregates).
"""

from dataclasses import dataclass

from halsosupport.auth import Principal, Role


@dataclass(frozen=True)
class EmployeePlace:
    """Where an employee belongs now, as the directory says."""

    workplace_id: str
    department_id: str
    managers: frozenset[str]  # the workplace's manager and deputy manager (employee ids)


def can_read_employee(principal: Principal, place: EmployeePlace) -> bool:
    """May the caller see this employee's data (the line's details aside)?"""
    match principal.role:
        case Role.NURSE | Role.ADMIN:
            return True
        case Role.MANAGER:
            return principal.subject in place.managers
        case Role.HR:
            return place.department_id in principal.departments
        case _:
            return False


def can_decide_exemption(principal: Principal, place: EmployeePlace) -> bool:
    """May the caller grant, lift or read the employee's exemptions (whose `why` is sensitive)?"""
    match principal.role:
        case Role.ADMIN:
            return True
        case Role.HR:
            return place.department_id in principal.departments
        case _:
            return False


def sees_the_line_details(principal: Principal) -> bool:
    """Withheld reasons, the nurse's notes and call-back outcomes stay on the line."""
    return principal.role is Role.NURSE


def reads_every_employee(principal: Principal) -> bool:
    """Roles that may learn whether an employee exists (the others get 403 either way)."""
    return principal.role in (Role.NURSE, Role.ADMIN)
