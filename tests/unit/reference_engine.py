"""The rule engine as it was before it was made incremental: every report re-derives the
occasions, series, episodes and reconciliation from the whole kept history. Kept here, not in
services, as the straightforward reference the optimised engine must agree with exactly."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from halsosupport.localtime import local_date
from schemas.reports import (
    ExemptionLifted,
    ExemptionSet,
    SickReported,
    SpellCorrected,
    WellReported,
)
from schemas.triggers import TriggerFired
from services.triggers import domain

# Unchanged by the fast engine: shared with it rather than kept twice.
from services.triggers.domain import (
    CountRule,
    Episode,
    FiredRecord,
    Occasion,
    Policy,
    Series,
    SpellFact,
    _change_days,
    evaluation_start,
    keep_from,
    measure_on,
    reconcile,
)
from services.triggers.handlers import (
    RECENT_EVENT_IDS,
    EmployeeState,
    Exemption,
    ReportEvent,
    TriggerEvent,
    _Cause,
    _fired_day,
    _trigger_fired,
    _withdrawn,
)
from services.triggers.timed import DayDecision, DueDay


def apply_report(
    state: EmployeeState, event: ReportEvent, policy: Policy
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """The new state and the trigger events one report causes. A redelivered event is a no-op."""
    event_id = str(event.event_id)
    if event_id in state.recent_event_ids:
        return state, []
    recent = (*state.recent_event_ids, event_id)[-RECENT_EVENT_IDS:]
    state = replace(_learn(state, event), recent_event_ids=recent, org=event.org)
    # Decisions depend on event time, not wall time, so a replay decides as the live stream did.
    cause = _Cause(event_id, event.employee_id, event.occurred_at, event.org)
    return decide(state, policy, local_date(event.occurred_at), cause)


def tick(
    state: EmployeeState, employee_id: str, policy: Policy, now: datetime
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """What the passing of time alone decides: day rules falling due, a Bradford factor growing
    with an open spell. Run at least daily, and on start to catch up after downtime."""
    if state.org is None:
        return state, []
    today = local_date(now)
    return decide(state, policy, today, _Cause(f"tick|{today}", employee_id, now, state.org))


def _learn(state: EmployeeState, event: ReportEvent) -> EmployeeState:
    """The state with what one report says."""
    if isinstance(event, ExemptionSet):
        exemption = Exemption(event.suppressed, event.threshold, event.valid_until)
        return replace(state, exemptions={**state.exemptions, event.rule_id: exemption})
    if isinstance(event, ExemptionLifted):
        return replace(
            state, exemptions={k: v for k, v in state.exemptions.items() if k != event.rule_id}
        )
    spells = dict(state.spells)
    if isinstance(event, SickReported | SpellCorrected):
        spells[event.spell_id] = SpellFact(
            spell_id=event.spell_id,
            absence_type=event.absence_type.value,
            sick_from=event.sick_from,
            well_from=event.well_from if isinstance(event, SpellCorrected) else None,
            reason_category=event.reason_category,
            expected_return=event.expected_return,
        )
    elif event.spell_id in spells:
        known = spells[event.spell_id]
        if isinstance(event, WellReported):
            spells[event.spell_id] = replace(known, well_from=event.well_from)
        else:
            spells[event.spell_id] = replace(known, retracted=True)
    return replace(state, spells=spells)


def decide(
    state: EmployeeState, policy: Policy, today: date, cause: _Cause
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """Reconcile every rule with the spells as known on `today`."""
    evaluate_from = evaluation_start(today, policy)
    if policy.effective_from is not None:
        evaluate_from = max(evaluate_from, policy.effective_from)
    kept_from = keep_from(today, policy)
    spells = {
        k: s
        for k, s in state.spells.items()
        if s.sick_from >= kept_from or s.well_from is None or s.well_from >= kept_from
    }
    fired = {k: f for k, f in state.fired.items() if f.crossed_on >= evaluate_from}
    out: list[TriggerEvent] = []

    def withdraw(records: Iterable[FiredRecord], *, repeated: bool = False) -> None:
        for record in records:
            del fired[record.trigger_id]
            out.append(_withdrawn(cause, record, repeated=repeated))

    occasions_by: dict[tuple[int | None, int | None], list[domain.Occasion]] = {}
    series_by: dict[tuple[object, ...], domain.Series] = {}
    for rule in policy.count_rules:
        shape = (rule.merge_gap_days, rule.max_spell_days)
        if shape not in occasions_by:
            occasions_by[shape] = occasions(list(spells.values()), policy, rule)
        occasion_list = occasions_by[shape]
        series_key = (*shape, rule.window, rule.metric)
        if series_key not in series_by:
            series_by[series_key] = series(
                occasion_list, rule, evaluate_from=evaluate_from, today=today
            )
        measured = series_by[series_key]
        decision = _count_rule_decision(
            occasion_list, rule, list(fired.values()), evaluate_from, today, state, measured
        )
        withdraw(decision.withdraw)
        withdraw(decision.repeated, repeated=True)
        for episode in decision.fire:
            event = _fired_count(cause, episode, policy, today)
            fired[event.trigger_id] = FiredRecord(
                event.trigger_id, rule.rule_id, episode.crossed_on
            )
            out.append(event)

    suppressed = frozenset(
        rule_id for rule_id, e in state.exemptions.items() if e.suppressed and e.applies_on(today)
    )
    days = decide_days(
        cause.employee_id, list(spells.values()), fired, policy, today, evaluate_from, suppressed
    )
    withdraw(days.withdraw)
    for due in days.fire:
        event = _fired_day(cause, due, policy)
        fired[event.trigger_id] = FiredRecord(
            event.trigger_id, due.rule.rule_id, due.due, due.spell.spell_id
        )
        out.append(event)
    return replace(state, spells=spells, fired=fired), out


def _count_rule_decision(
    occasion_list: list[domain.Occasion],
    rule: CountRule,
    fired: list[FiredRecord],
    evaluate_from: date,
    today: date,
    state: EmployeeState,
    measured: domain.Series,
) -> domain.Decision:
    """Withdrawals follow the policy's rule; new firings follow the employee's exemption, which
    can suppress the rule or raise its threshold but never takes back what was announced."""
    found = episodes(
        occasion_list, rule, evaluate_from=evaluate_from, today=today, measured=measured
    )
    decision = reconcile(found, fired, rule.rule_id, evaluate_from=evaluate_from)
    exemption = state.exemptions.get(rule.rule_id)
    if exemption is None or not exemption.applies_on(today):
        return decision
    if exemption.suppressed:
        return replace(decision, fire=())
    assert exemption.threshold is not None
    raised = replace(rule, threshold=max(rule.threshold, exemption.threshold))
    found = episodes(
        occasion_list, raised, evaluate_from=evaluate_from, today=today, measured=measured
    )
    fire = reconcile(found, fired, rule.rule_id, evaluate_from=evaluate_from).fire
    return replace(decision, fire=fire)


def _fired_count(
    cause: _Cause, episode: domain.Episode, policy: Policy, today: date
) -> TriggerFired:
    rule = episode.rule
    crossing = episode.crossing.spell_id
    if rule.metric == "bradford":  # the same spell can carry the factor over a band again
        crossing = f"{crossing}@{episode.crossed_on}"
    trigger_id = domain.trigger_id(cause.employee_id, rule.rule_id, crossing, policy.policy_version)
    measure, _ = measure_on(list(episode.basis), rule, episode.crossed_on)
    what = "Bradford factor" if rule.metric == "bradford" else "occasions"
    return _trigger_fired(
        cause,
        trigger_id,
        rule.rule_id,
        policy,
        episode.basis,
        window=(episode.window_start, episode.crossed_on),
        occasion_count=len(episode.basis),
        due_on=None if rule.due_in_days is None else today + timedelta(days=rule.due_in_days),
        roles=rule.recipient_roles,
        explanation=(
            f"{policy.policy_version} {rule.rule_id}: {what} {measure} reached {rule.threshold} "
            f"in the {rule.window.describe()} window {episode.window_start} – {episode.crossed_on}"
        ),
    )


def occasions(
    spells: list[SpellFact], policy: Policy, rule: CountRule | None = None
) -> list[Occasion]:
    """The spells that count under the policy, merged where they follow within the gap (the
    rule's own gap when it has one), and only the short ones when the rule says so."""
    gap = policy.merge_gap_days
    if rule is not None and rule.merge_gap_days is not None:
        gap = rule.merge_gap_days
    counted = sorted(
        (s for s in spells if policy.counts(s)), key=lambda s: (s.sick_from, s.spell_id)
    )
    merged: list[Occasion] = []
    for spell in counted:
        if merged and gap > 0 and merged[-1].well_from is not None:
            last_sick_day = merged[-1].well_from - timedelta(days=1)
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
    return [(day, *measure_on(occasion_list, rule, day)) for day in sorted(days)]


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
                found[-1] = replace(open_episode, rearmed_on=day)
                open_episode = None
            armed = True
    return found


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
