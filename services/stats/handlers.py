"""Applying events to the read model, keeping the counts per workplace and day exact."""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from uuid import uuid4

from halsosupport.consumer import Consumed
from halsosupport.localtime import local_date
from schemas.cases import CaseClosed, CaseOpened, CaseStatus, CaseStatusChanged
from schemas.directory import (
    DepartmentUpserted,
    EmployeeErased,
    EmployeeUpserted,
    WorkplaceUpserted,
)
from schemas.reports import SickReported, SpellCorrected, SpellRetracted, WellReported
from schemas.triggers import TriggerFired, TriggerWithdrawn
from services.stats.adapters.sql_repo import SpellRow, SqlUnitOfWork
from services.stats.adapters.tables import (
    CaseRecord,
    Department,
    Employee,
    TriggerRecord,
    Workplace,
)
from services.stats.day_counts import Placements, SpellFacts, Tally, advance, contribution


def bring_counts_to(uow: SqlUnitOfWork, today: date) -> date:
    """Build the counts if they never were, or count open spells up to `today`; returns the
    day they are counted through (never earlier than before: the clock may be behind)."""
    through = uow.counts_through()
    if through is None:
        rebuild_counts(uow, today)
        return today
    if today > through:
        tally = Tally()
        advance(uow.open_spells(), through, today, tally)
        uow.add_to_counts(tally)
        uow.set_counts_through(today)
        return today
    return through


def rebuild_counts(uow: SqlUnitOfWork, through: date) -> None:
    """The counts from every spell at once: for a new or upgraded database and after a
    rebuild of the read model."""
    uow.clear_counts()
    tally = Tally()
    for spell, placements in uow.every_spell_with_placements():
        contribution(spell, placements, through, tally)
    uow.add_to_counts(tally, fresh=True)
    uow.set_counts_through(through)


SPELL_EVENTS = (SickReported, SpellCorrected, SpellRetracted, WellReported)


@dataclass
class Applied:
    """How many events were new, and the days of every spell they changed (before and after
    the change; None: open), for the answers that read those days."""

    events: int = 0
    spell_days: list[tuple[date, date | None]] = field(default_factory=list)


def defer_counts(uow: SqlUnitOfWork) -> None:
    """Drop the counts, to be built afresh from the spells once caught up (`bring_counts_to`
    does that when it finds none).

    Replaying history event by event would count every spell that is open in the replay
    through today, and take it back when its well report comes: years of days per spell.
    Counting the spells once at the end is linear in what they hold."""
    if uow.counts_through() is not None:
        uow.clear_counts()
        uow.set_counts_through(None)


def _apply_case_event(
    uow: SqlUnitOfWork, event: CaseOpened | CaseStatusChanged | CaseClosed
) -> None:
    """A case's trigger, the first day its conversation was held and its closing. One
    employee's case events share a partition, so CaseOpened comes first."""
    record = uow.session.get(CaseRecord, event.case_id)
    if isinstance(event, CaseOpened):
        if record is None:
            uow.session.add(CaseRecord(case_id=event.case_id, trigger_id=event.trigger_id))
        return
    if record is None:
        return
    if isinstance(event, CaseStatusChanged):
        if event.to_status is CaseStatus.HELD and record.held_on is None:
            record.held_on = event.on
    else:
        record.closed_on, record.outcome = event.closed_on, event.outcome.value
    uow.session.add(record)


def apply_batch(
    *, uow: SqlUnitOfWork, batch: list[Consumed], today: date, counting: bool = True
) -> Applied:
    """Apply each event once (its id is recorded in the same transaction).

    The counts change in the same transaction by each changed spell's new contribution less
    its old one, counted through the same day (`today`, or later if already there). With
    `counting` off (catching up on a backlog) they are dropped instead, see `defer_counts`."""
    if counting:
        through = bring_counts_to(uow, today)
    else:
        defer_counts(uow)
        through = today  # nothing is counted
    tally = Tally()
    placements: dict[str, Placements] = {}

    def placed(employee_id: str) -> Placements:
        if employee_id not in placements:
            placements.update(uow.placements_of({employee_id}))
            placements.setdefault(employee_id, Placements())
        return placements[employee_id]

    applied = Applied()

    def count(spell: SpellRow | None, sign: int) -> None:
        if spell is not None:
            facts = SpellFacts.of(spell)
            if counting:
                contribution(facts, placed(facts.employee_id), through, tally, sign)
            last = None if facts.well_from is None else facts.well_from - timedelta(days=1)
            applied.spell_days.append((facts.sick_from, last))

    seen = uow.already_applied([str(item.event.event_id) for item in batch])
    spell_ids = {e.spell_id for e in (item.event for item in batch) if isinstance(e, SPELL_EVENTS)}
    uow.preload_spells(spell_ids)
    new_ids: list[str] = []
    for item in batch:
        event = item.event
        event_id = str(event.event_id)
        if event_id in seen:
            continue
        seen.add(event_id)
        new_ids.append(event_id)
        applied.events += 1
        if isinstance(event, SickReported | SpellCorrected):
            known = uow.spell(event.spell_id)
            count(known, -1)
            corrected = isinstance(event, SpellCorrected)
            spell = SpellRow(
                spell_id=event.spell_id,
                employee_id=event.employee_id,
                workplace_id=event.org.workplace_id,
                department_id=event.org.department_id,
                absence_type=event.absence_type.value,
                sick_from=event.sick_from,
                well_from=event.well_from if isinstance(event, SpellCorrected) else None,
                degree_percent=event.degree_percent,
                reason_category=event.reason_category,
                expected_return=event.expected_return,
                reported_on=(known.reported_on if known else None) or local_date(event.occurred_at),
                corrected=corrected or bool(known and known.corrected),
            )
            uow.put_spell(spell)
            count(spell, 1)
        elif isinstance(event, TriggerFired):
            uow.upsert(
                TriggerRecord(
                    trigger_id=event.trigger_id,
                    employee_id=event.employee_id,
                    workplace_id=event.org.workplace_id,
                    department_id=event.org.department_id,
                    rule_id=event.rule_id,
                    fired_on=event.window_end,
                    due_on=event.due_on,
                )
            )
        elif isinstance(event, TriggerWithdrawn):
            record = uow.session.get(TriggerRecord, event.trigger_id)
            if record is not None:
                record.withdrawn = True
                uow.add(record)
        elif isinstance(event, SpellRetracted):
            count(uow.spell(event.spell_id), -1)
            uow.remove_spell(event.spell_id)  # it never happened: it counts nowhere
        elif isinstance(event, WellReported):
            known = uow.spell(event.spell_id)
            if known is not None:
                count(known, -1)
                well = replace(known, well_from=event.well_from)
                uow.put_spell(well)
                count(well, 1)
        elif isinstance(event, EmployeeUpserted):
            before = placed(event.employee_id)
            after = Placements.from_json([p.model_dump(mode="json") for p in event.placements])
            if before != after:  # a move: their spells' days count where they now belong
                for spell in uow.spells_of(event.employee_id):
                    count(spell, -1)
                placements[event.employee_id] = after
                for spell in uow.spells_of(event.employee_id):
                    count(spell, 1)
            uow.upsert(
                Employee(
                    employee_id=event.employee_id,
                    workplace_id=event.org.workplace_id,
                    employment_degree_percent=event.employment_degree_percent,
                    gender=event.gender.value if event.gender else None,
                    birth_year=event.birth_year,
                    name=event.name,
                    employed_from=event.employed_from,
                    employed_to=event.employed_to,
                    placements=[p.model_dump(mode="json") for p in event.placements],
                )
            )
        elif isinstance(event, EmployeeErased):
            placements.pop(event.employee_id, None)
            uow.rekey_employee(event.employee_id, f"erased-{uuid4()}")
        elif isinstance(event, WorkplaceUpserted):
            known_workplace = uow.session.get(Workplace, event.workplace_id)
            old_department = known_workplace.department_id if known_workplace else None
            if counting and old_department != event.department_id:
                uow.move_workplace_counts(event.workplace_id, old_department, event.department_id)
            uow.upsert(
                Workplace(
                    workplace_id=event.workplace_id,
                    name=event.name,
                    department_id=event.department_id,
                    manager_id=event.manager_id,
                    deputy_manager_id=event.deputy_manager_id,
                )
            )
        elif isinstance(event, DepartmentUpserted):
            uow.upsert(Department(department_id=event.department_id, name=event.name))
        elif isinstance(event, CaseOpened | CaseStatusChanged | CaseClosed):
            _apply_case_event(uow, event)
    uow.mark_applied(new_ids)
    uow.add_to_counts(tally)
    uow.commit()
    return applied
