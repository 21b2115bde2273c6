"""The what-if simulation: the recorded history through two policies, tallied per month and
department, with the same engine the worker runs."""

from datetime import date, timedelta

from services.triggers.policy import DEFAULT_POLICY, POLICY_DIR, load_policy
from services.triggers.simulate import compare
from tests.unit.test_policies import Employee

ACTIVE = load_policy(DEFAULT_POLICY)
SIX = load_policy(POLICY_DIR / "six-in-twelve.toml")


def recorded_history() -> list:
    """Six two-day spells a month apart, and one long spell for someone else."""
    events = []
    anna = Employee(policy=ACTIVE)
    anna._apply = lambda event: events.append(event) or []  # record, decide nothing
    for n in range(6):
        anna.spell(date(2026, 1, 5) + timedelta(days=30 * n), 2)
    bertil = Employee(policy=ACTIVE)
    bertil._apply = lambda event: events.append(event.model_copy(update={"employee_id": "e2"}))
    bertil.sick(date(2026, 3, 2))
    return events


def test_each_policy_is_tallied_by_month_department_and_rule():
    result = compare(recorded_history(), [ACTIVE, SIX], date(2026, 1, 1), date(2026, 12, 31))
    assert result.policies == ("halsosupport-2.0@2", "six-in-twelve@1")
    rows = {(month, rule): counts for month, _dept, rule, counts in result.rows()}
    assert rows[("2026-04", "omtankesamtal")] == (1, 0)
    assert rows[("2026-05", "hr_contact")] == (1, 0)
    assert rows[("2026-06", "trepartssamtal")] == (1, 0)
    assert rows[("2026-06", "repeated_absence")] == (0, 1)
    # The open spell of the other employee brings its fixed days in time, by event time.
    assert rows[("2026-03", "certificate_reminder")] == (1, 0)
    assert rows[("2026-05", "rehab_chain_checkpoint")] == (1, 0)  # day 90 is 30 May
    assert result.totals()[1] == 1


def test_only_triggers_in_the_period_are_counted():
    result = compare(recorded_history(), [ACTIVE, SIX], date(2026, 5, 1), date(2026, 5, 31))
    assert {rule for _m, _d, rule, _c in result.rows()} == {"hr_contact", "rehab_chain_checkpoint"}
