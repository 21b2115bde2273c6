"""Day rules: what falls due on set days of a spell, decided from the spell list and a date.

A day rule is due on its day if the spell was still going on that day, as known now. Because
the answer is recomputed from the spells, a backdated well report or a retraction that shows
the spell had ended withdraws a reminder already sent; a rule that fell due while the service
was down fires when it next looks (within the policy's `catch_up_days`), and a replay of old
history does not wake reminders for spells long over.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from services.triggers import domain
from services.triggers.domain import DayRule, FiredRecord, Policy, SpellFact
from services.triggers.windows import ONE_DAY


@dataclass(frozen=True)
class DueDay:
    rule: DayRule
    spell: SpellFact
    day_number: int
    due: date
    employee_id: str

    @property
    def key(self) -> tuple[str, str | None, date]:
        return (self.rule.rule_id, self.spell.spell_id, self.due)

    @property
    def trigger_id(self) -> str:
        return domain.day_trigger_id(
            self.employee_id, self.rule.rule_id, self.spell.spell_id, self.day_number
        )


@dataclass(frozen=True)
class DayDecision:
    fire: tuple[DueDay, ...]
    withdraw: tuple[FiredRecord, ...]


def due_days(
    employee_id: str, spells: list[SpellFact], policy: Policy, today: date, first_day: date
) -> Iterator[DueDay]:
    """Every day rule that fell due in [first_day, today] while its spell was going on."""
    for rule, spell, number, due in _due(spells, policy, today, first_day):
        yield DueDay(rule, spell, number, due, employee_id)


def _due(
    spells: list[SpellFact], policy: Policy, today: date, first_day: date
) -> Iterator[tuple[DayRule, SpellFact, int, date]]:
    """(rule, spell, day number, date) of `due_days`, rule by rule, without building a DueDay
    for each: most of them were announced long ago and only their keys are needed."""
    # A spell over before the first day is cheaply passed by: most kept spells are.
    recent = (s for s in spells if s.well_from is None or s.well_from > first_day)
    spans = [span for span in (_going_on(s, today, first_day) for s in recent) if span]
    for rule in policy.day_rules:
        for spell, first, last in spans:
            base = rule.day_zero(spell)
            if base is None:
                continue
            for number, offset in rule.day_offsets:
                due = base + offset
                if first <= due <= last:
                    yield rule, spell, number, due


def _going_on(
    spell: SpellFact, today: date, first_day: date
) -> tuple[SpellFact, date, date] | None:
    """The days in [first_day, today] on which `spell` was going on, as (spell, first, last);
    None when there are none (a rule due on no such day cannot fall due)."""
    first = max(first_day, spell.sick_from)
    last = today if spell.well_from is None else min(today, spell.well_from - ONE_DAY)
    return (spell, first, last) if first <= last else None


def decide_days(
    employee_id: str,
    spells: list[SpellFact],
    fired: Mapping[str, FiredRecord],
    policy: Policy,
    today: date,
    evaluate_from: date,
    suppressed: frozenset[str] = frozenset(),
) -> DayDecision:
    """Which day rules to announce now and which announcements lost their basis."""
    # Only days within the catch-up reach can still fire, so only they are listed; each earlier
    # announcement is checked on its own rather than against every past due day of every spell.
    # Matched on (rule, spell, day) rather than on trigger ids, which take hashing to make.
    reach = max(evaluate_from, today - policy.catch_up)
    fresh = list(_due(spells, policy, today, reach))
    if fresh:  # seldom: only on the few days after a rule's day
        announced = {(f.rule_id, f.spell_id, f.crossed_on) for f in fired.values()}
        fresh = [
            (rule, spell, number, due)
            for rule, spell, number, due in fresh
            if (rule.rule_id, spell.spell_id, due) not in announced
            and rule.rule_id not in suppressed
        ]
        fresh.sort(key=lambda found: (found[3], found[0].rule_id))  # stable: ties keep order
    fire = tuple(DueDay(rule, spell, n, due, employee_id) for rule, spell, n, due in fresh)
    by_id = {spell.spell_id: spell for spell in spells}
    withdraw = tuple(
        f
        for f in fired.values()
        if f.spell_id is not None
        and f.rule_id in policy.day_rule_ids
        and f.crossed_on >= evaluate_from
        and not _still_due(f, by_id.get(f.spell_id), policy, today, evaluate_from)
    )
    return DayDecision(fire, withdraw)


def _still_due(
    record: FiredRecord, spell: SpellFact | None, policy: Policy, today: date, first_day: date
) -> bool:
    """Whether the day rule of an announcement is among `due_days(..., first_day)`: its spell is
    kept, was going on that day, and the day is one of the rule's days for the spell as now
    known (a corrected start moves them)."""
    if spell is None:
        return False
    span = _going_on(spell, today, first_day)
    if span is None or not span[1] <= record.crossed_on <= span[2]:
        return False
    for rule in policy.day_rules_by_id.get(record.rule_id, ()):
        base = rule.day_zero(spell)
        if base is not None and (record.crossed_on - base).days in rule.days:
            return True
    return False
