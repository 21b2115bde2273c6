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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from operator import attrgetter
from typing import Literal

from services.triggers.windows import ONE_DAY, Window, months_before

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
    expected_return: date | None = None

    def ongoing_on(self, day: date) -> bool:
        return self.sick_from <= day and (self.well_from is None or day < self.well_from)


Metric = Literal["occasions", "bradford"]


@dataclass(frozen=True)
class CountRule:
    """Fires when a measure over a rolling window reaches `threshold`.

    `occasions` counts occasions starting in the window (optionally only those shorter than
    `max_spell_days`); `bradford` is the Bradford factor S² × D over the window.
    """

    rule_id: str
    threshold: int
    window_months: int
    recipient_roles: tuple[str, ...]
    due_in_days: int | None = None
    window_days: int = 0  # instead of months
    merge_gap_days: int | None = None  # None: the policy's
    max_spell_days: int | None = None
    metric: Metric = "occasions"

    @cached_property
    def window(self) -> Window:
        if self.window_days:
            return Window(days=self.window_days)
        return Window(months=self.window_months)

    @property
    def window_months_at_most(self) -> int:
        return self.window.months_at_most


@dataclass(frozen=True)
class DayRule:
    """Fires on set days of a spell while it is still going on.

    Anchored on `sick_from`, day 1 is the first day of absence; anchored on `expected_return`,
    day 1 is the day after the employee was expected back (and no well report came).
    """

    rule_id: str
    days: tuple[int, ...]
    recipient_roles: tuple[str, ...]
    due_in_days: int | None = None
    anchor: Literal["sick_from", "expected_return"] = "sick_from"
    absence_types: frozenset[str] = frozenset({"sick"})
    # Only spells expected to last at least this long (or open with no expected return).
    min_expected_days: int | None = None

    def due_days(self, spell: SpellFact) -> list[tuple[int, date]]:
        """(day number, date) of each day this rule is due for `spell`, whether or not it was
        still going on then."""
        base = self.day_zero(spell)
        if base is None:
            return []
        return [(n, base + timedelta(days=n)) for n in self.days]

    def day_zero(self, spell: SpellFact) -> date | None:
        """The day before this rule's day 1 for `spell`; None when the rule never applies to it.
        The engine adds the day numbers itself, without building the list `due_days` gives."""
        if spell.retracted or spell.absence_type not in self.absence_types:
            return None
        if self.min_expected_days is not None and spell.expected_return is not None:
            if (spell.expected_return - spell.sick_from).days < self.min_expected_days:
                return None
        if self.anchor == "sick_from":
            return spell.sick_from - ONE_DAY
        return spell.expected_return

    @cached_property
    def day_offsets(self) -> tuple[tuple[int, timedelta], ...]:
        """(day number, days after day zero), made once per rule rather than once per spell."""
        return tuple((n, timedelta(days=n)) for n in self.days)


@dataclass(frozen=True)
class ReasonExclusion:
    """A reason that does not count for spells starting in a period (e.g. covid-19 in 2020)."""

    reason_category: str
    from_date: date | None = None
    to_date: date | None = None

    def excludes(self, spell: SpellFact) -> bool:
        return (
            spell.reason_category == self.reason_category
            and (self.from_date is None or self.from_date <= spell.sick_from)
            and (self.to_date is None or spell.sick_from <= self.to_date)
        )


@dataclass(frozen=True)
class Policy:
    name: str
    version: str
    count_rules: tuple[CountRule, ...]
    counted_absence_types: frozenset[str] = frozenset({"sick"})
    excluded_reason_categories: frozenset[str] = frozenset()
    merge_gap_days: int = 0  # 0: every spell is its own occasion
    day_rules: tuple[DayRule, ...] = ()
    reason_exclusions: tuple[ReasonExclusion, ...] = ()
    # Decisions about days before this are the previous policy's and are never rewritten.
    effective_from: date | None = None
    decided_by: str = ""
    # How late a day rule may still fire: after downtime, not for a replayed past.
    catch_up_days: int = 14

    @property
    def policy_version(self) -> str:
        return f"{self.name}@{self.version}"

    @cached_property  # asked on every report; a policy never changes once loaded
    def longest_window_months(self) -> int:
        return max((rule.window_months_at_most for rule in self.count_rules), default=12)

    @cached_property
    def catch_up(self) -> timedelta:
        """How far back a day rule may still fire, as a span to subtract from today."""
        return timedelta(days=self.catch_up_days)

    @cached_property
    def day_rule_ids(self) -> frozenset[str]:
        return frozenset(rule.rule_id for rule in self.day_rules)

    @cached_property
    def day_rules_by_id(self) -> dict[str, tuple[DayRule, ...]]:
        return {
            rule_id: tuple(r for r in self.day_rules if r.rule_id == rule_id)
            for rule_id in self.day_rule_ids
        }

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(r.rule_id for r in self.count_rules) | {r.rule_id for r in self.day_rules}

    def counts(self, spell: SpellFact) -> bool:
        return (
            not spell.retracted
            and spell.absence_type in self.counted_absence_types
            and spell.reason_category not in self.excluded_reason_categories
            and not self._excluded_for_its_reason(spell)
        )

    def _excluded_for_its_reason(self, spell: SpellFact) -> bool:
        """A plain loop: asked for every kept spell on every report, and most spells have no
        reason at all."""
        if spell.reason_category is None:
            return False
        for exclusion in self.reason_exclusions:
            if exclusion.excludes(spell):
                return True
        return False


@dataclass(frozen=True)
class Occasion:
    """One occasion of sick absence: a spell, or spells merged under `merge_gap_days`."""

    spell_ids: tuple[str, ...]
    sick_from: date
    well_from: date | None

    @property
    def spell_id(self) -> str:
        return self.spell_ids[0]

    def days_absent(self, first: date, last: date) -> int:
        """Calendar days of this occasion within [first, last] (an open one runs to `last`)."""
        end = last if self.well_from is None else min(last, self.well_from - ONE_DAY)
        return max(0, (end - max(first, self.sick_from)).days + 1)


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
        return self.rule.window.start(self.crossed_on)

    def covers(self, day: date) -> bool:
        return self.crossed_on <= day and (self.rearmed_on is None or day < self.rearmed_on)

    def rearmed(self, day: date) -> "Episode":
        """This episode, ended on `day` (built directly: `replace` inspects the fields)."""
        return Episode(
            self.rule, self.crossed_on, self.crossing, self.basis, day, self.began_before_evaluation
        )


@dataclass(frozen=True)
class FiredRecord:
    """A trigger already announced, as the engine remembers it."""

    trigger_id: str
    rule_id: str
    crossed_on: date  # for a day rule: the day it was due
    spell_id: str | None = None  # set for day rules


@dataclass(frozen=True)
class Decision:
    fire: tuple[Episode, ...]
    withdraw: tuple[FiredRecord, ...]
    # Announced again for an episode that, as late reports now show, never ended in between.
    repeated: tuple[FiredRecord, ...] = ()


def occasions(
    spells: list[SpellFact], policy: Policy, rule: CountRule | None = None
) -> list[Occasion]:
    """The spells that count under the policy, merged where they follow within the gap (the
    rule's own gap when it has one), and only the short ones when the rule says so."""
    return occasions_of(counted_spells(spells, policy), policy, rule)


def counted_spells(spells: Iterable[SpellFact], policy: Policy) -> list[SpellFact]:
    """The spells that count under the policy, oldest first: sorted once per report and shared
    by every rule, whatever its gap."""
    return sorted((s for s in spells if policy.counts(s)), key=START_ORDER)


START_ORDER = attrgetter("sick_from", "spell_id")  # (sick_from, spell_id), without a Python call


def occasions_of(
    counted: list[SpellFact], policy: Policy, rule: CountRule | None = None
) -> list[Occasion]:
    """`occasions` of spells already counted and sorted by `counted_spells`; the occasions come
    out in the order they started."""
    gap = policy.merge_gap_days
    if rule is not None and rule.merge_gap_days is not None:
        gap = rule.merge_gap_days
    merged: list[Occasion] = []
    for spell in counted:
        if merged and gap > 0 and merged[-1].well_from is not None:
            last_sick_day = merged[-1].well_from - ONE_DAY
            if (spell.sick_from - last_sick_day).days <= gap:
                previous = merged.pop()
                spell_ids = (*previous.spell_ids, spell.spell_id)
                merged.append(Occasion(spell_ids, previous.sick_from, spell.well_from))
                continue
        merged.append(Occasion((spell.spell_id,), spell.sick_from, spell.well_from))
    if rule is not None and rule.max_spell_days is not None:
        limit = rule.max_spell_days
        merged = [o for o in merged if o.well_from and (o.well_from - o.sick_from).days <= limit]
    return merged


def measure_on(
    occasion_list: list[Occasion], rule: CountRule, day: date
) -> tuple[int, list[Occasion]]:
    """The rule's measure on `day` and the occasions it rests on, oldest first."""
    start = rule.window.start(day)
    if rule.metric == "occasions":
        basis = [o for o in occasion_list if start <= o.sick_from <= day]
        return len(basis), basis
    basis = [o for o in occasion_list if o.days_absent(start, day) > 0]
    absent_days = sum(o.days_absent(start, day) for o in basis)
    return len(basis) ** 2 * absent_days, basis


def _change_days(occasion_list: list[Occasion], rule: CountRule, today: date | None) -> set[date]:
    """The days on which the measure can rise or fall; between them it stays put."""
    if rule.metric == "occasions":
        return {o.sick_from for o in occasion_list} | {
            rule.window.leaves_on(o.sick_from) for o in occasion_list
        }
    # The Bradford factor grows with every day of absence: look at each day.
    if not occasion_list:
        return set()
    first = min(o.sick_from for o in occasion_list)
    last = today or max((o.well_from or o.sick_from) for o in occasion_list)
    last = max(last, first)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


Series = list[tuple[date, int, list[Occasion]]]


def series(
    occasion_list: list[Occasion],
    rule: CountRule,
    *,
    evaluate_from: date | None = None,
    today: date | None = None,
) -> Series:
    """The rule's measure on each day it can change, in order. Rules that differ only in their
    threshold share one series."""
    days = _change_days(occasion_list, rule, today)
    if evaluate_from is not None:
        days = {d for d in days if d >= evaluate_from} | {evaluate_from}
    if today is not None:
        days = {d for d in days if d <= today}
    starts = [o.sick_from for o in occasion_list]
    if rule.metric == "occasions" and starts == sorted(starts):
        return _counted_series(occasion_list, starts, rule, sorted(days))
    return [(day, *measure_on(occasion_list, rule, day)) for day in sorted(days)]


def _counted_series(
    occasion_list: list[Occasion], starts: list[date], rule: CountRule, days: list[date]
) -> Series:
    """`measure_on` for the occasions metric on each of `days`: with the occasions in the order
    they started, those in a window are one run of the list, found by bisecting the starts
    instead of testing every occasion on every day."""
    measured: Series = []
    for day in days:
        first = bisect_left(starts, rule.window.start(day))
        after = bisect_right(starts, day)
        measured.append((day, after - first, occasion_list[first:after]))
    return measured


def episodes(
    occasion_list: list[Occasion],
    rule: CountRule,
    *,
    evaluate_from: date | None = None,
    today: date | None = None,
    measured: Series | None = None,
) -> list[Episode]:
    """Every episode of `rule`, by sweeping the days on which its measure changes.

    With `evaluate_from`, history before it is incomplete (pruned): the rule counts as armed only
    once the measure has been seen below the threshold on or after that day. `today` bounds a
    measure that grows by itself (Bradford's days of absence).
    """
    if measured is None:
        measured = series(occasion_list, rule, evaluate_from=evaluate_from, today=today)
    found: list[Episode] = []
    armed = evaluate_from is None
    open_episode: Episode | None = None
    for day, value, basis in measured:
        if value >= rule.threshold:
            if day == evaluate_from and not armed and open_episode is None:
                open_episode = Episode(rule, day, basis[-1], tuple(basis), None, True)
                found.append(open_episode)
            elif armed:
                open_episode = Episode(rule, day, basis[-1], tuple(basis), None)
                found.append(open_episode)
                armed = False
        else:
            if open_episode is not None:
                found[-1] = open_episode.rearmed(day)
                open_episode = None
            armed = True
    return found


def trigger_id(employee_id: str, rule_id: str, crossing_spell_id: str, policy_version: str) -> str:
    """Deterministic, so a replay produces the same ids and the notifier's dedupe holds."""
    name = f"{employee_id}|{rule_id}|{crossing_spell_id}|{policy_version}"
    return str(uuid.uuid5(TRIGGER_NAMESPACE, name))


def day_trigger_id(employee_id: str, rule_id: str, spell_id: str, day_number: int) -> str:
    """One id per spell, rule and day, whatever the policy version: a new version of the policy
    never announces the same day of the same spell twice."""
    name = f"{employee_id}|{rule_id}|{spell_id}|day {day_number}"
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
    re-announces an episode that was already announced. When a late report joins two episodes
    into one, the later announcement is withdrawn as a repeat: one episode, one conversation.
    """
    mine = [f for f in fired if f.rule_id == rule_id]
    to_fire = tuple(
        e
        for e in found
        if not e.began_before_evaluation and not any(e.covers(f.crossed_on) for f in mine)
    )
    judged = [f for f in mine if evaluate_from is None or f.crossed_on >= evaluate_from]
    to_withdraw = tuple(f for f in judged if not any(e.covers(f.crossed_on) for e in found))
    repeated: list[FiredRecord] = []
    for episode in found:
        covered = sorted(
            (f for f in mine if episode.covers(f.crossed_on)),
            key=lambda f: (f.crossed_on, f.trigger_id),
        )
        repeated.extend(f for f in covered[1:] if f in judged)
    return Decision(fire=to_fire, withdraw=to_withdraw, repeated=tuple(repeated))


def evaluation_start(today: date, policy: Policy, margin_months: int = 3) -> date:
    """Before this day the kept history is incomplete; older firings are final."""
    return months_before(today, policy.longest_window_months + margin_months)


def keep_from(today: date, policy: Policy) -> date:
    """Spells starting before this day can no longer change any decision: drop them."""
    return months_before(evaluation_start(today, policy), policy.longest_window_months)
