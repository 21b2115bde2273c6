"""Applying one report, or the passing of a day, to one employee's state: pure, so the stream
processor, a replay and a what-if simulation all give the same answers."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from halsosupport.localtime import local_date
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import (
    ExemptionLifted,
    ExemptionSet,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from schemas.triggers import Occasion as OccasionOut
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn
from services.triggers import domain, timed
from services.triggers.domain import CountRule, FiredRecord, Policy, SpellFact

RECENT_EVENT_IDS = 64  # redeliveries only ever repeat recent events
SOURCE = Source(channel=Channel.SYSTEM, registered_by="triggers")


@dataclass(frozen=True)
class Exemption:
    """HR's exemption of this employee from one rule (the why stays in intake)."""

    suppressed: bool
    threshold: int | None
    valid_until: date | None

    def applies_on(self, day: date) -> bool:
        return self.valid_until is None or day <= self.valid_until


@dataclass(frozen=True)
class EmployeeState:
    """Everything the engine keeps per employee: recent spells, announced triggers, exemptions
    and the employee's place in the organisation (for triggers that time alone fires)."""

    spells: dict[str, SpellFact] = field(default_factory=dict)
    fired: dict[str, FiredRecord] = field(default_factory=dict)
    recent_event_ids: tuple[str, ...] = ()
    exemptions: dict[str, Exemption] = field(default_factory=dict)
    org: OrgRef | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "spells": [_spell_json(s) for s in self.spells.values()],
            "fired": [
                {
                    "trigger_id": f.trigger_id,
                    "rule_id": f.rule_id,
                    "crossed_on": f.crossed_on.isoformat(),
                    "spell_id": f.spell_id,
                }
                for f in self.fired.values()
            ],
            "recent_event_ids": list(self.recent_event_ids),
            "exemptions": {
                rule_id: {
                    "suppressed": e.suppressed,
                    "threshold": e.threshold,
                    "valid_until": _iso(e.valid_until),
                }
                for rule_id, e in self.exemptions.items()
            },
            "org": self.org.model_dump(mode="json") if self.org else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "EmployeeState":
        if not data:
            return cls()
        spells = {s["spell_id"]: _spell_from_json(s) for s in data.get("spells", [])}
        fired = {
            f["trigger_id"]: FiredRecord(
                f["trigger_id"],
                f["rule_id"],
                date.fromisoformat(f["crossed_on"]),
                f.get("spell_id"),
            )
            for f in data.get("fired", [])
        }
        exemptions = {
            rule_id: Exemption(e["suppressed"], e["threshold"], _date(e["valid_until"]))
            for rule_id, e in data.get("exemptions", {}).items()
        }
        org = OrgRef.model_validate(data["org"]) if data.get("org") else None
        return cls(spells, fired, tuple(data.get("recent_event_ids", [])), exemptions, org)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _spell_json(s: SpellFact) -> dict[str, Any]:
    return {
        "spell_id": s.spell_id,
        "absence_type": s.absence_type,
        "sick_from": s.sick_from.isoformat(),
        "well_from": _iso(s.well_from),
        "reason_category": s.reason_category,
        "retracted": s.retracted,
        "expected_return": _iso(s.expected_return),
    }


def _spell_from_json(s: dict[str, Any]) -> SpellFact:
    # Positional: read for every kept spell on every event the worker applies.
    return SpellFact(
        s["spell_id"],
        s["absence_type"],
        date.fromisoformat(s["sick_from"]),
        _date(s["well_from"]),
        s.get("reason_category"),
        bool(s.get("retracted")),
        _date(s.get("expected_return")),
    )


ReportEvent = (
    SickReported | WellReported | SpellCorrected | SpellRetracted | ExemptionSet | ExemptionLifted
)
TriggerEvent = TriggerFired | TriggerWithdrawn


@dataclass(frozen=True)
class _Cause:
    """What made the engine look again: a report, or a new day (a tick)."""

    key: str  # the report's event id, or "tick|<date>"
    employee_id: str
    occurred_at: datetime
    org: OrgRef


def apply_report(
    state: EmployeeState, event: ReportEvent, policy: Policy
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """The new state and the trigger events one report causes. A redelivered event is a no-op."""
    event_id = str(event.event_id)
    if event_id in state.recent_event_ids:
        return state, []
    recent = (*state.recent_event_ids, event_id)[-RECENT_EVENT_IDS:]
    learned = _learn(state, event)
    state = EmployeeState(learned.spells, learned.fired, recent, learned.exemptions, event.org)
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
    return EmployeeState(spells, state.fired, state.recent_event_ids, state.exemptions, state.org)


def decide(
    state: EmployeeState, policy: Policy, today: date, cause: _Cause
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """Reconcile every rule with the spells as known on `today`."""
    evaluate_from = domain.evaluation_start(today, policy)
    if policy.effective_from is not None:
        evaluate_from = max(evaluate_from, policy.effective_from)
    keep_from = domain.keep_from(today, policy)
    spells = {
        k: s
        for k, s in state.spells.items()
        if s.sick_from >= keep_from or s.well_from is None or s.well_from >= keep_from
    }
    fired = {k: f for k, f in state.fired.items() if f.crossed_on >= evaluate_from}
    out: list[TriggerEvent] = []

    def withdraw(records: Iterable[FiredRecord], *, repeated: bool = False) -> None:
        for record in records:
            del fired[record.trigger_id]
            out.append(_withdrawn(cause, record, repeated=repeated))

    counted = domain.counted_spells(spells.values(), policy)
    occasions_by: dict[tuple[int | None, int | None], list[domain.Occasion]] = {}
    series_by: dict[tuple[int | str | None, ...], domain.Series] = {}
    for rule in policy.count_rules:
        mine = [f for f in fired.values() if f.rule_id == rule.rule_id]
        if not mine and rule.metric == "occasions" and len(counted) < rule.threshold:
            continue  # too few spells to make the occasions, and nothing to take back
        shape = (rule.merge_gap_days, rule.max_spell_days)
        if shape not in occasions_by:
            occasions_by[shape] = domain.occasions_of(counted, policy, rule)
        occasion_list = occasions_by[shape]
        series_key = (*shape, rule.window.months, rule.window.days, rule.metric)
        if series_key not in series_by:
            series_by[series_key] = domain.series(
                occasion_list, rule, evaluate_from=evaluate_from, today=today
            )
        measured = series_by[series_key]
        if not mine and not _reaches(measured, rule.threshold):
            continue  # no episode to announce, and nothing to take back
        decision = _count_rule_decision(
            occasion_list, rule, mine, evaluate_from, today, state, measured
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
    days = timed.decide_days(
        cause.employee_id, list(spells.values()), fired, policy, today, evaluate_from, suppressed
    )
    withdraw(days.withdraw)
    for due in days.fire:
        event = _fired_day(cause, due, policy)
        fired[event.trigger_id] = FiredRecord(
            event.trigger_id, due.rule.rule_id, due.due, due.spell.spell_id
        )
        out.append(event)
    return EmployeeState(spells, fired, state.recent_event_ids, state.exemptions, state.org), out


def _reaches(measured: domain.Series, threshold: int) -> bool:
    """Whether the measure reaches `threshold` on any day: a rule that never does has no
    episodes, for any exemption, which only ever raises the threshold."""
    return any(value >= threshold for _, value, _ in measured)


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
    found = domain.episodes(
        occasion_list, rule, evaluate_from=evaluate_from, today=today, measured=measured
    )
    decision = domain.reconcile(found, fired, rule.rule_id, evaluate_from=evaluate_from)
    exemption = state.exemptions.get(rule.rule_id)
    if exemption is None or not exemption.applies_on(today):
        return decision
    if exemption.suppressed:
        return replace(decision, fire=())
    assert exemption.threshold is not None
    raised = replace(rule, threshold=max(rule.threshold, exemption.threshold))
    found = domain.episodes(
        occasion_list, raised, evaluate_from=evaluate_from, today=today, measured=measured
    )
    fire = domain.reconcile(found, fired, rule.rule_id, evaluate_from=evaluate_from).fire
    return replace(decision, fire=fire)


def _fired_count(
    cause: _Cause, episode: domain.Episode, policy: Policy, today: date
) -> TriggerFired:
    rule = episode.rule
    crossing = episode.crossing.spell_id
    if rule.metric == "bradford":  # the same spell can carry the factor over a band again
        crossing = f"{crossing}@{episode.crossed_on}"
    trigger_id = domain.trigger_id(cause.employee_id, rule.rule_id, crossing, policy.policy_version)
    measure, _ = domain.measure_on(list(episode.basis), rule, episode.crossed_on)
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


def _fired_day(cause: _Cause, due: timed.DueDay, policy: Policy) -> TriggerFired:
    rule, spell = due.rule, due.spell
    occasion = domain.Occasion((spell.spell_id,), spell.sick_from, spell.well_from)
    anchor = "of absence" if rule.anchor == "sick_from" else "after the expected return"
    return _trigger_fired(
        cause,
        due.trigger_id,
        rule.rule_id,
        policy,
        (occasion,),
        window=(spell.sick_from, due.due),
        occasion_count=1,
        due_on=None if rule.due_in_days is None else due.due + timedelta(days=rule.due_in_days),
        roles=rule.recipient_roles,
        explanation=(
            f"{policy.policy_version} {rule.rule_id}: day {due.day_number} {anchor} "
            f"({due.due}) of the spell from {spell.sick_from}, still open that day"
        ),
        day_number=due.day_number,
    )


def _trigger_fired(
    cause: _Cause,
    trigger_id: str,
    rule_id: str,
    policy: Policy,
    basis: Iterable[domain.Occasion],
    *,
    window: tuple[date, date],
    occasion_count: int,
    due_on: date | None,
    roles: tuple[str, ...],
    explanation: str,
    day_number: int | None = None,
) -> TriggerFired:
    basis = list(basis)
    return TriggerFired(
        event_id=uuid.uuid5(domain.TRIGGER_NAMESPACE, f"fired|{trigger_id}"),
        occurred_at=cause.occurred_at,
        source=SOURCE,
        employee_id=cause.employee_id,
        org=cause.org,
        trigger_id=trigger_id,
        rule_id=rule_id,
        policy_version=policy.policy_version,
        occasion_count=occasion_count,
        window_start=window[0],
        window_end=window[1],
        spell_ids=[sid for o in basis for sid in o.spell_ids],
        occasions=[
            OccasionOut(spell_id=o.spell_id, sick_from=o.sick_from, well_from=o.well_from)
            for o in basis
        ],
        due_on=due_on,
        recipient_roles=[RecipientRole(r) for r in roles],
        day_number=day_number,
        explanation=explanation,
    )


def _withdrawn(cause: _Cause, record: FiredRecord, *, repeated: bool = False) -> TriggerWithdrawn:
    if repeated:
        why = (
            f"a late report shows the count never fell below the threshold before "
            f"{record.crossed_on}: the earlier announcement of this rule still stands"
        )
    elif record.spell_id is None:
        why = f"the occasions counted on {record.crossed_on} no longer reach the threshold"
    else:
        why = f"the spell was no longer going on on {record.crossed_on}, when the rule was due"
    return TriggerWithdrawn(
        event_id=uuid.uuid5(domain.TRIGGER_NAMESPACE, f"withdrawn|{record.trigger_id}|{cause.key}"),
        occurred_at=cause.occurred_at,
        source=SOURCE,
        employee_id=cause.employee_id,
        org=cause.org,
        trigger_id=record.trigger_id,
        rule_id=record.rule_id,
        why=why,
    )
