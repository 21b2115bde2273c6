"""The rule engine: pure functions over an employee's spells and a policy.

Counts are always recomputed from the spell list, never kept as running counters, so a
backdated report, a late one or a retraction gives the answer the full history would give.

A count rule fires once per *episode*: an episode starts on the day the count reaches the
threshold while the rule is armed, and ends (re-arming the rule) on the first day the count
falls below it again. An earlier firing inside an episode covers it, so corrections never make
a manager hear twice about the same crossing; a firing that no longer lies inside any episode
has lost its basis and is withdrawn.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from services.triggers.windows import in_window, leaves_window_on, months_before, window_start

TRIGGER_NAMESPACE = uuid.UUID("5b0f9a7e-2f4c-4c36-9d7a-6f1e3a0c8b21")


@dataclass(frozen=True)
class SpellFact:
    """What the engine knows of one spell; reasons are known only when they were shared."""

    spell_id: str
    absence_type: str
    sick_from: date
    well_from: date | None = None
    reason_category: str | None = None
    retracted: bool = False


@dataclass(frozen=True)
class CountRule:
    rule_id: str
    threshold: int
    window_months: int
    recipient_roles: tuple[str, ...]
    due_in_days: int | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    count_rules: tuple[CountRule, ...]
    counted_absence_types: frozenset[str] = frozenset({"sick"})
    excluded_reason_categories: frozenset[str] = frozenset()
    merge_gap_days: int = 0  # 0: every spell is its own occasion

    @property
    def policy_version(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def longest_window_months(self) -> int:
        return max((rule.window_months for rule in self.count_rules), default=12)


@dataclass(frozen=True)
class Occasion:
    """One occasion of sick absence: a spell, or spells merged under `merge_gap_days`."""

    spell_ids: tuple[str, ...]
    sick_from: date
    well_from: date | None

    @property
    def spell_id(self) -> str:
        return self.spell_ids[0]


@dataclass(frozen=True)
class Episode:
    """A stretch of time in which a rule's count stayed at or above its threshold."""

    rule: CountRule
    crossed_on: date
    crossing: Occasion
    basis: tuple[Occasion, ...]
    rearmed_on: date | None  # None: still at or above the threshold
    # True when the count was already at the threshold on the first day whose history is
    # complete: the episode began earlier, was announced then, and is never announced again.
    began_before_evaluation: bool = False

    @property
    def window_start(self) -> date:
        return window_start(self.crossed_on, self.rule.window_months)

    def covers(self, day: date) -> bool:
        return self.crossed_on <= day and (self.rearmed_on is None or day < self.rearmed_on)


@dataclass(frozen=True)
class FiredRecord:
    """A trigger already announced, as the engine remembers it."""

    trigger_id: str
    rule_id: str
    crossed_on: date


@dataclass(frozen=True)
class Decision:
    fire: tuple[Episode, ...]
    withdraw: tuple[FiredRecord, ...]


def occasions(spells: list[SpellFact], policy: Policy) -> list[Occasion]:
    """The spells that count under the policy, merged where they follow within the gap."""
    counted = sorted(
        (
            s
            for s in spells
            if not s.retracted
            and s.absence_type in policy.counted_absence_types
            and s.reason_category not in policy.excluded_reason_categories
        ),
        key=lambda s: (s.sick_from, s.spell_id),
    )
    merged: list[Occasion] = []
    for spell in counted:
        if merged and policy.merge_gap_days > 0 and merged[-1].well_from is not None:
            last_sick_day = merged[-1].well_from - timedelta(days=1)
            if (spell.sick_from - last_sick_day).days <= policy.merge_gap_days:
                previous = merged.pop()
                spell_ids = (*previous.spell_ids, spell.spell_id)
                merged.append(Occasion(spell_ids, previous.sick_from, spell.well_from))
                continue
        merged.append(Occasion((spell.spell_id,), spell.sick_from, spell.well_from))
    return merged


def count_on(occasion_list: list[Occasion], day: date, months: int) -> int:
    """How many occasions started in the window ending on `day`."""
    return sum(1 for o in occasion_list if in_window(o.sick_from, day, months))


def episodes(
    occasion_list: list[Occasion], rule: CountRule, *, evaluate_from: date | None = None
) -> list[Episode]:
    """Every episode of `rule`, by sweeping the days on which the count changes.

    With `evaluate_from`, history before it is incomplete (pruned): the rule counts as armed only
    once the count has been seen below the threshold on or after that day.
    """
    changes: dict[date, list[tuple[int, Occasion]]] = defaultdict(list)
    for occasion in occasion_list:
        changes[occasion.sick_from].append((+1, occasion))
        changes[leaves_window_on(occasion.sick_from, rule.window_months)].append((-1, occasion))
    days = set(changes)
    if evaluate_from is not None:
        days.add(evaluate_from)

    found: list[Episode] = []
    current: dict[str, Occasion] = {}
    armed = evaluate_from is None
    open_episode: Episode | None = None
    for day in sorted(days):
        entering = [o for delta, o in changes.get(day, []) if delta > 0]
        for delta, occasion in changes.get(day, []):
            if delta < 0:
                current.pop(occasion.spell_id, None)
            else:
                current[occasion.spell_id] = occasion
        evaluating = evaluate_from is None or day >= evaluate_from
        basis = tuple(sorted(current.values(), key=lambda o: o.sick_from))
        if len(current) >= rule.threshold:
            if day == evaluate_from and not armed and open_episode is None:
                open_episode = Episode(rule, day, basis[-1], basis, None, True)
                found.append(open_episode)
            elif armed and evaluating and entering:
                open_episode = Episode(rule, day, entering[-1], basis, None)
                found.append(open_episode)
                armed = False
        elif evaluating:
            if open_episode is not None:
                found[-1] = replace(open_episode, rearmed_on=day)
                open_episode = None
            armed = True
    return found


def trigger_id(employee_id: str, rule_id: str, crossing_spell_id: str, policy_version: str) -> str:
    """Deterministic, so a replay produces the same ids and the notifier's dedupe holds."""
    name = f"{employee_id}|{rule_id}|{crossing_spell_id}|{policy_version}"
    return str(uuid.uuid5(TRIGGER_NAMESPACE, name))


def reconcile(
    found: list[Episode],
    fired: list[FiredRecord],
    rule_id: str,
    *,
    evaluate_from: date | None = None,
) -> Decision:
    """Which episodes to announce and which earlier firings lost their basis.

    Firings are matched by rule and date, not by policy version, so a new policy version never
    re-announces an episode that was already announced.
    """
    mine = [f for f in fired if f.rule_id == rule_id]
    to_fire = tuple(
        e
        for e in found
        if not e.began_before_evaluation and not any(e.covers(f.crossed_on) for f in mine)
    )
    to_withdraw = tuple(
        f
        for f in mine
        if (evaluate_from is None or f.crossed_on >= evaluate_from)
        and not any(e.covers(f.crossed_on) for e in found)
    )
    return Decision(fire=to_fire, withdraw=to_withdraw)


def evaluation_start(today: date, policy: Policy, margin_months: int = 3) -> date:
    """Before this day the kept history is incomplete; older firings are final."""
    return months_before(today, policy.longest_window_months + margin_months)


def keep_from(today: date, policy: Policy) -> date:
    """Spells starting before this day can no longer change any decision: drop them."""
    return months_before(evaluation_start(today, policy), policy.longest_window_months)
