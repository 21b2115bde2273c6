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
    # A spell over before the first day cannot be going on on any day from then.
    candidates = [s for s in spells if s.well_from is None or s.well_from > first_day]
    for rule in policy.day_rules:
        for spell in candidates:
            for number, due in rule.due_days(spell):
                if first_day <= due <= today and spell.ongoing_on(due):
                    yield DueDay(rule, spell, number, due, employee_id)


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
    # Matched on (rule, spell, day) rather than on trigger ids: hashing ids for every past day
    # of every kept spell was most of a replay's time.
    due = {d.key: d for d in due_days(employee_id, spells, policy, today, evaluate_from)}
    announced = {(f.rule_id, f.spell_id, f.crossed_on) for f in fired.values()}
    fire = tuple(
        d
        for key, d in sorted(due.items(), key=lambda item: (item[1].due, item[1].rule.rule_id))
        if key not in announced
        and (today - d.due).days <= policy.catch_up_days
        and d.rule.rule_id not in suppressed
    )
    day_rule_ids = {rule.rule_id for rule in policy.day_rules}
    withdraw = tuple(
        f
        for f in fired.values()
        if f.spell_id is not None
        and f.rule_id in day_rule_ids
        and f.crossed_on >= evaluate_from
        and (f.rule_id, f.spell_id, f.crossed_on) not in due
    )
    return DayDecision(fire, withdraw)
