"""What-if: run the recorded history through another policy, offline, next to the active one.

HR chooses thresholds before changing them by seeing how many of each trigger a policy would
have fired, per month and department. The engine is the one the worker runs; time is moved
through each employee's history by event time, with ticks on the days a day rule or a growing
Bradford factor could fall due, so the answer is the live stream's answer.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from halsosupport.localtime import local_date
from schemas.triggers import TriggerFired, TriggerWithdrawn
from services.triggers.domain import Policy
from services.triggers.handlers import EmployeeState, ReportEvent, TriggerEvent, apply_report, tick

# (month "YYYY-MM", department id, rule id) -> triggers that stood (fired and not withdrawn)
Tally = Counter[tuple[str, str, str]]


@dataclass(frozen=True)
class Comparison:
    policies: tuple[str, ...]
    tallies: tuple[Tally, ...]

    def rows(self) -> list[tuple[str, str, str, tuple[int, ...]]]:
        keys = sorted(set().union(*self.tallies))
        return [(*key, tuple(t[key] for t in self.tallies)) for key in keys]

    def totals(self) -> tuple[int, ...]:
        return tuple(sum(t.values()) for t in self.tallies)


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(11), tzinfo=UTC)


def _tick_days(state: EmployeeState, policy: Policy, after: date, until: date) -> list[date]:
    """Days in (after, until] on which time alone could change a decision."""
    if until <= after:
        return []
    days: set[date] = set()
    for rule in policy.day_rules:
        for spell in state.spells.values():
            days.update(due for _, due in rule.due_days(spell) if after < due <= until)
    if any(rule.metric == "bradford" for rule in policy.count_rules):
        for spell in state.spells.values():
            if spell.well_from is None or spell.well_from > after:
                end = min(until, (spell.well_from or until + timedelta(days=1)) - timedelta(1))
                day = max(after, spell.sick_from - timedelta(days=1)) + timedelta(days=1)
                while day <= end:
                    days.add(day)
                    day += timedelta(days=1)
    return sorted(days)


def run_employee(
    employee_id: str, events: list[ReportEvent], policy: Policy, until: date
) -> list[TriggerEvent]:
    """Every trigger event one employee's history causes under `policy`, up to `until`."""
    state, out = EmployeeState(), []
    for index, event in enumerate(events):
        state, produced = apply_report(state, event, policy)
        out.extend(produced)
        today = local_date(event.occurred_at)
        following = events[index + 1] if index + 1 < len(events) else None
        upto = min(until, local_date(following.occurred_at)) if following else until
        for day in _tick_days(state, policy, today, upto):
            state, produced = tick(state, employee_id, policy, _noon(day))
            out.extend(produced)
    return out


def tally(out: Iterable[TriggerEvent], first: date, last: date) -> Tally:
    """Triggers that stood, by the month they fired (crossing or due day) and department."""
    events = list(out)
    withdrawn = {e.trigger_id for e in events if isinstance(e, TriggerWithdrawn)}
    counts: Tally = Counter()
    for event in events:
        if isinstance(event, TriggerFired) and event.trigger_id not in withdrawn:
            if first <= event.window_end <= last:
                month = event.window_end.strftime("%Y-%m")
                counts[(month, event.org.department_id, event.rule_id)] += 1
    return counts


def compare(
    events: Iterable[ReportEvent],
    policies: list[Policy],
    first: date,
    last: date,
    on_employee: Callable[[int, int], None] = lambda done, total: None,
) -> Comparison:
    """Each policy's tally over the same recorded history."""
    by_employee: dict[str, list[ReportEvent]] = defaultdict(list)
    for event in events:
        by_employee[event.employee_id].append(event)
    tallies: list[Tally] = [Counter() for _ in policies]
    for done, (employee_id, history) in enumerate(sorted(by_employee.items()), start=1):
        history = [e for e in history if local_date(e.occurred_at) <= last]
        for counts, policy in zip(tallies, policies, strict=True):
            counts.update(tally(run_employee(employee_id, history, policy, last), first, last))
        on_employee(done, len(by_employee))
    return Comparison(tuple(p.policy_version for p in policies), tuple(tallies))
