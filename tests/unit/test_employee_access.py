"""Who may read one employee, and decide their exemptions: every role against every place."""

import pytest

from halsosupport.auth import Principal, Role
from services.intake.access import (
    EmployeePlace,
    can_decide_exemption,
    can_read_employee,
    reads_every_employee,
    sees_the_line_details,
)

PLACE = EmployeePlace("w-a", "d-1", managers=frozenset({"boss-a", "deputy-a"}))

CALLERS = {
    "nurse": Principal("n", Role.NURSE),
    "admin": Principal("a", Role.ADMIN),
    "manager-own": Principal("boss-a", Role.MANAGER),
    "deputy-own": Principal("deputy-a", Role.MANAGER),
    "manager-other": Principal("boss-b", Role.MANAGER),
    # The token's workplaces claim does not make anyone a manager: the directory decides.
    "manager-claiming-it": Principal("boss-b", Role.MANAGER, workplaces=frozenset({"w-a"})),
    "hr-own": Principal("h", Role.HR, departments=frozenset({"d-2", "d-1"})),
    "hr-other": Principal("h", Role.HR, departments=frozenset({"d-2"})),
    "hr-none": Principal("h", Role.HR),
    "rehab": Principal("r", Role.REHAB, departments=frozenset({"d-1"})),
    "crisis": Principal("c", Role.CRISIS, departments=frozenset({"d-1"})),
    # Other roles whose subject happens to be the manager's id still see nothing as managers.
    "crisis-as-boss": Principal("boss-a", Role.CRISIS),
    "hr-as-boss": Principal("boss-a", Role.HR),
}
#            read   exemption  line-details  learns-existence
EXPECTED = {
    "nurse": (True, False, True, True),
    "admin": (True, True, False, True),
    "manager-own": (True, False, False, False),
    "deputy-own": (True, False, False, False),
    "manager-other": (False, False, False, False),
    "manager-claiming-it": (False, False, False, False),
    "hr-own": (True, True, False, False),
    "hr-other": (False, False, False, False),
    "hr-none": (False, False, False, False),
    "rehab": (False, False, False, False),
    "crisis": (False, False, False, False),
    "crisis-as-boss": (False, False, False, False),
    "hr-as-boss": (False, False, False, False),
}


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_each_caller_gets_exactly_its_access(caller):
    principal = CALLERS[caller]
    assert (
        can_read_employee(principal, PLACE),
        can_decide_exemption(principal, PLACE),
        sees_the_line_details(principal),
        reads_every_employee(principal),
    ) == EXPECTED[caller]


def test_every_role_is_covered():
    assert {p.role for p in CALLERS.values()} == set(Role)


def test_deciding_an_exemption_implies_reading_the_employee():
    for principal in CALLERS.values():
        if can_decide_exemption(principal, PLACE):
            assert can_read_employee(principal, PLACE)


def test_a_workplace_without_managers_is_read_by_no_manager():
    nobody = EmployeePlace("w-x", "d-1", managers=frozenset())
    assert not can_read_employee(Principal("", Role.MANAGER), nobody)
