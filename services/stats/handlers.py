"""Applying events to the read model, and answering the figures."""

from halsosupport.consumer import Consumed
from halsosupport.localtime import local_date
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.reports import SickReported, SpellCorrected, SpellRetracted, WellReported
from schemas.triggers import TriggerFired, TriggerWithdrawn
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.adapters.tables import (
    Department,
    Employee,
    Spell,
    TriggerRecord,
    Workplace,
)


def apply_batch(*, uow: SqlUnitOfWork, batch: list[Consumed]) -> int:
    """Apply each event once (its id is recorded in the same transaction); returns how many."""
    seen = uow.already_applied([str(item.event.event_id) for item in batch])
    applied = 0
    for item in batch:
        event = item.event
        event_id = str(event.event_id)
        if event_id in seen:
            continue
        seen.add(event_id)
        uow.mark_applied(event_id)
        applied += 1
        if isinstance(event, SickReported | SpellCorrected):
            known = uow.spell(event.spell_id)
            corrected = isinstance(event, SpellCorrected)
            uow.upsert(
                Spell(
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
                    reported_on=(known.reported_on if known else None)
                    or local_date(event.occurred_at),
                    corrected=corrected or bool(known and known.corrected),
                )
            )
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
            uow.remove_spell(event.spell_id)  # it never happened: it counts nowhere
        elif isinstance(event, WellReported):
            spell = uow.spell(event.spell_id)
            if spell is not None:
                spell.well_from = event.well_from
                uow.add(spell)
        elif isinstance(event, EmployeeUpserted):
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
        elif isinstance(event, WorkplaceUpserted):
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
    uow.commit()
    return applied
