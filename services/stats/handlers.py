"""Applying events to the read model, and answering the figures."""

from collections import Counter
from dataclasses import dataclass
from datetime import date

from halsosupport.consumer import Consumed
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.reports import SickReported, SpellCorrected, SpellRetracted, WellReported
from services.stats import domain
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.adapters.tables import Department, Employee, Spell, Workplace


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
                )
            )
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
                )
            )
        elif isinstance(event, WorkplaceUpserted):
            uow.upsert(
                Workplace(
                    workplace_id=event.workplace_id,
                    name=event.name,
                    department_id=event.department_id,
                )
            )
        elif isinstance(event, DepartmentUpserted):
            uow.upsert(Department(department_id=event.department_id, name=event.name))
    uow.commit()
    return applied


@dataclass(frozen=True)
class UnitFigures:
    """One row of the 'today' view; None where suppressed."""

    headcount: int
    absent_sick: int | None
    absent_vab: int | None
    absent: int | None


def _figures(counts: domain.AbsentCounts, headcount: int, rule: domain.Suppression) -> UnitFigures:
    return UnitFigures(
        headcount=headcount,
        absent_sick=rule.cell(counts.sick, headcount),
        absent_vab=rule.cell(counts.vab, headcount),
        absent=rule.cell(counts.total, headcount),
    )


def today_by_workplace(
    *, uow: SqlUnitOfWork, day: date, rule: domain.Suppression
) -> tuple[UnitFigures, list[tuple[Workplace, UnitFigures]]]:
    """Who is away on `day`, per workplace and for the whole organisation."""
    headcount = uow.headcount_by_workplace()
    spells = uow.spells_open_on(day)
    sick = Counter(s.workplace_id for s in spells if s.absence_type == "sick")
    vab = Counter(s.workplace_id for s in spells if s.absence_type == "vab")
    rows = [
        (
            w,
            _figures(
                domain.AbsentCounts(sick[w.workplace_id], vab[w.workplace_id]),
                headcount.get(w.workplace_id, 0),
                rule,
            ),
        )
        for w in uow.workplaces()
    ]
    total = _figures(
        domain.AbsentCounts(sum(sick.values()), sum(vab.values())), sum(headcount.values()), rule
    )
    return total, rows
