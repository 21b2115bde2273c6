"""Applying one report to one employee's state: pure, so the stream processor, a replay and a
what-if simulation all give the same answers."""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from halsosupport.localtime import local_date
from schemas.envelope import Channel, Source
from schemas.reports import SickReported, SpellCorrected, SpellRetracted, WellReported
from schemas.triggers import Occasion as OccasionOut
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn
from services.triggers import domain
from services.triggers.domain import FiredRecord, Policy, SpellFact

RECENT_EVENT_IDS = 64  # redeliveries only ever repeat recent events
SOURCE = Source(channel=Channel.SYSTEM, registered_by="triggers")


@dataclass(frozen=True)
class EmployeeState:
    """Everything the engine keeps per employee: recent spells and announced triggers."""

    spells: dict[str, SpellFact] = field(default_factory=dict)
    fired: dict[str, FiredRecord] = field(default_factory=dict)
    recent_event_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "spells": [
                {
                    "spell_id": s.spell_id,
                    "absence_type": s.absence_type,
                    "sick_from": s.sick_from.isoformat(),
                    "well_from": s.well_from.isoformat() if s.well_from else None,
                    "reason_category": s.reason_category,
                    "retracted": s.retracted,
                }
                for s in self.spells.values()
            ],
            "fired": [
                {
                    "trigger_id": f.trigger_id,
                    "rule_id": f.rule_id,
                    "crossed_on": f.crossed_on.isoformat(),
                }
                for f in self.fired.values()
            ],
            "recent_event_ids": list(self.recent_event_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "EmployeeState":
        if not data:
            return cls()
        spells = {
            s["spell_id"]: SpellFact(
                spell_id=s["spell_id"],
                absence_type=s["absence_type"],
                sick_from=date.fromisoformat(s["sick_from"]),
                well_from=date.fromisoformat(s["well_from"]) if s["well_from"] else None,
                reason_category=s.get("reason_category"),
                retracted=bool(s.get("retracted")),
            )
            for s in data.get("spells", [])
        }
        fired = {
            f["trigger_id"]: FiredRecord(
                f["trigger_id"], f["rule_id"], date.fromisoformat(f["crossed_on"])
            )
            for f in data.get("fired", [])
        }
        return cls(spells, fired, tuple(data.get("recent_event_ids", [])))


ReportEvent = SickReported | WellReported | SpellCorrected | SpellRetracted
TriggerEvent = TriggerFired | TriggerWithdrawn


def apply_report(
    state: EmployeeState, event: ReportEvent, policy: Policy
) -> tuple[EmployeeState, list[TriggerEvent]]:
    """The new state and the trigger events one report causes. A redelivered event is a no-op."""
    event_id = str(event.event_id)
    if event_id in state.recent_event_ids:
        return state, []
    spells = dict(state.spells)
    if isinstance(event, SickReported | SpellCorrected):
        spells[event.spell_id] = SpellFact(
            spell_id=event.spell_id,
            absence_type=event.absence_type.value,
            sick_from=event.sick_from,
            well_from=event.well_from if isinstance(event, SpellCorrected) else None,
            reason_category=event.reason_category,
        )
    elif event.spell_id in spells:
        known = spells[event.spell_id]
        if isinstance(event, WellReported):
            spells[event.spell_id] = replace(known, well_from=event.well_from)
        else:
            spells[event.spell_id] = replace(known, retracted=True)

    # Decisions depend on event time, not wall time, so a replay decides as the live stream did.
    today = local_date(event.occurred_at)
    evaluate_from = domain.evaluation_start(today, policy)
    keep_from = domain.keep_from(today, policy)
    spells = {k: s for k, s in spells.items() if s.sick_from >= keep_from}
    fired = {k: f for k, f in state.fired.items() if f.crossed_on >= evaluate_from}

    out: list[TriggerEvent] = []
    occasion_list = domain.occasions(list(spells.values()), policy)
    for rule in policy.count_rules:
        found = domain.episodes(occasion_list, rule, evaluate_from=evaluate_from)
        decision = domain.reconcile(
            found, list(fired.values()), rule.rule_id, evaluate_from=evaluate_from
        )
        for record in decision.withdraw:
            del fired[record.trigger_id]
            out.append(_withdrawn(event, record))
        for episode in decision.fire:
            fired_event = _fired(event, episode, policy, today)
            fired[fired_event.trigger_id] = FiredRecord(
                fired_event.trigger_id, rule.rule_id, episode.crossed_on
            )
            out.append(fired_event)

    recent = (*state.recent_event_ids, event_id)[-RECENT_EVENT_IDS:]
    return EmployeeState(spells, fired, recent), out


def _fired(
    cause: ReportEvent, episode: domain.Episode, policy: Policy, today: date
) -> TriggerFired:
    rule = episode.rule
    trigger_id = domain.trigger_id(
        cause.employee_id, rule.rule_id, episode.crossing.spell_id, policy.policy_version
    )
    return TriggerFired(
        event_id=uuid.uuid5(domain.TRIGGER_NAMESPACE, f"fired|{trigger_id}"),
        occurred_at=cause.occurred_at,
        source=SOURCE,
        employee_id=cause.employee_id,
        org=cause.org,
        trigger_id=trigger_id,
        rule_id=rule.rule_id,
        policy_version=policy.policy_version,
        occasion_count=len(episode.basis),
        window_start=episode.window_start,
        window_end=episode.crossed_on,
        spell_ids=[sid for o in episode.basis for sid in o.spell_ids],
        occasions=[
            OccasionOut(spell_id=o.spell_id, sick_from=o.sick_from, well_from=o.well_from)
            for o in episode.basis
        ],
        due_on=None if rule.due_in_days is None else today + timedelta(days=rule.due_in_days),
        recipient_roles=[RecipientRole(r) for r in rule.recipient_roles],
    )


def _withdrawn(cause: ReportEvent, record: FiredRecord) -> TriggerWithdrawn:
    return TriggerWithdrawn(
        event_id=uuid.uuid5(
            domain.TRIGGER_NAMESPACE, f"withdrawn|{record.trigger_id}|{cause.event_id}"
        ),
        occurred_at=cause.occurred_at,
        source=SOURCE,
        employee_id=cause.employee_id,
        org=cause.org,
        trigger_id=record.trigger_id,
        rule_id=record.rule_id,
        why=f"the occasions counted on {record.crossed_on} no longer reach the threshold",
    )
